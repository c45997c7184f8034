/**
 * What every benchmark needs: a real Medusa started from this repository (admin off) on a fresh
 * PostgreSQL database, the PagoEfectivo sandbox, the Peru store seeded, an admin token, a direct
 * database connection for observing results, and a few statistics helpers.
 */
import { execFileSync } from "node:child_process"
import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { Client } from "pg"
import { type SandboxHandle, startSandbox } from "../sandbox/server"
import { SandboxControl } from "../integration-tests/helpers/sandbox"
import { recreateDatabase } from "../scripts/lib/demo-db"
import { type GroupChild, REPO_ROOT, readLog, runMedusa, spawnMedusa } from "../scripts/lib/medusa-process"
import { redisAnswers, redisCommands } from "../scripts/lib/redis"
import { ensurePostgres } from "../scripts/lib/postgres"
import { type StoreApi, checkoutWithCip } from "../scripts/lib/storefront"

export const LOG_DIR = path.join(REPO_ROOT, ".data", "bench")
export const log = (s: string) => process.stdout.write(`${s}\n`)

export type BenchStore = {
  base: string
  sandbox: SandboxHandle
  db: Client
  databaseUrl: string
  env: NodeJS.ProcessEnv
  seeded: { regionId: string; variantId: string; publishableKey: string }
  store: StoreApi
  admin: Record<string, string>
  server: GroupChild
  stop(): Promise<void>
}

export async function startBenchStore(port = Number(process.env.BENCH_MEDUSA_PORT ?? 9300)): Promise<BenchStore> {
  fs.mkdirSync(LOG_DIR, { recursive: true })
  const pg = await ensurePostgres({ log: (s) => log(`  ${s}`) })
  const dbName = process.env.BENCH_DB || "medusa_pagoefectivo_bench"
  await recreateDatabase(pg, dbName)
  const databaseUrl = `${pg.url}/${dbName}`
  const sandbox = await startSandbox({ port: 0, log: () => {}, config: { refunds: { autoSettle: "none" } } })
  const base = `http://localhost:${port}`
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PAGOEFECTIVO_BASE_URL: sandbox.apiUrl,
    MEDUSA_ADMIN_DISABLED: "true",
    NODE_ENV: "development",
    LOG_LEVEL: "error",
    PORT: String(port),
  }
  const medusa = async (args: string[], name: string) => {
    const r = await runMedusa({ args, cwd: REPO_ROOT, env: { ...env, LOG_LEVEL: "info" }, logFile: path.join(LOG_DIR, `${name}.log`) })
    if (r.code !== 0) throw new Error(`medusa ${args.join(" ")} failed:\n${r.output.slice(-2000)}`)
    return r.output
  }
  log("setting up: migrations, seed, admin user")
  await medusa(["db:migrate"], "migrate")
  const seeded = JSON.parse((await medusa(["exec", "./src/scripts/seed-peru-store.ts"], "seed")).match(/pagoefectivo seed: (\{.*\})/)![1])
  await medusa(["user", "-e", "bench@tienda.pe", "-p", "bench-password"], "user")
  await sandboxCall(sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${base}/webhooks/pagoefectivo` })
  const server = spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env, logFile: path.join(LOG_DIR, "medusa.log") })
  const db = new Client({ connectionString: databaseUrl })
  const stop = async () => {
    await db.end().catch(() => undefined)
    await server.stop()
    await sandbox.close()
    await pg.stop()
  }
  try {
    await waitFor(async () => server.running && (await fetch(`${base}/health`).then((r) => r.ok).catch(() => false)), 120_000, () => readLog(server.logFile).slice(-2000))
    await db.connect()
    const login = await fetch(`${base}/auth/user/emailpass`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "bench@tienda.pe", password: "bench-password" }),
    }).then((r) => r.json())
    const admin = { authorization: `Bearer ${login.token}`, "content-type": "application/json" }
    return { base, sandbox, db, databaseUrl, env, seeded, store: { baseUrl: base, publishableKey: seeded.publishableKey }, admin, server, stop }
  } catch (e) {
    await stop()
    throw e
  }
}

/** How the store's Medusa runs: one process on the local event bus (the bench's store), or Medusa's production layout. */
export type Layout = "single" | "worker"

/** The Medusa processes of a layout: `base` takes the HTTP (and PagoEfectivo's notifications, while it runs). */
export type Target = { base: string; stop(): Promise<void>; processes: string }

/**
 * The bench's store in `layout`: itself, or a Medusa server and a worker started on its database
 * sharing a Redis (event bus, workflow engine, locking), the sandbox notifying the server until
 * `stop()`. The bench's own process stays up, idle.
 */
export async function startLayout(b: BenchStore, layout: Layout): Promise<Target> {
  const target = layout === "single" ? { base: b.base, stop: async () => undefined, processes: "one medusa start (local event bus)" } : await startWorkerLayout(b, Number(process.env.BENCH_WORKER_PORT ?? 9310))
  await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${target.base}/webhooks/pagoefectivo` })
  return {
    ...target,
    stop: async () => {
      await target.stop()
      await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${b.base}/webhooks/pagoefectivo` })
    },
  }
}

/** The bench's store seen through a layout's HTTP process. */
export const through = (b: BenchStore, target: Target): BenchStore => ({ ...b, base: target.base, store: { ...b.store, baseUrl: target.base } })

/** A Medusa server and a worker on the bench's database sharing a Redis. */
async function startWorkerLayout(b: BenchStore, port: number): Promise<Target> {
  const redisUrl = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/12"
  if (!(await redisAnswers(redisUrl))) throw new Error(`payments: no Redis answers at ${redisUrl} (BENCH_REDIS_URL)`)
  await redisCommands(redisUrl, ["FLUSHDB"])
  const children: GroupChild[] = []
  const stop = async () => {
    await Promise.all(children.map((c) => c.stop()))
  }
  for (const [mode, p] of [["server", port], ["worker", port + 1]] as const) {
    children.push(
      spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env: { ...b.env, REDIS_URL: redisUrl, MEDUSA_WORKER_MODE: mode, PORT: String(p) }, logFile: path.join(LOG_DIR, `payments-${mode}.log`) })
    )
  }
  try {
    for (const [i, p] of [port, port + 1].entries()) {
      await waitFor(async () => {
        if (!children[i].running) throw new Error(`medusa exited:\n${readLog(children[i].logFile).slice(-2000)}`)
        return fetch(`http://localhost:${p}/health`).then((r) => r.ok).catch(() => false)
      }, 180_000, undefined, 500)
    }
  } catch (e) {
    await stop()
    throw e
  }
  return { base: `http://localhost:${port}`, stop, processes: `server :${port} + worker :${port + 1}, Redis ${redisUrl}` }
}

/** An order paid by CIP through the store API and the sandbox; returns its payment id. */
export async function paidOrder(b: BenchStore, email: string): Promise<{ orderId: string; paymentId: string }> {
  const { session, order } = await checkoutWithCip(b.store, { regionId: b.seeded.regionId, variantId: b.seeded.variantId, email })
  await sandboxCall(b.sandbox, "POST", `/__sandbox/cips/${session.data.cip}/pay`, { wait: true })
  const paymentId = await waitFor(async () => {
    const { order: o } = await fetch(`${b.base}/admin/orders/${order.id}?fields=payment_status,summary.*,payment_collections.payments.id`, { headers: b.admin }).then((r) => r.json())
    return o.payment_status === "captured" && o.summary.paid_total > 0 ? (o.payment_collections[0].payments[0].id as string) : null
  }, 60_000)
  return { orderId: order.id, paymentId }
}

export function pct(values: number[], p: number) {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

export const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d

export async function waitFor<T>(probe: () => Promise<T>, timeoutMs: number, explain?: () => string, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out${explain ? `:\n${explain()}` : ""}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

/** The sandbox's control API (/__sandbox/…), as the specs call it; throws on an error answer. */
export function sandboxCall<T = any>(sandbox: SandboxHandle, method: string, path_: string, body?: unknown): Promise<T> {
  return new SandboxControl(() => sandbox).call<T>(method, path_, body)
}

/** The sandbox back to its start (no CIPs, refunds, faults), still notifying this store. */
export async function resetSandbox(b: Pick<BenchStore, "sandbox" | "base">, config: Record<string, unknown> = {}) {
  await sandboxCall(b.sandbox, "POST", "/__sandbox/reset")
  await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${b.base}/webhooks/pagoefectivo`, ...config })
}

/** Runs `fn(items)` on `items` with at most `limit` at once. */
export async function inParallel<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++
        out[i] = await fn(items[i], i)
      }
    })
  )
  return out
}

export const RESULTS_DIR = path.join(REPO_ROOT, "bench", "results")

/** Where the figures of a run were taken: enough to tell two machines (or a busy one) apart. */
export function machine() {
  const cpus = os.cpus()
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? "unknown",
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    loadAverage: os.loadavg().map((l) => round(l, 2)),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
  }
}

/** The commit the figures are of, and whether the working tree had changes. */
export function commit(): { sha: string; dirty: boolean } {
  const git = (args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim()
  try {
    return { sha: git(["rev-parse", "HEAD"]), dirty: git(["status", "--porcelain", "--untracked-files=no"]) !== "" }
  } catch {
    return { sha: "unknown", dirty: true }
  }
}

/**
 * Writes one run's figures to bench/results/<date>-<short commit>.json (committed: README's
 * figures come from such files, each table naming its own, see bench/table.ts). Answers the file.
 */
export function writeResults(results: Record<string, unknown>, { startedAt, finishedAt, suffix }: { startedAt: Date; finishedAt: Date; suffix?: string }): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true })
  const c = commit()
  const file = path.join(RESULTS_DIR, `${startedAt.toISOString().slice(0, 10)}-${c.sha.slice(0, 10)}${c.dirty ? "-dirty" : ""}${suffix ? `-${suffix}` : ""}.json`)
  const doc = { date: startedAt.toISOString(), finishedAt: finishedAt.toISOString(), commit: c.sha, dirty: c.dirty, machine: machine(), argv: process.argv.slice(2), ...results }
  fs.writeFileSync(file, JSON.stringify(doc, null, 2) + "\n")
  return file
}
