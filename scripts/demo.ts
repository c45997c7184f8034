/**
 * `npm run demo [-- --once] [-- --no-build] [-- --no-admin]`
 *
 * The whole story on one machine, printing each step with its timing:
 *
 *   1. PostgreSQL: DATABASE_URL, else localhost:5432, else an embedded server in .data/postgres
 *      (scripts/lib/postgres.ts), and on it the database medusa_pagoefectivo_demo, created
 *      afresh at every run (unless DATABASE_URL names a database, which is used as it is). Fresh
 *      because the sandbox's CIPs live in memory and are numbered from 2523136 at every start:
 *      see scripts/lib/demo-db.ts.
 *   2. medusa db:migrate                                        (.data/demo-migrate.log)
 *   3. the Peru store seed, src/scripts/seed-peru-store.ts      (.data/demo-seed.log)
 *   4. the admin user admin@tienda.pe / supersecret             (.data/demo-user.log)
 *   5. the PagoEfectivo sandbox, in this process, on SANDBOX_PORT (4010), notifying Medusa's
 *      webhook                                                  (.data/sandbox.log)
 *   6. medusa build + medusa start in .medusa/server, on MEDUSA_PORT (9000), admin at /app
 *                                                   (.data/demo-build.log, .data/medusa.log)
 *   7. the shopper's storefront page on STOREFRONT_PORT (8000): the storefront kit's voucher on
 *      a one-product store, built with esbuild and talking to the real store API
 *      (scripts/lib/demo-storefront.ts)
 *   8. a shopper buys through the store API (scripts/lib/storefront.ts), the sandbox pays the
 *      CIP, and the admin API shows the order captured.
 *
 * Then everything keeps running until Ctrl-C (SIGINT/SIGTERM/SIGHUP), which stops Medusa (its
 * whole process group), the sandbox and the embedded PostgreSQL (when this run started it) and
 * exits 0.
 *
 * Flags:
 *   --once       (or DEMO_ONCE=1) stop everything and exit 0 once step 7 has succeeded
 *   --no-build   reuse the existing app build in .medusa/server (built anyway when missing)
 *   --no-admin   no admin: MEDUSA_ADMIN_DISABLED=true, no build, `medusa start` from the repo
 *                root on the TypeScript sources (quick runs)
 *
 * Environment: DATABASE_URL, PAGOEFECTIVO_DEMO_DB (the database's name, medusa_pagoefectivo_demo),
 * MEDUSA_PORT (9000), SANDBOX_PORT (4010), STOREFRONT_PORT (8000), PAGOEFECTIVO_FORCE_EMBEDDED_PG=1, PAGOEFECTIVO_ACCESS_KEY / _SECRET_KEY / _SERVICE_ID (the
 * sandbox and Medusa both get them; SANDBOX_DEFAULTS otherwise).
 *
 * Note: `npm run build` (medusa plugin:build) also writes .medusa/server; the demo's app build
 * (`medusa build`) replaces it with the app (backend + admin in public/admin), and the next
 * `npm run build` replaces that again. Neither needs the other's output.
 *
 * `medusa start` in .medusa/server needs no `npm install` there: Node and the Medusa CLI resolve
 * every package by walking up to the repo's node_modules, and the compiled medusa-config.js reads
 * the same environment variables. It runs with NODE_ENV=demo rather than Medusa's default
 * "production": under "production" Medusa marks the admin session cookie Secure, express-session
 * then never sends it over plain http://localhost, and the admin's login at /app bounces back to
 * the login page. Any NODE_ENV other than development/production/staging serves the built admin
 * with a plain cookie.
 */
import fs from "fs"
import path from "path"
import { ensurePostgres, type PostgresConnection } from "./lib/postgres"
import { checkoutWithCip, type StoreApi } from "./lib/storefront"
import { startDemoStorefront } from "./lib/demo-storefront"
import { REPO_ROOT, sleep, stopStaleMedusa } from "./lib/medusa-process"
import { medusaSteps } from "./lib/medusa-steps"
import { checkPorts, portFromEnv } from "./lib/ports"
import { Shutdown } from "./lib/shutdown"
import { StepError, bold, box, detail, dim, green, maskUrl, out, rel, stepError, stepPrinter, warn } from "./lib/steps"
import { AdminLoginError, adminToken, createAdminUser, freshDatabase, migrateStore, type Seeded, type SetupCommand, seedStore } from "./lib/store-setup"
import { SANDBOX_DEFAULTS, startSandbox, type SandboxHandle } from "../sandbox/server"

// ---------------------------------------------------------------- settings

/** PAGOEFECTIVO_DEMO_DB: another name, so that two checkouts can run the demo at once (with other ports). */
const DEMO_DB = process.env.PAGOEFECTIVO_DEMO_DB || "medusa_pagoefectivo_demo"
const ADMIN = { email: "admin@tienda.pe", password: "supersecret" }
const SHOPPER_EMAIL = "rosa@example.pe"
const HEALTH_TIMEOUT_MS = 120_000
const CAPTURE_TIMEOUT_MS = 60_000

const DATA_DIR = path.join(REPO_ROOT, ".data")
const LOGS = {
  migrate: path.join(DATA_DIR, "demo-migrate.log"),
  seed: path.join(DATA_DIR, "demo-seed.log"),
  user: path.join(DATA_DIR, "demo-user.log"),
  build: path.join(DATA_DIR, "demo-build.log"),
  medusa: path.join(DATA_DIR, "medusa.log"),
  sandbox: path.join(DATA_DIR, "sandbox.log"),
}
const MEDUSA_PID_FILE = path.join(DATA_DIR, "demo-medusa.pid")
/** The embedded server's data (scripts/lib/postgres.ts's default, passed explicitly). */
const PG_DATA_DIR = path.join(DATA_DIR, "postgres")

// ---------------------------------------------------------------- arguments

const USAGE = `usage: npm run demo [-- --once] [-- --no-build] [-- --no-admin]
  --once      stop everything and exit 0 after the scripted purchase (also DEMO_ONCE=1)
  --no-build  reuse the existing build in .medusa/server
  --no-admin  no admin, no build: medusa start from the repo root
environment: DATABASE_URL, PAGOEFECTIVO_DEMO_DB, MEDUSA_PORT (9000), SANDBOX_PORT (4010), STOREFRONT_PORT (8000),
  PAGOEFECTIVO_FORCE_EMBEDDED_PG=1`

function parseArgs(argv: string[]) {
  const flags = { once: false, noBuild: false, noAdmin: false }
  for (const a of argv) {
    if (a === "--once") flags.once = true
    else if (a === "--no-build") flags.noBuild = true
    else if (a === "--no-admin") flags.noAdmin = true
    else if (a === "-h" || a === "--help") {
      console.log(USAGE)
      process.exit(0)
    } else {
      console.error(`unknown argument: ${a}\n${USAGE}`)
      process.exit(2)
    }
  }
  const envOnce = process.env.DEMO_ONCE
  if (envOnce && !["0", "false", "no", "off"].includes(envOnce.toLowerCase())) flags.once = true
  return flags
}

/** A port from the environment; a bad value fails the "settings" step. */
function envPort(name: string, fallback: number): number {
  try {
    return portFromEnv(name, fallback)
  } catch (e) {
    return stepError("settings")(e)
  }
}

// ---------------------------------------------------------------- what is running

const { step, phase, record, printTimings } = stepPrinter(8)
const shutdown = new Shutdown({ medusaPidFile: MEDUSA_PID_FILE, pgDataDir: PG_DATA_DIR })
const running = shutdown.running
const medusa = medusaSteps({ shutdown, phase, logs: LOGS, pidFile: MEDUSA_PID_FILE, healthTimeoutMs: HEALTH_TIMEOUT_MS })
/** DATABASE_URL named the database: it was not created afresh. */
let keptDatabase = false

// ---------------------------------------------------------------- steps

type Flags = ReturnType<typeof parseArgs>

async function checkDemoPorts(medusaPort: number, sandboxPort: number, storefrontPort: number) {
  const stale = await stopStaleMedusa(MEDUSA_PID_FILE)
  if (stale) out(dim(`stopped a Medusa (pid ${stale}) left running by an earlier demo`))
  const wanted = [
    { port: medusaPort, env: "MEDUSA_PORT", what: "Medusa", alternative: medusaPort === 9000 ? 9100 : undefined },
    { port: sandboxPort, env: "SANDBOX_PORT", what: "PagoEfectivo sandbox", alternative: sandboxPort === 4010 ? 4011 : undefined, suspect: "an `npm run sandbox` still running?" },
    { port: storefrontPort, env: "STOREFRONT_PORT", what: "the demo storefront" },
  ]
  await checkPorts(wanted, "npm run demo").catch(stepError("ports"))
}

async function postgresStep(): Promise<string> {
  return step("PostgreSQL", "PostgreSQL", async () => {
    let pg: PostgresConnection
    try {
      pg = await ensurePostgres({ dataDir: PG_DATA_DIR, log: (s) => detail(s) })
    } catch (e) {
      throw new StepError("PostgreSQL", (e as Error).message, fs.existsSync(`${PG_DATA_DIR}.log`) ? `${PG_DATA_DIR}.log` : undefined)
    }
    running.pg = pg
    // DATABASE_URL naming a database: use it as it is (ensurePostgres ignores DATABASE_URL when
    // PAGOEFECTIVO_FORCE_EMBEDDED_PG is set, and then so do we).
    if (pg.source === "env") {
      const given = new URL(process.env.DATABASE_URL!)
      if (given.pathname.replace(/^\//, "")) {
        detail(`database ${decodeURIComponent(given.pathname.slice(1))} (named by DATABASE_URL, used as it is)`)
        keptDatabase = true
        return process.env.DATABASE_URL!
      }
    }
    let fresh: Awaited<ReturnType<typeof freshDatabase>>
    try {
      fresh = await freshDatabase(pg, DEMO_DB)
    } catch (e) {
      throw new StepError("PostgreSQL", `could not create the database ${DEMO_DB}: ${(e as Error).message}`)
    }
    detail(`database ${DEMO_DB} ${fresh.existed ? "created afresh (the sandbox starts empty, so does the store)" : "created"}: ${maskUrl(fresh.databaseUrl)}`)
    return fresh.databaseUrl
  })
}

/** The admin's token; with `checkCookie`, also what the admin at /app does next: trade it for a session cookie. */
async function adminLogin(baseUrl: string, checkCookie: boolean): Promise<string> {
  let token: string
  try {
    token = await adminToken(baseUrl, ADMIN)
  } catch (e) {
    if (!(e instanceof AdminLoginError)) throw e
    const hint = e.status === 401 ? ` (the user existed before this run with another password? reset it or use another DATABASE_URL)` : ""
    throw new StepError("purchase", e.message + hint)
  }
  if (checkCookie) {
    const s = await fetch(`${baseUrl}/auth/session`, { method: "POST", headers: { authorization: `Bearer ${token}` } })
    const cookie = s.headers.get("set-cookie")
    if (s.ok && cookie) detail(`admin session cookie issued (browser login at /app works over http)`)
    else warn(`POST /auth/session answered ${s.status} without a session cookie: a browser login at /app will not stick`)
  }
  return token
}

async function adminOrder(baseUrl: string, token: string, orderId: string) {
  const res = await fetch(`${baseUrl}/admin/orders/${orderId}?fields=id,display_id,payment_status`, {
    headers: { authorization: `Bearer ${token}` },
  })
  const body: any = await res.json().catch(() => ({}))
  if (!res.ok) throw new StepError("purchase", `GET /admin/orders/${orderId} answered ${res.status} ${JSON.stringify(body)}`, LOGS.medusa)
  return body.order as { id: string; display_id: number; payment_status: string }
}

async function purchaseStep(baseUrl: string, seeded: Seeded, sandbox: SandboxHandle, flags: Flags) {
  return step(`Purchase through the store API as ${SHOPPER_EMAIL}`, "purchase", async () => {
    const store: StoreApi = { baseUrl, publishableKey: seeded.publishableKey }
    let checkout: Awaited<ReturnType<typeof checkoutWithCip>>
    try {
      checkout = await checkoutWithCip(store, {
        regionId: seeded.regionId,
        variantId: seeded.variantId,
        email: SHOPPER_EMAIL,
        onStep: (name, ms) => detail(`${name.padEnd(48)} ${String(ms).padStart(5)} ms`),
      })
    } catch (e) {
      throw new StepError("purchase", `the store API checkout failed: ${(e as Error).message}`, LOGS.medusa)
    }
    const { session, order } = checkout
    const cip = session.data.cip
    detail(bold(`CIP ${cip}  ·  ${session.data.currency} ${session.data.amount}  ·  order #${order.display_id} (${order.id})`))
    detail(`voucher ${session.data.cipUrl}`)

    const t0 = performance.now()
    const token = await adminLogin(baseUrl, !flags.noAdmin)
    const before = await adminOrder(baseUrl, token, order.id)
    const reusedCip = keptDatabase && before.display_id > 1
    if (reusedCip) {
      warn(`this database already held orders, and the sandbox numbers CIPs from 2523136 at every start:`)
      warn(`CIP ${cip} may be an earlier order's, and its payment be taken for a repeat`)
    }
    detail(`admin login; order #${before.display_id} payment_status ${before.payment_status}  ${dim(`${Math.round(performance.now() - t0)} ms`)}`)

    // The shopper pays at an agent or in their bank app; here the sandbox does.
    const paidAt = performance.now()
    const pay = await fetch(`${sandbox.url}/__sandbox/cips/${cip}/pay`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wait: true }),
    })
    if (!pay.ok) throw new StepError("purchase", `the sandbox refused to pay CIP ${cip}: ${pay.status} ${await pay.text()}`, LOGS.sandbox)
    const delivery = [...sandbox.snapshot().deliveries].reverse().find((d) => d.eventType === "cip.paid" && d.key === String(cip))
    detail(
      `sandbox paid CIP ${cip}; cip.paid → ${delivery?.url ?? "(no notify URL)"}: ${delivery?.outcome ?? "?"}` +
        `${delivery?.status ? ` ${delivery.status}` : ""}${delivery?.error ? ` (${delivery.error})` : ""}  ${dim(`${Math.round(performance.now() - paidAt)} ms`)}`
    )
    if (delivery && delivery.outcome !== "delivered") {
      throw new StepError("purchase", `the cip.paid notification was not accepted by Medusa (${delivery.outcome} ${delivery.status ?? ""} ${delivery.error ?? ""})`, LOGS.medusa)
    }

    let last = before.payment_status
    const deadline = Date.now() + CAPTURE_TIMEOUT_MS
    for (;;) {
      const o = await adminOrder(baseUrl, token, order.id)
      if (o.payment_status !== last) {
        last = o.payment_status
        if (last !== "captured") detail(`order #${o.display_id} payment_status ${last}`)
      }
      if (o.payment_status === "captured") break
      if (Date.now() > deadline) {
        throw new StepError(
          "purchase",
          `order #${o.display_id} still ${o.payment_status} ${CAPTURE_TIMEOUT_MS / 1000} s after the payment` +
            (reusedCip
              ? `. Most likely CIP ${cip} was already paid in this database by an earlier run: leave the database name out of DATABASE_URL and the demo uses a fresh ${DEMO_DB}`
              : ""),
          LOGS.medusa
        )
      }
      await sleep(250)
    }
    const paidMs = performance.now() - paidAt
    record("payment → order paid", paidMs)
    detail(bold(green(`order #${order.display_id} paid: payment_status captured, ${Math.round(paidMs)} ms after the payment`)))
    return { cip, order, session }
  })
}

// ---------------------------------------------------------------- main

async function main() {
  const flags = parseArgs(process.argv.slice(2))
  process.chdir(REPO_ROOT)
  fs.mkdirSync(DATA_DIR, { recursive: true })
  const medusaPort = envPort("MEDUSA_PORT", 9000)
  const sandboxPort = envPort("SANDBOX_PORT", SANDBOX_DEFAULTS.port)
  const storefrontPort = envPort("STOREFRONT_PORT", 8000)
  const started = performance.now()

  out(bold("PagoEfectivo × Medusa demo") + dim(`  (logs in ${rel(DATA_DIR)}/${flags.once ? ", --once" : ""}${flags.noAdmin ? ", --no-admin" : ""}${flags.noBuild ? ", --no-build" : ""})`))
  await checkDemoPorts(medusaPort, sandboxPort, storefrontPort)

  const databaseUrl = await postgresStep()

  // One set of credentials for the sandbox and for Medusa's provider.
  const creds = {
    accessKey: process.env.PAGOEFECTIVO_ACCESS_KEY || SANDBOX_DEFAULTS.accessKey,
    secretKey: process.env.PAGOEFECTIVO_SECRET_KEY || SANDBOX_DEFAULTS.secretKey,
    serviceId: process.env.PAGOEFECTIVO_SERVICE_ID || String(SANDBOX_DEFAULTS.serviceId),
  }
  const medusaUrl = `http://localhost:${medusaPort}`
  const notifyUrl = `${medusaUrl}/webhooks/pagoefectivo`
  const sandboxApiUrl = `http://localhost:${sandboxPort}/v1`
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PAGOEFECTIVO_BASE_URL: sandboxApiUrl,
    PAGOEFECTIVO_ACCESS_KEY: creds.accessKey,
    PAGOEFECTIVO_SECRET_KEY: creds.secretKey,
    PAGOEFECTIVO_SERVICE_ID: creds.serviceId,
    MEDUSA_DISABLE_TELEMETRY: process.env.MEDUSA_DISABLE_TELEMETRY ?? "true",
    // the storefront page calls the store API from its own origin
    STORE_CORS: process.env.STORE_CORS ?? `http://localhost:${storefrontPort}`,
    // the CIP emails go to Medusa's local notification provider, i.e. into .data/medusa.log
    PAGOEFECTIVO_DEV_EMAIL: process.env.PAGOEFECTIVO_DEV_EMAIL ?? "local",
    // an expired CIP gets a fresh code for the same order (the page's "let this code expire")
    PAGOEFECTIVO_RENEW_EXPIRED_CIP: process.env.PAGOEFECTIVO_RENEW_EXPIRED_CIP ?? "true",
  }
  if (medusaPort !== 9000) {
    env.ADMIN_CORS ??= medusaUrl
    env.AUTH_CORS ??= `${medusaUrl},http://localhost:${storefrontPort}`
  }

  // The store's setup commands (scripts/lib/store-setup.ts), each a step of its own with its log.
  const setupStep = { migrate: "migrations", seed: "seed", user: "admin user" } as const
  const setup: SetupCommand = async (name, args, accept) => (await medusa.command(setupStep[name], args, env, LOGS[name], accept)).output

  await step(`Migrations`, "migrations", () => migrateStore(setup))

  const seeded = await step(`Seed the Peru store`, "seed", async () => {
    const s = await seedStore(setup).catch(stepError("seed", LOGS.seed))
    detail(`region Perú (PEN) ${s.regionId}, region USD ${s.usdRegionId}`)
    detail(`product ${s.productId}, variant ${s.variantId}`)
    detail(`publishable key ${s.publishableKey}`)
    return s
  })

  await step(`Admin user ${ADMIN.email}`, "admin user", async () => {
    const { existed } = await createAdminUser(setup, ADMIN)
    detail(existed ? `${ADMIN.email} already exists (kept as it is)` : `created ${ADMIN.email}`)
  })

  const sandbox = await step(`PagoEfectivo sandbox`, "sandbox", async () => {
    const logStream = fs.createWriteStream(LOGS.sandbox, { flags: "w" })
    running.sandboxLog = logStream
    logStream.write(`# ${new Date().toISOString()} sandbox on port ${sandboxPort}, notifying ${notifyUrl}\n`)
    let sb: SandboxHandle
    try {
      sb = await startSandbox({
        port: sandboxPort,
        notifyUrl,
        accessKey: creds.accessKey,
        secretKey: creds.secretKey,
        serviceId: creds.serviceId,
        config: { refunds: { autoSettle: "complete", settleDelayMs: 3000 } },
        log: (line) => logStream.write(`${new Date().toISOString()} ${line}\n`),
      })
    } catch (e) {
      const inUse = (e as NodeJS.ErrnoException).code === "EADDRINUSE"
      throw new StepError(
        "sandbox",
        inUse ? `port ${sandboxPort} is already in use; run with SANDBOX_PORT=<another port>` : `the sandbox did not start: ${(e as Error).message}`
      )
    }
    running.sandbox = sb
    detail(`${sb.url} (API ${sb.apiUrl}), notifications → ${notifyUrl}  (log: ${rel(LOGS.sandbox)})`)
    return sb
  })

  const startEnv: NodeJS.ProcessEnv = {
    ...env,
    PORT: String(medusaPort),
    // See the header: "production" would make the admin's session cookie Secure (unusable over http).
    NODE_ENV: "demo",
  }
  if (flags.noAdmin) startEnv.MEDUSA_ADMIN_DISABLED = "true"

  const baseUrl = await step(flags.noAdmin ? "Medusa (no admin)" : "Medusa with the admin", "Medusa", async () => {
    if (!flags.noAdmin) await medusa.build(env, flags.noBuild)
    else detail("--no-admin: MEDUSA_ADMIN_DISABLED=true, no build, started from the TypeScript sources")
    return medusa.start(startEnv, { noAdmin: flags.noAdmin, port: medusaPort })
  })

  const storefront = await step("Storefront page", "storefront", async () => {
    try {
      running.storefront = await startDemoStorefront({
        port: storefrontPort,
        medusaUrl: baseUrl,
        publishableKey: seeded.publishableKey,
        regionId: seeded.regionId,
        variantId: seeded.variantId,
        sandboxUrl: sandbox.url,
      })
    } catch (e) {
      throw new StepError("storefront", `the storefront page did not start: ${(e as Error).message}`)
    }
    detail(`${running.storefront.url} (the storefront kit's voucher, on the store API at ${baseUrl}/store)`)
    return running.storefront
  })

  const purchase = await purchaseStep(baseUrl, seeded, sandbox, flags)

  const total = performance.now() - started
  printTimings(total)

  if (flags.once) {
    out(green("--once: the purchase went through; stopping everything"))
    return "once" as const
  }

  const sb = sandbox.url
  const lines = [
    "PagoEfectivo demo is running",
    "",
    `Storefront    ${storefront.url}   buy, get the CIP, pay it on the sandbox's voucher page`,
    `              ("Simulate payment"), watch the page turn to paid; or "let this code`,
    `              expire": the order gets a fresh CIP (renewExpiredCip), shown and emailed`,
    flags.noAdmin ? `Admin         disabled (--no-admin)` : `Admin         ${baseUrl}/app`,
    `              email ${ADMIN.email}   password ${ADMIN.password}`,
    `Store API     ${baseUrl}/store   with the header x-publishable-api-key:`,
    `              ${seeded.publishableKey}`,
    `              region Perú (PEN)  ${seeded.regionId}`,
    `              variant            ${seeded.variantId}`,
    `Demo order    #${purchase.order.display_id} (${purchase.order.id}), CIP ${purchase.cip}, paid`,
    `Sandbox       ${sb}   (PagoEfectivo API: ${sandbox.apiUrl})`,
    `              vouchers:  ${sb}/voucher/<guid>.html, with a "Simulate payment" button`,
    `              state:     curl -s ${sb}/__sandbox/state`,
    `              pay a CIP: curl -s -X POST ${sb}/__sandbox/cips/<cip>/pay`,
    `              expire:    curl -s -X POST ${sb}/__sandbox/cips/<cip>/expire`,
    `              control API: sandbox/README.md; refunds settle "complete" after 3 s`,
    `Notifications sandbox → ${notifyUrl}`,
    `Emails        Medusa's local notification provider: "Attempting to send a notification" in ${rel(LOGS.medusa)}`,
    `Logs          ${rel(LOGS.medusa)}, ${rel(LOGS.sandbox)}`,
    "",
    "Ctrl-C stops everything",
  ]
  box(lines)
  return "running" as const
}

shutdown.run(main, { what: "the demo", medusaLog: LOGS.medusa })
