/**
 * The packed plugin, in the unit run (seconds once the tarball exists; a build and a pack, about
 * 10 s, when the sources changed): the tarball holds the runtime only, and every path of its
 * package.json `exports` resolves and loads from a project that has it in node_modules, the way a
 * store imports it. The project sits in .cache/export-check/ (git-ignored), inside the repository
 * so that the plugin's own dependencies resolve from the repository's node_modules; it has a
 * package.json of its own, or Node would resolve the package name to the repository itself.
 * The full install into a clean store is integration-tests/install/install.spec.ts.
 */
import { execFileSync } from "child_process"
import fs from "fs"
import path from "path"
import { REPO_ROOT } from "../../scripts/lib/medusa-process"
import { type Packed, fileListing, packPlugin, packageProblems } from "./lib/pack"

const PROJECT = path.join(REPO_ROOT, ".cache", "export-check")

describe("the packed plugin", () => {
  let packed: Packed

  beforeAll(async () => {
    packed = await packPlugin((s) => process.stderr.write(`[pack] ${s}\n`))
    process.stderr.write(`[pack] ${fileListing(packed)}\n`)
  }, 180_000)

  it("holds the runtime only: no spec, bench, demo script or development config", () => {
    expect(packageProblems(packed.files)).toEqual([])
    // …and what a store needs.
    for (const f of [
      "package.json",
      "README.md",
      "sandbox/README.md",
      ".medusa/server/sandbox/cli.js",
      ".medusa/server/src/workflows/index.js",
      ".medusa/server/src/providers/pagoefectivo/index.js",
      ".medusa/server/src/modules/pagoefectivo/index.js",
      ".medusa/server/src/admin/index.mjs",
    ]) {
      expect(packed.files).toContain(f)
    }
    expect(packed.files.some((f) => f.startsWith(".medusa/server/src/modules/pagoefectivo/migrations/"))).toBe(true)
  })

  it("resolves and loads every export path, and runs its bin, from a project that installed it", () => {
    fs.rmSync(PROJECT, { recursive: true, force: true })
    const installed = path.join(PROJECT, "node_modules", packed.name)
    fs.mkdirSync(installed, { recursive: true })
    fs.writeFileSync(path.join(PROJECT, "package.json"), JSON.stringify({ name: "export-check", private: true }))
    execFileSync("tar", ["-xzf", packed.tarball, "-C", installed, "--strip-components=1"])
    fs.copyFileSync(path.join(__dirname, "lib", "check-exports.mjs"), path.join(PROJECT, "check-exports.mjs"))

    const out = execFileSync(process.execPath, ["check-exports.mjs", packed.name], {
      cwd: PROJECT,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    })
    const { checked, failures } = JSON.parse(out.trim().split("\n").pop()!) as { checked: string[]; failures: string[] }
    expect(failures).toEqual([])
    for (const spec of ["workflows", "admin", "providers/pagoefectivo", "modules/pagoefectivo", "package.json"]) {
      expect(checked).toContain(`${packed.name}/${spec}`)
    }
    expect(checked).toContain("bin pagoefectivo-sandbox")
  }, 60_000)
})
