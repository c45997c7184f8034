/**
 * The install check: the plugin as a merchant installs it, into a store that has nothing else, on
 * every Medusa the peer range admits.
 *
 *   npm test -- integration-tests/install        (a jest run of npm test; TEST_TYPE=install)
 *   PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS=2.18.0 npm test -- integration-tests/install    (one store)
 *   npm run check:medusa -- <version|latest>      (any published version: scripts/check-medusa.js)
 *
 * 1. packs the plugin once (lib/pack.ts; the same tarball as the unit run's export check) and
 *    prints the tarball's file list;
 * 2. for each version (lib/medusa-versions.ts: each minor of the peer range at its latest patch,
 *    and the newest minor's x.y.0; PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS to choose), at most
 *    PAGOEFECTIVO_INSTALL_PARALLEL (2) at once: writes a store the way that minor's starter does
 *    (lib/store-app.ts: Medusa's packages, the admin's libraries at that dashboard's versions —
 *    react-router-dom 6.30.4 on 2.18, 7.18.2 after —, README's medusa-config.ts snippet, the
 *    tarball) and `npm install --prefer-offline` without --legacy-peer-deps: an unmet peer range
 *    fails there with ERESOLVE (a version outside the range is installed with --legacy-peer-deps
 *    instead, and says so: what would pnpm's merchant get there);
 * 3. lib/store-check.ts on it: migrated, built and started; the Health route's guard; a CIP sold
 *    and paid; one refund completed and one rejected; the three sums through the admin API;
 *    Medusa's /hooks/payment path for that version; the order's panel on that dashboard in
 *    Chromium with no page error.
 *
 * Logs: integration-tests/install/artifacts/<version>/ and artifacts/summary.json (git-ignored).
 * The temporary stores and their databases are removed afterwards (PAGOEFECTIVO_INSTALL_KEEP=1
 * keeps them). PAGOEFECTIVO_SKIP_INSTALL_CHECK=1 skips it on a developer's machine; in CI
 * (CI=true) it always runs.
 */
import { execFileSync } from "child_process"
import fs from "fs"
import os from "os"
import path from "path"
import { REPO_ROOT } from "../../scripts/lib/medusa-process"
import type { PostgresConnection } from "../../scripts/lib/postgres"
import { postgres } from "../e2e/lib/stack"
import { forEachLimited } from "../../src/lib/concurrency"
import { inPeerRange, peerRange, starterPins, versionsToCheck } from "./lib/medusa-versions"
import { type Packed, fileListing, packPlugin, packageProblems } from "./lib/pack"
import { type StoreCheckResult, checkStore, phases, runLogged, storeEnv, storeLog } from "./lib/store-check"
import { writeStoreApp } from "./lib/store-app"

export const ARTIFACTS = path.join(REPO_ROOT, "integration-tests", "install", "artifacts")
const inCi = !!process.env.CI && process.env.CI !== "false"
const skip = !inCi && process.env.PAGOEFECTIVO_SKIP_INSTALL_CHECK === "1"
if (skip) process.stderr.write("[install] SKIPPED integration-tests/install/install.spec.ts: PAGOEFECTIVO_SKIP_INSTALL_CHECK=1 (in CI it always runs)\n")
const keep = process.env.PAGOEFECTIVO_INSTALL_KEEP === "1"
const PARALLEL = Math.max(1, Number(process.env.PAGOEFECTIVO_INSTALL_PARALLEL || 2))

const VERSIONS = skip ? [] : versionsToCheck(process.env, storeEnv())
const log = (s: string) => process.stderr.write(`[install] ${s}\n`)
/** Every phase a store goes through (build and migrate run side by side). */
const PHASES = ["install", "build", "migrate", "start", "guard", "sell", "refunds", "sums", "hook", "widget"]

/** Writes the store for `version`, installs it with plain npm, checks what was installed. */
async function installStore(version: string, packed: Packed, dir: string, result: StoreCheckResult, artifacts: string): Promise<void> {
  const phase = phases(result, storeLog(version))
  const inRange = inPeerRange(version)
  await phase(inRange ? "install" : "install (outside the peer range: --legacy-peer-deps)", async () => {
    const env = storeEnv()
    const pins = starterPins(version, env)
    const { configFrom } = writeStoreApp({ dir, medusaVersion: version, pins, tarball: packed.tarball, packageName: packed.name })
    storeLog(version)(`medusa-config.ts: the snippet of ${configFrom}; the dashboard's ${Object.entries(pins).map(([k, v]) => `${k} ${v}`).join(", ")}`)
    const args = ["install", "--prefer-offline", "--no-audit", "--no-fund", ...(inRange ? [] : ["--legacy-peer-deps"])]
    const output = await runLogged("npm", args, { cwd: dir, env, logFile: path.join(artifacts, "npm-install.log") })
    if (inRange) {
      expect(output.split("\n").filter((l) => /ERESOLVE|peer dep/i.test(l) && l.includes(packed.name))).toEqual([])
    }
    const installed = (p: string) => JSON.parse(fs.readFileSync(path.join(dir, "node_modules", p, "package.json"), "utf8")).version
    expect(installed("@medusajs/medusa")).toBe(version)
    expect(installed("@medusajs/framework")).toBe(version)
    expect(installed(packed.name)).toBe(packed.version)
    // One router: the store's is the dashboard's (README: react-router-dom at the dashboard's version).
    expect(installed("react-router-dom")).toBe(pins["react-router-dom"])
    expect(fs.existsSync(path.join(dir, "node_modules", "@medusajs", "dashboard", "node_modules", "react-router-dom"))).toBe(false)
    // What was installed is the tarball's content, and its workflows export loads in the store.
    const files = execFileSync("tar", ["-tzf", packed.tarball], { encoding: "utf8" }).split("\n").filter((l) => l && !l.endsWith("/"))
    for (const f of files) expect(fs.existsSync(path.join(dir, "node_modules", packed.name, f.replace(/^package\//, "")))).toBe(true)
    const exported = execFileSync(process.execPath, ["-e", `console.log(Object.keys(require("${packed.name}/workflows")).join(","))`], { cwd: dir, env, encoding: "utf8" })
    expect(exported).toContain("applyRefundResultWorkflow")
  })
}

const describeInstall = skip ? describe.skip : describe

describeInstall(`installing the packed plugin into a clean store on each Medusa (${VERSIONS.join(", ")}; peer range ${peerRange().text})`, () => {
  const started = Date.now()
  let pg: PostgresConnection | null = null
  const runs = new Map<string, Promise<StoreCheckResult>>()
  const results: StoreCheckResult[] = []

  afterAll(async () => {
    await Promise.allSettled(runs.values())
    await pg?.stop()
    const wall = (Date.now() - started) / 1000
    const secs = (ms: number) => `${(ms / 1000).toFixed(0)} s`
    for (const r of results) log(`${r.medusaVersion}: ${r.phases.map((p) => `${p.name} ${p.ok ? "" : "FAILED "}${secs(p.ms)}`).join(", ")}; ${secs(r.ms)}`)
    log(`${results.length} store(s), ${PARALLEL} at a time: ${wall.toFixed(0)} s in all`)
    fs.writeFileSync(path.join(ARTIFACTS, "summary.json"), JSON.stringify({ peerRange: peerRange().text, parallel: PARALLEL, seconds: Math.round(wall), results }, null, 2) + "\n")
  }, 120_000)

  it("packs the runtime only: the tarball's file list; then installs and checks each store", async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    fs.rmSync(path.join(ARTIFACTS, "summary.json"), { force: true })
    const packed = await packPlugin(log)
    log(`tarball file list:\n${fileListing(packed)}`)
    expect(packageProblems(packed.files)).toEqual([])
    pg = await postgres()
    // the stores, PARALLEL at a time, each awaited by its own test below
    const finished = new Map<string, (r: StoreCheckResult) => void>()
    for (const v of VERSIONS) runs.set(v, new Promise<StoreCheckResult>((resolve) => finished.set(v, resolve)))
    void forEachLimited(VERSIONS, PARALLEL, async (version) => {
      const artifacts = path.join(ARTIFACTS, version)
      fs.rmSync(artifacts, { recursive: true, force: true })
      fs.mkdirSync(artifacts, { recursive: true })
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pagoefectivo-install-${version}-`))
      storeLog(version)(`store ${dir}; logs ${path.relative(REPO_ROOT, artifacts)}`)
      const result: StoreCheckResult = { name: version, medusaVersion: version, phases: [], ms: 0 }
      const t0 = Date.now()
      try {
        await installStore(version, packed, dir, result, artifacts)
        result.ms = Date.now() - t0
        await checkStore({ name: version, dir, medusaVersion: version, pg: pg!, artifacts, keepDatabase: keep }, result)
      } catch (e) {
        ;(result as StoreCheckResult & { error?: string }).error = (e as Error).message
        storeLog(version)(`FAILED: ${(e as Error).message.split("\n")[0]}`)
        result.ms = Date.now() - t0
      } finally {
        if (!keep) await fs.promises.rm(dir, { recursive: true, force: true }).catch(() => undefined)
        else storeLog(version)(`kept ${dir} (PAGOEFECTIVO_INSTALL_KEEP=1)`)
        results.push(result)
        finished.get(version)!(result)
      }
    })
  }, 300_000)

  for (const version of VERSIONS) {
    it(`Medusa ${version}: installs with plain npm, migrates, builds, starts, sells with a CIP, refunds (completed, rejected), the three sums agree, the admin panel renders`, async () => {
      const run = runs.get(version)
      if (!run) throw new Error("not run: the tarball was not packed")
      const result = (await run) as StoreCheckResult & { error?: string }
      if (result.error) throw new Error(result.error)
      expect(result.phases.filter((p) => !p.ok)).toEqual([])
      expect(result.phases.map((p) => p.name.split(" ")[0]).sort()).toEqual([...PHASES].sort())
      expect(result.sums).toEqual({ pagoefectivo: 50, medusa: 50, summary: 50, collection: 50, payment_status: "partially_refunded" })
      expect(result.pageErrors).toEqual([])
    }, 45 * 60_000)
  }
})
