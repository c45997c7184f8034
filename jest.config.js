const { loadEnv } = require("@medusajs/framework/utils")
loadEnv("test", process.cwd())

const testType = process.env.TEST_TYPE ?? "unit"

module.exports = {
  transform: {
    // The admin panel (src/admin, React): its specs render it.
    "^.+\\.tsx$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", tsx: true }, target: "es2021", transform: { react: { runtime: "automatic" } } } },
    ],
    "^.+\\.[jt]sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", decorators: true }, target: "es2021" } },
    ],
  },
  testEnvironment: "node",
  moduleFileExtensions: ["js", "ts", "tsx", "json"],
  modulePathIgnorePatterns: ["dist/", "<rootDir>/.medusa/", "<rootDir>/.data/", "<rootDir>/.cache/"],
  setupFiles: ["./integration-tests/setup.js"],
  // Booting a Medusa app per integration spec file takes 10-20 s on 2 cores.
  // The e2e spec builds the admin (`medusa build`, 1-2 min) before its browser steps.
  // The install check installs, builds and starts a whole store (a few minutes).
  testTimeout: { "integration:http": 120_000, e2e: 300_000, install: 900_000, soak: 900_000 }[testType] ?? 15_000,
  testMatch: {
    "integration:http": ["<rootDir>/integration-tests/http/**/*.spec.[jt]s"],
    e2e: ["<rootDir>/integration-tests/e2e/**/*.spec.[jt]s"],
    install: ["<rootDir>/integration-tests/install/install.spec.[jt]s", "<rootDir>/integration-tests/install/starter.spec.[jt]s"],
    soak: ["<rootDir>/integration-tests/soak/*.spec.[jt]s"],
  }[testType] ?? [
    "<rootDir>/src/**/__tests__/**/*.unit.spec.[jt]s",
    "<rootDir>/sandbox/**/__tests__/**/*.unit.spec.[jt]s",
    "<rootDir>/scripts/__tests__/**/*.unit.spec.[jt]s",
    "<rootDir>/packages/*/__tests__/**/*.unit.spec.[jt]s",
    "<rootDir>/integration-tests/install/*.unit.spec.[jt]s",
  ],
}
