/**
 * The packed plugin, in the unit run (seconds once the tarball exists; a build and a pack, about
 * 10 s, when the sources changed): the tarball holds the runtime only, and every path of its
 * package.json `exports` resolves and loads from a project that has it in node_modules, the way a
 * store imports it. The project sits in .cache/export-check/ (git-ignored), inside the repository
 * so that the plugin's own dependencies resolve from the repository's node_modules; it has a
 * package.json of its own, or Node would resolve the package name to the repository itself.
 * The storefront kit (its own package, medusa-payment-pagoefectivo-storefront) is packed and
 * checked beside it. The full install into a clean store is integration-tests/install/install.spec.ts,
 * and into a workspace shaped like Medusa's starter integration-tests/install/starter.spec.ts.
 */
import { execFileSync } from "child_process"
import fs from "fs"
import path from "path"
import { REPO_ROOT } from "../../scripts/lib/medusa-process"
import { type Packed, type Tarball, fileListing, kitPackageProblems, packPlugin, packageProblems } from "./lib/pack"

const PROJECT = path.join(REPO_ROOT, ".cache", "export-check")

describe("the packed plugin", () => {
  let packed: Packed

  beforeAll(async () => {
    packed = await packPlugin((s) => process.stderr.write(`[pack] ${s}\n`))
    process.stderr.write(`[pack] ${fileListing(packed)}\n[pack] ${fileListing(packed.storefront)}\n`)
  }, 180_000)

  it("holds the runtime only: no spec, bench, demo script or development config", () => {
    expect(packageProblems(packed.files)).toEqual([])
    // …and what a store needs.
    for (const f of [
      "package.json",
      "README.md",
      // README's image
      "docs/storefront-voucher.png",
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
    // the storefront kit is its own package: none of its code in the server's
    expect(packed.files.filter((f) => f.startsWith(".medusa/") && /storefront\/|voucher/.test(f))).toEqual([])
  })

  it("has a storefront kit of its own, with React as its only peer and nothing of Medusa's server", () => {
    const kit = packed.storefront
    expect(kit.name).toBe("medusa-payment-pagoefectivo-storefront")
    expect(kitPackageProblems(kit.files)).toEqual([])
    expect(kit.files).toEqual(expect.arrayContaining(["package.json", "README.md", "dist/index.mjs", "dist/types/packages/storefront/src/index.d.ts"]))
    const pkg = JSON.parse(execFileSync("tar", ["-xzOf", kit.tarball, "package/package.json"], { encoding: "utf8" }))
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(["react"])
    expect(Object.keys(pkg.dependencies ?? {})).toEqual(["qrcode.react"])
    // and the server package no longer brings React to a storefront, nor the kit to a server
    const server = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"))
    expect(server.dependencies["qrcode.react"]).toBeUndefined()
    expect(server.exports["./storefront"]).toBeUndefined()
  })

  it("declares what its admin extensions import, as peers at the dashboard's ranges (one copy of each in the store)", () => {
    const server = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"))
    const admin = fs.readFileSync(path.join(REPO_ROOT, ".medusa", "server", "src", "admin", "index.mjs"), "utf8")
    const imported = new Set([...admin.matchAll(/^import\s[^;]*?\bfrom\s*["']([^"'.][^"']*)["']/gm)].map((m) => m[1].split("/").slice(0, m[1].startsWith("@") ? 2 : 1).join("/")))
    expect(imported.size).toBeGreaterThan(3)
    for (const name of imported) expect([name, server.peerDependencies[name] ?? server.dependencies[name]]).toEqual([name, expect.any(String)])
  })

  /** Installs both tarballs into PROJECT and runs check-exports.mjs for `which`. */
  function checkExports(which: Tarball): { checked: string[]; failures: string[] } {
    const out = execFileSync(process.execPath, ["check-exports.mjs", which.name], {
      cwd: PROJECT,
      encoding: "utf8",
      timeout: 60_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    })
    return JSON.parse(out.trim().split("\n").pop()!) as { checked: string[]; failures: string[] }
  }

  it("resolves and loads every export path, and runs its bin, from a project that installed it", () => {
    fs.rmSync(PROJECT, { recursive: true, force: true })
    fs.mkdirSync(PROJECT, { recursive: true })
    fs.writeFileSync(path.join(PROJECT, "package.json"), JSON.stringify({ name: "export-check", private: true }))
    for (const t of [packed, packed.storefront]) {
      const installed = path.join(PROJECT, "node_modules", t.name)
      fs.mkdirSync(installed, { recursive: true })
      execFileSync("tar", ["-xzf", t.tarball, "-C", installed, "--strip-components=1"])
    }
    fs.copyFileSync(path.join(__dirname, "lib", "check-exports.mjs"), path.join(PROJECT, "check-exports.mjs"))

    const { checked, failures } = checkExports(packed)
    expect(failures).toEqual([])
    for (const spec of ["workflows", "admin", "providers/pagoefectivo", "modules/pagoefectivo", "package.json"]) {
      expect(checked).toContain(`${packed.name}/${spec}`)
    }
    expect(checked).toContain("bin pagoefectivo-sandbox")

    const kit = checkExports(packed.storefront)
    expect(kit.failures).toEqual([])
    expect(kit.checked).toContain(packed.storefront.name)
  }, 60_000)
})
