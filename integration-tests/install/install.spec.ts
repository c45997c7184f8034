/**
 * The install check: the plugin as a merchant installs it, into a store that has nothing else.
 *
 *   npm test -- integration-tests/install        (the fourth jest run of npm test; TEST_TYPE=install)
 *
 * 1. packs the plugin (integration-tests/install/lib/pack.ts; the same tarball as the unit run's
 *    export check) and prints the tarball's file list;
 * 2. writes a store into a temporary folder: a package.json with Medusa at the lowest version of
 *    the peer range (PAGOEFECTIVO_INSTALL_MEDUSA_VERSION to try another), react-router-dom at the
 *    dashboard's version, the tarball; README's own medusa-config.ts snippet (lib/store-app.ts);
 * 3. `npm install --prefer-offline` (npm's cache makes it quick after the first time) — without
 *    --legacy-peer-deps: an unmet peer range fails here with ERESOLVE;
 * 4. `npx medusa db:migrate` on a database of its own (and `medusa user`) beside `npx medusa
 *    build` (backend + admin, which must bundle the plugin's order panel);
 * 5. `npx pagoefectivo-sandbox` (the package's bin) and `medusa start` in .medusa/server with
 *    NODE_ENV=production, on free ports;
 * 6. over HTTP only: the admin API sets up a Peru region with PagoEfectivo, a product, shipping and
 *    a publishable key; the store API buys with a CIP; the sandbox's control API pays it; the order
 *    shows captured; the admin API refunds S/ 50.00; the sandbox completes the refund; the order's
 *    refunded total is S/ 50.00 and the plugin's panel route shows the refund completed;
 * 7. Medusa's own /hooks/payment route reaches the provider at the path README gives for the version.
 *
 * Logs: integration-tests/install/artifacts/ (git-ignored). The temporary store and its database
 * are removed afterwards (PAGOEFECTIVO_INSTALL_KEEP=1 keeps them). PAGOEFECTIVO_SKIP_INSTALL_CHECK=1
 * skips it on a developer's machine; in CI (CI=true) it always runs.
 */
import { execFileSync } from "child_process"
import fs from "fs"
import os from "os"
import path from "path"
import { dropDatabase, recreateDatabase } from "../../scripts/lib/demo-db"
import { type GroupChild, REPO_ROOT, readLog, runChild, spawnLogged, tail } from "../../scripts/lib/medusa-process"
import type { PostgresConnection } from "../../scripts/lib/postgres"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { freePort, postgres, timed as timedStep } from "../e2e/lib/stack"
import { eventually } from "../helpers/sandbox"
import { type Admin, type PeruStore, adminLogin, setUpPeruStore } from "./lib/admin-api"
import { type Packed, fileListing, packPlugin, packageProblems } from "./lib/pack"
import { lowestSupportedMedusa, writeStoreApp } from "./lib/store-app"

const ARTIFACTS = path.join(REPO_ROOT, "integration-tests", "install", "artifacts")
const inCi = !!process.env.CI && process.env.CI !== "false"
const skip = !inCi && process.env.PAGOEFECTIVO_SKIP_INSTALL_CHECK === "1"
if (skip) process.stderr.write("[install] SKIPPED integration-tests/install/install.spec.ts: PAGOEFECTIVO_SKIP_INSTALL_CHECK=1 (in CI it always runs)\n")

const MEDUSA_VERSION = process.env.PAGOEFECTIVO_INSTALL_MEDUSA_VERSION || lowestSupportedMedusa()
const ADMIN_EMAIL = "admin@install-check.pe"
const ADMIN_PASSWORD = "install-check-password"

const log = (s: string) => process.stderr.write(`[install] ${s}\n`)

/** The environment of every command in the store: none of this repository's or npm's own. */
function storeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const dropped = /^(npm_|NPM_|PAGOEFECTIVO_|MEDUSA_|SANDBOX_|DB_|JEST_)|^(NODE_ENV|NODE_OPTIONS|TEST_TYPE|INIT_CWD|DATABASE_URL|REDIS_URL|LOG_LEVEL)$/
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!dropped.test(k)) env[k] = v
  return { ...env, MEDUSA_DISABLE_TELEMETRY: "true", ...extra }
}

const timed = <T>(timings: Record<string, number>, name: string, fn: () => Promise<T>) => timedStep(timings, name, fn, log)

/** Polls `url` until it answers 2xx, or the child dies, or `ms` pass. */
async function waitForHttp(url: string, child: GroupChild, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (!child.running) throw new Error(`${path.basename(child.logFile, ".log")} exited before ${url} answered:\n${tail(child.logFile, 40)}`)
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)
    if (ok) return
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${ms / 1000} s:\n${tail(child.logFile, 40)}`)
    await new Promise((r) => setTimeout(r, 500))
  }
}

const describeInstall = skip ? describe.skip : describe

describeInstall(`installing the packed plugin into a clean store (Medusa ${MEDUSA_VERSION})`, () => {
  const timings: Record<string, number> = {}
  const started = Date.now()
  let packed: Packed
  let dir = ""
  let env: NodeJS.ProcessEnv = {}
  let pg: PostgresConnection | null = null
  const dbName = process.env.PAGOEFECTIVO_INSTALL_DB || `pagoefectivo_install_${process.pid}_${Date.now().toString(36)}`
  const children: GroupChild[] = []
  let medusaUrl = ""
  let sandboxUrl = ""
  let failedAt: string | null = null

  /** Each step runs only if the ones before it passed (they build on each other). */
  const step = (name: string, fn: () => Promise<void>, timeoutMs?: number) =>
    it(
      name,
      async () => {
        if (failedAt) throw new Error(`not run: "${failedAt}" failed`)
        try {
          await fn()
        } catch (e) {
          failedAt = name
          throw e
        }
      },
      timeoutMs
    )

  /** A command in the store, to completion; a failure shows its log's tail. */
  const run = async (name: string, command: string, args: string[], cwd = dir) => {
    const logFile = path.join(ARTIFACTS, `${name}.log`)
    const r = await runChild(spawnLogged(command, args, { cwd, env, logFile }))
    if (r.code !== 0) throw new Error(`${command} ${args.join(" ")} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}; ${path.relative(REPO_ROOT, logFile)}:\n${tail(logFile, 40)}`)
    return r.output
  }

  beforeAll(async () => {
    fs.rmSync(ARTIFACTS, { recursive: true, force: true })
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pagoefectivo-install-"))
    log(`store: ${dir}; database: ${dbName}; Medusa ${MEDUSA_VERSION}; logs: ${path.relative(REPO_ROOT, ARTIFACTS)}`)
  })

  afterAll(async () => {
    const keep = process.env.PAGOEFECTIVO_INSTALL_KEEP === "1"
    await timed(timings, "stop", async () => {
      for (const c of children.reverse()) await c.stop(10_000).catch(() => undefined)
    })
    if (pg) {
      if (!keep) await dropDatabase(pg, dbName).catch((e) => log(`could not drop ${dbName}: ${e.message}`))
      await pg.stop()
    }
    if (dir && !keep) await timed(timings, "remove the store", () => fs.promises.rm(dir, { recursive: true, force: true }))
    else if (dir) log(`kept ${dir} and database ${dbName} (PAGOEFECTIVO_INSTALL_KEEP=1)`)
    log(`timings: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(", ")}; total ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })

  step("packs the runtime only: the tarball's file list", async () => {
    packed = await timed(timings, "pack", () => packPlugin(log))
    log(`tarball file list:\n${fileListing(packed)}`)
    expect(packageProblems(packed.files)).toEqual([])
  }, 300_000)

  step(`installs into a fresh store on Medusa ${MEDUSA_VERSION} with plain npm install (no --legacy-peer-deps)`, async () => {
    const rrd = execFileSync("npm", ["view", `@medusajs/dashboard@${MEDUSA_VERSION}`, "dependencies.react-router-dom", "--prefer-offline"], {
      encoding: "utf8",
      env: storeEnv({}),
    }).trim()
    expect(rrd).toMatch(/^7\./)
    const { configFrom } = writeStoreApp({ dir, medusaVersion: MEDUSA_VERSION, reactRouterDom: rrd, tarball: packed.tarball, packageName: packed.name })
    log(`medusa-config.ts: the snippet of ${configFrom}; react-router-dom ${rrd} (the dashboard's)`)

    pg = await postgres()
    await recreateDatabase(pg, dbName)
    const [medusaPort, sandboxPort] = [await freePort(), await freePort()]
    medusaUrl = `http://localhost:${medusaPort}`
    sandboxUrl = `http://localhost:${sandboxPort}`
    env = storeEnv({
      DATABASE_URL: `${pg.url}/${dbName}`,
      PAGOEFECTIVO_ACCESS_KEY: SANDBOX_DEFAULTS.accessKey,
      PAGOEFECTIVO_SECRET_KEY: SANDBOX_DEFAULTS.secretKey,
      PAGOEFECTIVO_SERVICE_ID: String(SANDBOX_DEFAULTS.serviceId),
      PAGOEFECTIVO_BASE_URL: `${sandboxUrl}/v1`,
      STORE_CORS: medusaUrl,
      ADMIN_CORS: medusaUrl,
      AUTH_CORS: medusaUrl,
      JWT_SECRET: "install-check-jwt",
      COOKIE_SECRET: "install-check-cookie",
    })

    const output = await timed(timings, "npm install", () => run("npm-install", "npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"]))
    expect(output).not.toMatch(/legacy-peer-deps/)
    expect(output.split("\n").filter((l) => /ERESOLVE|peer dep/i.test(l) && l.includes(packed.name))).toEqual([])
    const version = (p: string) => JSON.parse(fs.readFileSync(path.join(dir, "node_modules", p, "package.json"), "utf8")).version
    expect(version("@medusajs/medusa")).toBe(MEDUSA_VERSION)
    expect(version("@medusajs/framework")).toBe(MEDUSA_VERSION)
    expect(version(packed.name)).toBe(packed.version)
    // One router: the store's is the dashboard's (README: react-router-dom at the dashboard's version).
    expect(version("react-router-dom")).toBe(rrd)
    expect(fs.existsSync(path.join(dir, "node_modules", "@medusajs", "dashboard", "node_modules", "react-router-dom"))).toBe(false)
    // What was installed is the tarball's content, and its workflows export loads in the store.
    const installedFiles = execFileSync("tar", ["-tzf", packed.tarball], { encoding: "utf8" }).split("\n").filter((l) => l && !l.endsWith("/"))
    for (const f of installedFiles) expect(fs.existsSync(path.join(dir, "node_modules", packed.name, f.replace(/^package\//, "")))).toBe(true)
    const exported = execFileSync(process.execPath, ["-e", `console.log(Object.keys(require("${packed.name}/workflows")).join(","))`], { cwd: dir, env, encoding: "utf8" })
    expect(exported).toContain("applyRefundResultWorkflow")
  }, 900_000)

  step("migrates, builds the backend and the admin with the plugin's order panel, and starts", async () => {
    const npx = (name: string, args: string[]) => run(name, "npx", ["--no", "--", ...args])
    await timed(timings, "build + migrate", () =>
      Promise.all([
        timed(timings, "medusa build", () => npx("medusa-build", ["medusa", "build"])),
        (async () => {
          await timed(timings, "medusa db:migrate", () => npx("medusa-migrate", ["medusa", "db:migrate"]))
          await npx("medusa-user", ["medusa", "user", "-e", ADMIN_EMAIL, "-p", ADMIN_PASSWORD])
        })(),
      ])
    )
    const server = path.join(dir, ".medusa", "server")
    const assets = path.join(server, "public", "admin", "assets")
    const bundled = fs.readdirSync(assets).some((f) => f.endsWith(".js") && fs.readFileSync(path.join(assets, f), "utf8").includes("pagoefectivo-panel"))
    expect(bundled).toBe(true)

    await timed(timings, "start sandbox + medusa", async () => {
      const sandboxPort = new URL(sandboxUrl).port
      const sandbox = spawnLogged("npx", ["--no", "--", "pagoefectivo-sandbox"], {
        cwd: dir,
        env: { ...env, SANDBOX_PORT: sandboxPort, PAGOEFECTIVO_NOTIFY_URL: `${medusaUrl}/webhooks/pagoefectivo` },
        logFile: path.join(ARTIFACTS, "sandbox.log"),
      })
      children.push(sandbox)
      const medusa = spawnLogged(path.join(dir, "node_modules", ".bin", "medusa"), ["start"], {
        cwd: server,
        env: { ...env, PORT: new URL(medusaUrl).port, NODE_ENV: "production" },
        logFile: path.join(ARTIFACTS, "medusa.log"),
      })
      children.push(medusa)
      await waitForHttp(`${sandboxUrl}/__sandbox/state`, sandbox, 30_000)
      await waitForHttp(`${medusaUrl}/health`, medusa, 180_000)
    })
    const app = await fetch(`${medusaUrl}/app`)
    expect(app.status).toBe(200)
    expect(await app.text()).toMatch(/<html/i)
  }, 900_000)

  let admin: Admin
  let shop: PeruStore
  let orderId = ""
  let paymentId = ""

  const sandbox = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(sandboxUrl + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!r.ok) throw new Error(`sandbox ${method} ${p} answered ${r.status}: ${await r.text()}`)
    return r.json()
  }
  const orderOf = async (id: string) =>
    (await admin.call("GET", `/admin/orders/${id}?fields=payment_status,summary.*,payment_collections.payments.id,payment_collections.payments.provider_id`)).order

  step("sells with a CIP through the store API, and the sandbox's payment marks the order captured", async () => {
    admin = await adminLogin(medusaUrl, ADMIN_EMAIL, ADMIN_PASSWORD)
    shop = await timed(timings, "admin setup", () => setUpPeruStore(admin))
    // Refunds stay pending until this spec settles them, as PagoEfectivo's would.
    await sandbox("PUT", "/__sandbox/config", { refunds: { autoSettle: "none" } })

    const { session, order } = await timed(timings, "checkout", () =>
      checkoutWithCip({ baseUrl: medusaUrl, publishableKey: shop.publishableKey }, { regionId: shop.regionId, variantId: shop.variantId, email: "rosa@example.pe" })
    )
    expect(session.data.cip).toMatch(/^\d+$/)
    expect(session.data.amount).toBe("199.90")
    orderId = order.id
    log(`order ${orderId}, CIP ${session.data.cip}`)

    await sandbox("POST", `/__sandbox/cips/${session.data.cip}/pay`, { wait: true })
    const paid = await eventually(async () => {
      const o = await orderOf(orderId)
      return o.payment_status === "captured" && Number(o.summary.paid_total) > 0 ? o : null
    }, { what: "order captured", timeoutMs: 30_000 })
    const payment = paid.payment_collections[0].payments.find((p: { provider_id: string }) => p.provider_id === "pp_pagoefectivo_pagoefectivo")
    expect(payment).toBeDefined()
    paymentId = payment.id
  }, 300_000)

  step("refunds S/ 50.00 with the admin API; the sandbox completes it; the order's refunded total is S/ 50.00", async () => {
    await admin.call("POST", `/admin/payments/${paymentId}/refund`, { amount: 50 })
    const panel = async () => (await admin.call("GET", `/admin/pagoefectivo/orders/${orderId}`)) as { refunds: { refund_id: string; status: string; reference_id: string | null }[] }
    const pending = (await panel()).refunds
    expect(pending).toHaveLength(1)
    expect(pending[0].status).toBe("pending")

    await sandbox("POST", `/__sandbox/refunds/${pending[0].refund_id}/complete`, { wait: true })
    const done = await eventually(async () => {
      const r = (await panel()).refunds[0]
      return r.status === "completed" ? r : null
    }, { what: "refund completed", timeoutMs: 30_000 })
    expect(done.reference_id).toBeTruthy()
    const order = await orderOf(orderId)
    expect(Number(order.summary.refunded_total)).toBe(50)
    expect(order.payment_status).toBe("partially_refunded")
  }, 120_000)

  // README: before 2.21.2 Medusa prefixes `pp_` to the route's provider itself.
  const [, minor, patch] = MEDUSA_VERSION.split(".").map(Number)
  const hookPath = minor === 21 && patch < 2 ? "/hooks/payment/pagoefectivo_pagoefectivo" : "/hooks/payment/pp_pagoefectivo_pagoefectivo"
  step(`Medusa's own webhook route reaches the provider at ${hookPath}, as README says for ${MEDUSA_VERSION}`, async () => {
    const res = await fetch(medusaUrl + hookPath, { method: "POST", headers: { "content-type": "application/json" }, body: '{"eventType":"cip.paid"}' })
    expect(res.status).toBe(200)
    // Core hands it to the provider 5 s later; unsigned, the provider says so and ignores it.
    await eventually(async () => readLog(path.join(ARTIFACTS, "medusa.log")).includes("ignored a notification on /hooks/payment with a missing or wrong PE-Signature"), {
      what: "the provider's warning about the unsigned notification in medusa.log",
      timeoutMs: 30_000,
      intervalMs: 500,
    })
  }, 60_000)
})
