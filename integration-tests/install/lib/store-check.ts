/**
 * One installed store, checked as its merchant would use it: what every install check runs once
 * the plugin is in the store's node_modules (by npm in install.spec.ts, by pnpm in a workspace's
 * apps/backend elsewhere). `checkStore` answers each phase's outcome and duration, and throws
 * with the failing phase's name and log tail at the first failure (later phases need it).
 *
 *  1. migrate   `medusa db:migrate` on a database of its own, and `medusa user`, beside
 *     build     `medusa build` (backend + admin, which must bundle the plugin's order panel);
 *  2. start     `npx pagoefectivo-sandbox` (the package's bin) and `medusa start` in .medusa/server
 *               with NODE_ENV=production, on free ports;
 *  3. guard     the Health route says this Medusa's tables are the ones the plugin writes;
 *  4. sell      over HTTP only: the admin API sets up a Peru region with PagoEfectivo, the store
 *               API buys with a CIP, the sandbox's control API pays it, the order shows captured;
 *  5. refunds   Medusa's Refund button (admin API) twice: S/ 50.00 that the sandbox completes,
 *               then S/ 30.00 that it rejects (one refund of a CIP at a time);
 *  6. sums      the three sums through the admin API: PagoEfectivo's live refunds = Medusa's
 *               refunds on the payment = the order's refunded total (= the collection's) = 50;
 *  7. hook      Medusa's own /hooks/payment route reaches the provider at this version's path;
 *  8. widget    the order's PagoEfectivo panel on this minor's dashboard, in Chromium: both
 *               refunds with their status, and no page error.
 */
import fs from "fs"
import path from "path"
import type { Browser } from "playwright-core"
import { dropDatabase, recreateDatabase } from "../../../scripts/lib/demo-db"
import { type GroupChild, REPO_ROOT, readLog, runChild, spawnLogged, tail, waitForHttp } from "../../../scripts/lib/medusa-process"
import type { PostgresConnection } from "../../../scripts/lib/postgres"
import { checkoutWithCip } from "../../../scripts/lib/storefront"
import { SANDBOX_DEFAULTS } from "../../../sandbox/server"
import { launchChromium } from "../../e2e/lib/browser"
import { freePort } from "../../e2e/lib/stack"
import { eventually } from "../../helpers/sandbox"
import { type Admin, PROVIDER_ID, adminLogin, setUpPeruStore } from "./admin-api"
import { hookPathFor } from "./medusa-versions"

export const ADMIN_EMAIL = "admin@install-check.pe"
export const ADMIN_PASSWORD = "install-check-password"

export type StoreUnderCheck = {
  /** Names its logs and database: "2.18.0", "pnpm-2.18.0"… */
  name: string
  /** The Medusa app's folder (its package.json has @medusajs/medusa; apps/backend in a workspace). */
  dir: string
  /** The installed @medusajs/medusa version (picks the webhook path, checked on the Health route). */
  medusaVersion: string
  pg: PostgresConnection
  /** Where this store's logs go (one folder per store). */
  artifacts: string
  log?: (s: string) => void
  /** Keep the database (PAGOEFECTIVO_INSTALL_KEEP=1). */
  keepDatabase?: boolean
}

export type Phase = { name: string; ok: boolean; ms: number; error?: string }
export type StoreCheckResult = { name: string; medusaVersion: string; phases: Phase[]; ms: number; sums?: Sums; pageErrors?: string[] }
export type Sums = { pagoefectivo: number; medusa: number; summary: number; collection: number; payment_status: string }

/** The environment of every command in a store: none of this repository's or npm's own. */
export function storeEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const dropped = /^(npm_|NPM_|PAGOEFECTIVO_|MEDUSA_|SANDBOX_|DB_|JEST_)|^(NODE_ENV|NODE_OPTIONS|TEST_TYPE|INIT_CWD|DATABASE_URL|REDIS_URL|LOG_LEVEL)$/
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!dropped.test(k)) env[k] = v
  return { ...env, MEDUSA_DISABLE_TELEMETRY: "true", ...extra }
}

/** A command in a folder, to completion, its output in `logFile`; a failure shows the log's tail. */
export async function runLogged(command: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<string> {
  const r = await runChild(spawnLogged(command, args, o))
  if (r.code !== 0) {
    throw new Error(`${command} ${args.join(" ")} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}; ${path.relative(REPO_ROOT, o.logFile)}:\n${tail(o.logFile, 40)}`)
  }
  return r.output
}

/**
 * What a store's commands run with: its database, the sandbox's credentials and URL, CORS for the
 * store's own origin, and secrets of its own (`label` tells the checks apart in a log).
 */
export function storeRunEnv(o: { databaseUrl: string; medusaUrl: string; sandboxUrl: string; label: string }): NodeJS.ProcessEnv {
  return storeEnv({
    DATABASE_URL: o.databaseUrl,
    PAGOEFECTIVO_ACCESS_KEY: SANDBOX_DEFAULTS.accessKey,
    PAGOEFECTIVO_SECRET_KEY: SANDBOX_DEFAULTS.secretKey,
    PAGOEFECTIVO_SERVICE_ID: String(SANDBOX_DEFAULTS.serviceId),
    PAGOEFECTIVO_BASE_URL: `${o.sandboxUrl}/v1`,
    STORE_CORS: o.medusaUrl,
    ADMIN_CORS: o.medusaUrl,
    AUTH_CORS: o.medusaUrl,
    JWT_SECRET: `${o.label}-jwt`,
    COOKIE_SECRET: `${o.label}-cookie`,
  })
}

const round = (n: number) => Math.round(n * 100) / 100

/**
 * Runs named phases in order, recording each one's outcome and duration in `result`; the first
 * failure throws, naming the store and the phase (with the result attached as `.result`).
 */
export function phases(result: StoreCheckResult, log: (s: string) => void) {
  return async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = Date.now()
    const secs = () => ((Date.now() - t0) / 1000).toFixed(1)
    try {
      const value = await fn()
      result.phases.push({ name, ok: true, ms: Date.now() - t0 })
      log(`${name}: ok (${secs()} s)`)
      return value
    } catch (e) {
      const error = (e as Error)?.message ?? String(e)
      result.phases.push({ name, ok: false, ms: Date.now() - t0, error })
      log(`${name}: FAILED (${secs()} s): ${error.split("\n")[0]}`)
      throw Object.assign(new Error(`[${result.name}] ${name}: ${error}`), { result })
    }
  }
}

export const storeLog = (name: string) => (m: string) => process.stderr.write(`[install ${name}] ${m}\n`)

/** Checks the store; `result` continues one the caller began (its install phase). */
export async function checkStore(s: StoreUnderCheck, result: StoreCheckResult = { name: s.name, medusaVersion: s.medusaVersion, phases: [], ms: 0 }): Promise<StoreCheckResult> {
  const log = s.log ?? storeLog(s.name)
  const started = Date.now() - result.ms
  const children: GroupChild[] = []
  let browser: Browser | undefined
  const dbName = `pagoefectivo_install_${s.name.replace(/[^a-z0-9]/gi, "_")}_${process.pid}`.toLowerCase()
  fs.mkdirSync(s.artifacts, { recursive: true })
  const logFile = (name: string) => path.join(s.artifacts, `${name}.log`)
  const phase = phases(result, log)

  const [medusaPort, sandboxPort] = [await freePort(), await freePort()]
  const medusaUrl = `http://localhost:${medusaPort}`
  const sandboxUrl = `http://localhost:${sandboxPort}`
  const env = storeRunEnv({ databaseUrl: `${s.pg.url}/${dbName}`, medusaUrl, sandboxUrl, label: "install-check" })
  const medusa = (name: string, args: string[]) => runLogged(path.join(s.dir, "node_modules", ".bin", "medusa"), args, { cwd: s.dir, env, logFile: logFile(name) })
  const sandbox = async (method: string, p: string, body?: unknown) => {
    const r = await fetch(sandboxUrl + p, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!r.ok) throw new Error(`sandbox ${method} ${p} answered ${r.status}: ${await r.text()}`)
    return r.json()
  }

  try {
    // side by side; both end before the first failure is thrown (the server is not stopped under a migration)
    const settled = await Promise.allSettled([
      phase("build", async () => {
        await medusa("medusa-build", ["build"])
        const assets = path.join(s.dir, ".medusa", "server", "public", "admin", "assets")
        const bundled = fs.readdirSync(assets).some((f) => f.endsWith(".js") && fs.readFileSync(path.join(assets, f), "utf8").includes("pagoefectivo-panel"))
        if (!bundled) throw new Error(`the admin build (${assets}) does not hold the plugin's order panel`)
      }),
      phase("migrate", async () => {
        await recreateDatabase(s.pg, dbName)
        await medusa("medusa-migrate", ["db:migrate"])
        await medusa("medusa-user", ["user", "-e", ADMIN_EMAIL, "-p", ADMIN_PASSWORD])
      }),
    ])
    for (const r of settled) if (r.status === "rejected") throw r.reason

    await phase("start", async () => {
      const sb = spawnLogged(path.join(s.dir, "node_modules", ".bin", "pagoefectivo-sandbox"), [], {
        cwd: s.dir,
        env: { ...env, SANDBOX_PORT: String(sandboxPort), PAGOEFECTIVO_NOTIFY_URL: `${medusaUrl}/webhooks/pagoefectivo` },
        logFile: logFile("sandbox"),
      })
      children.push(sb)
      const server = spawnLogged(path.join(s.dir, "node_modules", ".bin", "medusa"), ["start"], {
        cwd: path.join(s.dir, ".medusa", "server"),
        env: { ...env, PORT: String(medusaPort), NODE_ENV: "production" },
        logFile: logFile("medusa"),
      })
      children.push(server)
      await waitForHttp(`${sandboxUrl}/__sandbox/state`, sb, 30_000)
      await waitForHttp(`${medusaUrl}/health`, server, 180_000)
      const app = await fetch(`${medusaUrl}/app`)
      if (app.status !== 200 || !/<html/i.test(await app.text())) throw new Error(`/app answered ${app.status}, not the admin's page`)
    })

    const admin: Admin = await adminLogin(medusaUrl, ADMIN_EMAIL, ADMIN_PASSWORD)
    await phase("guard", async () => {
      const { medusa: m } = await admin.call("GET", "/admin/pagoefectivo/health")
      if (m?.version !== s.medusaVersion || m?.books_written !== true) throw new Error(`the Health route says ${JSON.stringify(m)}, not Medusa ${s.medusaVersion} with its books written`)
    })

    const orderOf = async (id: string) =>
      (
        await admin.call(
          "GET",
          `/admin/orders/${id}?fields=payment_status,summary.*,payment_collections.refunded_amount,payment_collections.payments.id,payment_collections.payments.provider_id,payment_collections.payments.refunds.amount`
        )
      ).order
    const { orderId, paymentId, cip } = await phase("sell", async () => {
      const shop = await setUpPeruStore(admin)
      // Refunds stay pending until this check settles them, as PagoEfectivo's would.
      await sandbox("PUT", "/__sandbox/config", { refunds: { autoSettle: "none" } })
      const { session, order } = await checkoutWithCip({ baseUrl: medusaUrl, publishableKey: shop.publishableKey }, { regionId: shop.regionId, variantId: shop.variantId, email: "rosa@example.pe" })
      if (!/^\d+$/.test(String(session.data.cip)) || session.data.amount !== "199.90") throw new Error(`the CIP session is ${JSON.stringify(session.data)}`)
      await sandbox("POST", `/__sandbox/cips/${session.data.cip}/pay`, { wait: true })
      const paid = await eventually(async () => {
        const o = await orderOf(order.id)
        return o.payment_status === "captured" && Number(o.summary.paid_total) > 0 ? o : null
      }, { what: "order captured", timeoutMs: 30_000 })
      const payment = paid.payment_collections[0].payments.find((p: { provider_id: string }) => p.provider_id === PROVIDER_ID)
      if (!payment) throw new Error(`order ${order.id} has no ${PROVIDER_ID} payment`)
      log(`order ${order.id}, CIP ${session.data.cip}`)
      return { orderId: order.id as string, paymentId: payment.id as string, cip: String(session.data.cip) }
    })

    const panel = async () => (await admin.call("GET", `/admin/pagoefectivo/orders/${orderId}`)) as { refunds: { refund_id: string; status: string; amount: string }[] }
    await phase("refunds", async () => {
      const settle = async (amount: number, verdict: "complete" | "reject", status: string) => {
        await admin.call("POST", `/admin/payments/${paymentId}/refund`, { amount })
        const refund = (await panel()).refunds.find((r) => r.status === "pending")
        if (!refund) throw new Error(`the refund of S/ ${amount} is not pending on the order's panel: ${JSON.stringify((await panel()).refunds)}`)
        await sandbox("POST", `/__sandbox/refunds/${refund.refund_id}/${verdict}`, verdict === "reject" ? { reason: "cuenta destino cerrada", wait: true } : { wait: true })
        await eventually(async () => ((await panel()).refunds.find((r) => r.refund_id === refund.refund_id)?.status === status ? true : null), {
          what: `refund ${refund.refund_id} ${status}`,
          timeoutMs: 30_000,
        })
      }
      await settle(50, "complete", "completed")
      await settle(30, "reject", "rejected")
    })

    result.sums = await phase("sums", async () => {
      let last: Sums | null = null
      const sums = async (): Promise<Sums> => {
        const order = await orderOf(orderId)
        const payment = order.payment_collections[0].payments.find((p: { id: string }) => p.id === paymentId)
        const gateway = (await sandbox("GET", "/__sandbox/state")).refunds as { cip: string; status: string; amount: string }[]
        return (last = {
          pagoefectivo: round(gateway.filter((r) => r.cip === cip && r.status !== "rejected").reduce((t, r) => t + Number(r.amount), 0)),
          medusa: round((payment.refunds ?? []).reduce((t: number, r: { amount: number }) => t + Number(r.amount), 0)),
          summary: round(Number(order.summary.refunded_total)),
          collection: round(Number(order.payment_collections[0].refunded_amount)),
          payment_status: order.payment_status,
        })
      }
      try {
        return await eventually(async () => {
          const x = await sums()
          return x.pagoefectivo === 50 && x.medusa === 50 && x.summary === 50 && x.collection === 50 && x.payment_status === "partially_refunded" ? x : null
        }, { what: "the three sums at S/ 50.00", timeoutMs: 30_000 })
      } catch {
        throw new Error(`the sums disagree (want 50 each, partially_refunded): ${JSON.stringify(last)}`)
      }
    })

    await phase("hook", async () => {
      const hookPath = hookPathFor(s.medusaVersion)
      const res = await fetch(medusaUrl + hookPath, { method: "POST", headers: { "content-type": "application/json" }, body: '{"eventType":"cip.paid"}' })
      if (res.status !== 200) throw new Error(`${hookPath} answered ${res.status}`)
      // Core hands it to the provider 5 s later; unsigned, the provider says so and ignores it.
      await eventually(async () => readLog(logFile("medusa")).includes("ignored a notification on /hooks/payment with a missing or wrong PE-Signature"), {
        what: `the provider's warning about the unsigned notification on ${hookPath} in medusa.log`,
        timeoutMs: 30_000,
        intervalMs: 500,
      })
    })

    result.pageErrors = await phase("widget", async () => {
      const launched = await launchChromium()
      browser = launched.browser
      const { page } = launched
      // production behind TLS, as a merchant serves it: the proxy says https, so the session cookie is Secure
      await launched.context.setExtraHTTPHeaders({ "x-forwarded-proto": "https" })
      const errors: string[] = []
      page.on("pageerror", (e) => errors.push(e.message))
      page.setDefaultTimeout(60_000)
      try {
        await page.goto(`${medusaUrl}/app/login`)
        await page.getByPlaceholder("Email").fill(ADMIN_EMAIL)
        await page.getByPlaceholder("Password").fill(ADMIN_PASSWORD)
        await page.getByRole("button", { name: "Continue with Email" }).click()
        await page.waitForURL((url) => !url.pathname.endsWith("/login"))
        await page.goto(`${medusaUrl}/app/orders/${orderId}`)
        const widget = page.getByTestId("pagoefectivo-panel")
        await widget.waitFor()
        await widget.getByTestId("pagoefectivo-cip-code").filter({ hasText: cip }).waitFor()
        await widget.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Completed")`).waitFor()
        await widget.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Rejected")`).waitFor()
        // what Medusa's own page draws around it lives too (the order's summary)
        await page.getByText("Summary").first().waitFor()
      } catch (e) {
        await page.screenshot({ path: path.join(s.artifacts, "widget-FAILED.png") }).catch(() => undefined)
        throw Object.assign(e as Error, { message: `${(e as Error).message}${errors.length ? `\npage errors: ${errors.join(" | ")}` : ""}` })
      }
      await page.screenshot({ path: path.join(s.artifacts, "widget.png") }).catch(() => undefined)
      if (errors.length) throw new Error(`the order page had ${errors.length} page error(s): ${errors.join(" | ")}`)
      return errors
    })
    return result
  } finally {
    await browser?.close().catch(() => undefined)
    for (const c of children.reverse()) await c.stop(10_000).catch(() => undefined)
    if (!s.keepDatabase) await dropDatabase(s.pg, dbName).catch((e) => log(`could not drop ${dbName}: ${e.message}`))
    result.ms = Date.now() - started
    fs.writeFileSync(path.join(s.artifacts, "result.json"), JSON.stringify(result, null, 2) + "\n")
  }
}
