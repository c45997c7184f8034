/**
 * The whole store for the browser specs, the way `npm run demo` runs it (scripts/demo.ts), built
 * from the same helpers (scripts/lib): PostgreSQL, a database of its own created afresh,
 * `medusa db:migrate`, the Peru store seed, an admin user, `medusa build` (backend + admin), the
 * PagoEfectivo sandbox in this process and `medusa start` in .medusa/server on a free port.
 *
 * With `storefront: true` it also serves the demo's storefront page (scripts/lib/demo-storefront.ts)
 * on another free port, allowed by Medusa's STORE_CORS.
 *
 * `medusa build` runs once for as long as its inputs are unchanged: after a build, a hash of src/,
 * medusa-config.ts, package.json and tsconfig.json is written into .medusa/server, and a later
 * stack with the same hash (the second browser spec of `npm test`) starts from that build. Any
 * other build (`npm run build`, the demo's) empties .medusa/server and the stamp with it.
 *
 * Logs go to integration-tests/e2e/artifacts/ (git-ignored) next to the screenshots.
 */
import crypto from "crypto"
import fs from "fs"
import net from "net"
import path from "path"
import { type DemoStorefront, startDemoStorefront } from "../../../scripts/lib/demo-storefront"
import { BUILD_DIR, BUILT_ADMIN, type GroupChild, REPO_ROOT, runMedusa, spawnMedusa, tail, typeErrorsOfEmittedBuild, waitForHttp } from "../../../scripts/lib/medusa-process"
import { type PostgresConnection, ensurePostgres } from "../../../scripts/lib/postgres"
import { type Seeded, type SetupCommand, adminToken, createAdminUser, freshDatabase, migrateStore, seedStore } from "../../../scripts/lib/store-setup"
import { SANDBOX_DEFAULTS, type SandboxHandle, startSandbox } from "../../../sandbox/server"

export const ARTIFACTS = path.join(REPO_ROOT, "integration-tests", "e2e", "artifacts")
/** PAGOEFECTIVO_E2E_DB: another name, so that two checkouts can run the browser specs at once. */
export const E2E_DB = process.env.PAGOEFECTIVO_E2E_DB || "medusa_pagoefectivo_e2e"
export const ADMIN_EMAIL = "admin@tienda.pe"
export const ADMIN_PASSWORD = "supersecret-e2e"

export type { Seeded }

export type Stack = {
  medusaUrl: string
  /** The demo's storefront page, with `startStack({ storefront: true })`. */
  storefrontUrl: string | null
  sandbox: SandboxHandle
  /** The store's database (e.g. for a spec that ages a record instead of waiting ten minutes). */
  databaseUrl: string
  seeded: Seeded
  /** Admin bearer token (API checks beside the browser). */
  token: string
  timings: Record<string, number>
  stop(): Promise<void>
}

const log = (s: string) => process.stderr.write(`[e2e] ${s}\n`)

/** A port nothing listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once("error", reject)
    srv.listen(0, "0.0.0.0", () => {
      const { port } = srv.address() as net.AddressInfo
      srv.close(() => resolve(port))
    })
  })
}

/** PostgreSQL as scripts/test.js found it (DB_* variables), else found or started here. */
export async function postgres(): Promise<PostgresConnection> {
  return ensurePostgres({ log: (s) => log(`postgres: ${s}`) })
}

/** Runs `fn`, records its duration under `name` and prints it. */
export async function timed<T>(timings: Record<string, number>, name: string, fn: () => Promise<T>, say = log): Promise<T> {
  const t0 = Date.now()
  try {
    return await fn()
  } finally {
    timings[name] = Date.now() - t0
    say(`${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
}

/** The store's setup commands from the repo root, logged as medusa-<name>.log; a failure names its log and shows its tail. */
function setupCommands(env: NodeJS.ProcessEnv): SetupCommand {
  return async (name, args, accept) => {
    const logFile = path.join(ARTIFACTS, `medusa-${name}.log`)
    const r = await runMedusa({ args, cwd: REPO_ROOT, env, logFile })
    if (r.code !== 0 && !accept?.(r.output)) {
      throw new Error(`medusa ${args.join(" ")} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}; ${path.relative(REPO_ROOT, logFile)}:\n${tail(logFile, 40)}`)
    }
    return r.output
  }
}

/**
 * `medusa build`. It exits 1 on TypeScript errors although it emitted the backend and the admin;
 * the demo carries on with such a build (with a warning), the e2e does not: a type error fails
 * the spec, with the errors in the message.
 */
async function build(env: NodeJS.ProcessEnv) {
  const stampFile = path.join(BUILD_DIR, ".pagoefectivo-e2e-build")
  const stamp = buildInputsHash()
  if (fs.existsSync(BUILT_ADMIN) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === stamp) {
    log(`medusa build: reusing ${path.relative(REPO_ROOT, BUILD_DIR)}, built from these very sources by an earlier stack`)
    return
  }
  const logFile = path.join(ARTIFACTS, "medusa-build.log")
  const r = await runMedusa({ args: ["build"], cwd: REPO_ROOT, env, logFile })
  if (r.code !== 0) {
    const typeErrors = typeErrorsOfEmittedBuild(r.output)
    throw new Error(
      typeErrors
        ? `medusa build reported ${typeErrors.length} TypeScript error(s) (${path.relative(REPO_ROOT, logFile)}):\n${typeErrors.slice(0, 20).join("\n")}`
        : `medusa build ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}; ${path.relative(REPO_ROOT, logFile)}:\n${tail(logFile, 40)}`
    )
  }
  if (!fs.existsSync(BUILT_ADMIN)) throw new Error(`medusa build left no admin at ${path.relative(REPO_ROOT, BUILT_ADMIN)}`)
  fs.writeFileSync(stampFile, stamp)
}

/** A hash of everything `medusa build` compiles or reads. */
function buildInputsHash(): string {
  const hash = crypto.createHash("sha256")
  const add = (file: string) => {
    hash.update(path.relative(REPO_ROOT, file))
    hash.update(fs.readFileSync(file))
  }
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) add(p)
    }
  }
  walk(path.join(REPO_ROOT, "src"))
  for (const f of ["medusa-config.ts", "package.json", "tsconfig.json"]) add(path.join(REPO_ROOT, f))
  return hash.digest("hex")
}

/** `env`: extra variables for every Medusa command (plugin options read from the environment). */
export async function startStack(opts: { env?: Record<string, string>; storefront?: boolean } = {}): Promise<Stack> {
  fs.mkdirSync(ARTIFACTS, { recursive: true })
  const timings: Record<string, number> = {}
  const running: {
    medusa: GroupChild | null
    sandbox: SandboxHandle | null
    pg: PostgresConnection | null
    sandboxLog: fs.WriteStream | null
    storefront: DemoStorefront | null
  } = { medusa: null, sandbox: null, pg: null, sandboxLog: null, storefront: null }
  const stop = async () => {
    await running.storefront?.close()
    running.storefront = null
    await running.medusa?.stop(10_000)
    await running.sandbox?.close().catch(() => undefined)
    running.sandboxLog?.end()
    await running.pg?.stop()
    running.medusa = running.sandbox = running.pg = running.sandboxLog = null
  }

  try {
    const pg = (running.pg = await postgres())
    const { databaseUrl } = await freshDatabase(pg, E2E_DB)
    const [medusaPort, sandboxPort] = [await freePort(), await freePort()]
    const medusaUrl = `http://localhost:${medusaPort}`
    const storefrontPort = opts.storefront ? await freePort() : null
    const storefrontUrl = storefrontPort ? `http://localhost:${storefrontPort}` : null

    // The jest process runs with NODE_ENV=test; the setup commands run as the demo runs them.
    const { NODE_ENV: _drop, ...base } = process.env
    const env: NodeJS.ProcessEnv = {
      ...base,
      DATABASE_URL: databaseUrl,
      PAGOEFECTIVO_BASE_URL: `http://localhost:${sandboxPort}/v1`,
      PAGOEFECTIVO_ACCESS_KEY: SANDBOX_DEFAULTS.accessKey,
      PAGOEFECTIVO_SECRET_KEY: SANDBOX_DEFAULTS.secretKey,
      PAGOEFECTIVO_SERVICE_ID: String(SANDBOX_DEFAULTS.serviceId),
      ADMIN_CORS: medusaUrl,
      AUTH_CORS: medusaUrl,
      STORE_CORS: [medusaUrl, storefrontUrl].filter(Boolean).join(","),
      MEDUSA_DISABLE_TELEMETRY: "true",
      LOG_LEVEL: "info",
      ...opts.env,
    }

    const setup = setupCommands(env)
    // The build is CPU work and the rest mostly database work: run them side by side.
    const seeded = await timed(timings, "build + migrate/seed/user", async () => {
      const [, s] = await Promise.all([
        timed(timings, "medusa build", () => build(env)),
        (async () => {
          await timed(timings, "migrations", () => migrateStore(setup))
          const s = await timed(timings, "seed", () =>
            seedStore(setup).catch((e) => {
              throw new Error(`${(e as Error).message}; see ${path.join(ARTIFACTS, "medusa-seed.log")}`)
            })
          )
          await timed(timings, "admin user", () => createAdminUser(setup, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD }))
          return s
        })(),
      ])
      return s
    })

    const sandboxLog = (running.sandboxLog = fs.createWriteStream(path.join(ARTIFACTS, "sandbox.log"), { flags: "w" }))
    running.sandbox = await startSandbox({
      port: sandboxPort,
      notifyUrl: `${medusaUrl}/webhooks/pagoefectivo`,
      // Refunds stay pending until the spec settles them through the control API.
      config: { refunds: { autoSettle: "none" } },
      log: (line) => sandboxLog.write(`${new Date().toISOString()} ${line}\n`),
    })

    await timed(timings, "medusa start", async () => {
      // NODE_ENV neither development (the admin's dev server) nor production (a Secure session
      // cookie that plain http://localhost never gets back): see scripts/demo.ts.
      const m = (running.medusa = spawnMedusa({
        args: ["start"],
        cwd: BUILD_DIR,
        env: { ...env, PORT: String(medusaPort), NODE_ENV: "e2e" },
        logFile: path.join(ARTIFACTS, "medusa.log"),
      }))
      await waitForHttp(`${medusaUrl}/health`, m, 120_000, { label: "medusa start" })
      const app = await fetch(`${medusaUrl}/app`)
      if (app.status !== 200 || !/<html/i.test(await app.text())) throw new Error(`the admin is not served at ${medusaUrl}/app (${app.status})`)
    })

    const token = await adminToken(medusaUrl, { email: ADMIN_EMAIL, password: ADMIN_PASSWORD })

    if (storefrontPort) {
      running.storefront = await startDemoStorefront({
        port: storefrontPort,
        medusaUrl,
        publishableKey: seeded.publishableKey,
        regionId: seeded.regionId,
        variantId: seeded.variantId,
      })
    }

    return { medusaUrl, storefrontUrl: running.storefront?.url ?? null, sandbox: running.sandbox, databaseUrl: env.DATABASE_URL!, seeded, token, timings, stop }
  } catch (e) {
    await stop().catch(() => undefined)
    throw e
  }
}
