const { loadEnv } = require("@medusajs/framework/utils")
loadEnv("test", process.cwd())

const testType = process.env.TEST_TYPE ?? "unit"

module.exports = {
  transform: {
    "^.+\\.[jt]sx?$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript", decorators: true }, target: "es2021" } },
    ],
  },
  testEnvironment: "node",
  moduleFileExtensions: ["js", "ts", "json"],
  modulePathIgnorePatterns: ["dist/", "<rootDir>/.medusa/", "<rootDir>/.data/"],
  setupFiles: ["./integration-tests/setup.js"],
  testMatch:
    testType === "integration:http"
      ? ["<rootDir>/integration-tests/http/**/*.spec.[jt]s"]
      : ["<rootDir>/src/**/__tests__/**/*.unit.spec.[jt]s", "<rootDir>/sandbox/**/__tests__/**/*.unit.spec.[jt]s"],
}
