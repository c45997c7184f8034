/**
 * `npm run soak [-- --refunds 300 --seed 7]`: refunds under faults, on Medusa's production layout,
 * then one reconciliation, then every order's books checked.
 *
 * - Two Medusa processes on one database sharing Redis (event bus, workflow engine, locking): one
 *   in `server` mode (HTTP: the admin's Refund button, the notification route), one in `worker`
 *   mode (subscribers and jobs: it applies the notifications and converges the books).
 * - Orders paid by CIP, each refunded 1-3 times from the admin API, one click after another as
 *   staff would (and clicked once more after an error).
 * - Faults on the refund call: latency, 500, 503, 429, connection dropped before and after
 *   commit, malformed answers, some lasting through every retry. Faults on notifications:
 *   dropped, duplicated, delayed. Settlements fast and slow, completed and rejected.
 * - Then one reconciliation (`medusa exec`, a fresh process), then for every order: PagoEfectivo's
 *   live refunds = Medusa's refunds on the payment = the order's refunded total (and the payment
 *   collection's, and the payment status), no CIP refunded twice upstream, no 5xx answered to a
 *   notification.
 * Ends with one summary line; exits 1 when a target is missed. CI runs a shorter one
 * (integration-tests/soak).
 */
import path from "node:path"
import { Client } from "pg"
import { type SandboxHandle, startSandbox } from "../sandbox/server"
import { type GroupChild, REPO_ROOT, readLog, runMedusa, spawnMedusa } from "./lib/medusa-process"
import { redisAnswers, redisCommands } from "./lib/redis"
import { adminLogin, prepareStore } from "./lib/store-setup"
import { type StoreApi, checkoutWithCip } from "./lib/storefront"

export type SoakOptions = { refunds: number; seed?: number; basePort?: number; redisUrl?: string; log?: (s: string) => void }
export type SoakResult = {
  refunds: number
  orders: number
  clicks: { ok: number; error: number; retried: number }
  gatewayRefunds: number
  faults: number
  settled: { completed: number; rejected: number }
  reconcile: string
  mismatched: { order_id: string; books: Record<string, unknown> }[]
  refundedTwice: string[]
  notification5xx: number
  durationMs: number
  line: string
}

const LOG_DIR = path.join(REPO_ROOT, ".data", "soak")
const ORDER_TOTAL = 199.9

/** A small seeded PRNG (mulberry32): the same seed, the same run plan. */
function prng(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)], chance: (p: number) => next() < p }
}

const REQUEST_FAULTS = [
  { latencyMs: 800 },
  { latencyMs: 2500 },
  { status: 500 },
  { status: 503 },
  { status: 429, retryAfter: 1 },
  { dropConnection: "before" },
  { dropConnection: "after-commit" },
  { body: "<html>upstream error</html>" },
  { body: '{"code":"100","data":{"refundId":1}}' },
] as const

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function until<T>(probe: () => Promise<T>, timeoutMs: number, what: string, intervalMs = 250): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`soak: timed out waiting for ${what}`)
    await sleep(intervalMs)
  }
}

async function limited<T>(items: T[], n: number, fn: (item: T) => Promise<void>) {
  const queue = [...items]
  await Promise.all(Array.from({ length: Math.min(n, queue.length) }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item)
  }))
}

export async function runSoak(opts: SoakOptions): Promise<SoakResult> {
  const started = Date.now()
  const log = opts.log ?? ((s: string) => process.stdout.write(`[soak] ${s}\n`))
  const rnd = prng(opts.seed ?? 7)
  const redisUrl = opts.redisUrl ?? process.env.PAGOEFECTIVO_SOAK_REDIS_URL ?? "redis://127.0.0.1:6379/8"
  if (!(await redisAnswers(redisUrl))) throw new Error(`soak: no Redis answers at ${redisUrl} (PAGOEFECTIVO_SOAK_REDIS_URL)`)
  await redisCommands(redisUrl, ["FLUSHDB"])
  const port = opts.basePort ?? Number(process.env.SOAK_PORT ?? 9400)
  const base = `http://localhost:${port}`

  const sandbox: SandboxHandle = await startSandbox({ port: 0, log: () => {}, config: { notificationRetryDelayMs: 200, refunds: { autoSettle: "none" } } })
  const env = {
    ...process.env,
    PAGOEFECTIVO_BASE_URL: sandbox.apiUrl,
    PAGOEFECTIVO_REQUEST_TIMEOUT_MS: "1500",
    PAGOEFECTIVO_MAX_RETRIES: "3",
    PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS: "5",
    PAGOEFECTIVO_DUPLICATE_REFUND_GUARD_SECONDS: "0",
    REDIS_URL: redisUrl,
    NODE_ENV: "development",
    MEDUSA_ADMIN_DISABLED: "true",
  }
  const children: GroupChild[] = []
  let db: Client | null = null
  let prepared: Awaited<ReturnType<typeof prepareStore>> | null = null
  try {
    prepared = await prepareStore({ dbName: "medusa_pagoefectivo_soak", logDir: LOG_DIR, env, log })
    const run = { ...env, DATABASE_URL: prepared!.databaseUrl, LOG_LEVEL: "info" }
    for (const [mode, p] of [["server", port], ["worker", port + 1]] as const) {
      children.push(spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env: { ...run, MEDUSA_WORKER_MODE: mode, PORT: String(p) }, logFile: path.join(LOG_DIR, `medusa-${mode}.log`) }))
    }
    for (const [i, p] of [port, port + 1].entries()) {
      await until(async () => {
        if (!children[i].running) throw new Error(`soak: medusa exited:\n${readLog(children[i].logFile).slice(-3000)}`)
        return fetch(`http://localhost:${p}/health`).then(() => true).catch(() => false)
      }, 180_000, `medusa on ${p}`, 500)
    }
    await fetch(`${sandbox.url}/__sandbox/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify({ notifyUrl: `${base}/webhooks/pagoefectivo` }) })
    const admin = await adminLogin(base, prepared!.admin)
    const store: StoreApi = { baseUrl: base, publishableKey: prepared!.seeded.publishableKey }
    db = new Client({ connectionString: prepared!.databaseUrl })
    await db.connect()
    const control = (method: string, p: string, body?: unknown) =>
      fetch(`${sandbox.url}/__sandbox${p}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) }).then((r) => r.json())
    const orderOf = async (id: string) =>
      (await fetch(`${base}/admin/orders/${id}?fields=payment_status,summary.*,payment_collections.refunded_amount,payment_collections.payments.id,payment_collections.payments.data,payment_collections.payments.refunds.amount`, { headers: admin }).then((r) => r.json())).order

    // 1. the run plan: orders, each refunded 1-3 times, PEN 199.90 never exceeded
    const plans: number[][] = []
    for (let left = opts.refunds; left > 0; ) {
      const k = Math.min(left, rnd.int(1, 3))
      const amounts = Array.from({ length: k }, () => rnd.int(500, 6000) / 100)
      plans.push(amounts)
      left -= k
    }
    log(`${plans.length} orders, ${opts.refunds} refunds; two Medusa processes (server ${port}, worker ${port + 1}), Redis ${redisUrl}`)

    // 2. orders paid by CIP (the worker applies cip.paid)
    const orders: { id: string; paymentId: string; cip: string; amounts: number[] }[] = []
    await limited(plans.map((amounts, i) => ({ amounts, i })), 4, async ({ amounts, i }) => {
      const { session, order } = await checkoutWithCip(store, { regionId: prepared!.seeded.regionId, variantId: prepared!.seeded.variantId, email: `soak${i}@example.pe` })
      await control("POST", `/cips/${session.data.cip}/pay`, { wait: true })
      const paymentId = await until(async () => {
        const o = await orderOf(order.id)
        return o?.payment_status === "captured" && o.summary.paid_total > 0 ? (o.payment_collections[0].payments[0].id as string) : null
      }, 120_000, `order ${order.id} paid`)
      orders.push({ id: order.id, paymentId, cip: String(session.data.cip), amounts })
    })
    log(`${orders.length} orders paid (${Math.round((Date.now() - started) / 1000)} s)`)

    // 3. settlements: every refund PagoEfectivo has is settled, soon or late, completed or rejected
    const settled = { completed: 0, rejected: 0 }
    const scheduled = new Set<string>()
    const settling = new Set<Promise<void>>()
    let faults = 0
    let clicking = true
    const settler = (async () => {
      while (clicking || settling.size) {
        const { refunds } = await control("GET", "/state")
        for (const r of refunds as { refundId: string; status: string }[]) {
          if (r.status !== "pending" || scheduled.has(r.refundId)) continue
          scheduled.add(r.refundId)
          const outcome = rnd.chance(0.7) ? "complete" : "reject"
          const delay = rnd.chance(0.5) ? rnd.int(0, 300) : rnd.int(2000, 6000)
          const eventType = outcome === "complete" ? "refund.completed" : "refund.rejected"
          const notificationFault = rnd.pick([null, null, null, null, null, { drop: true }, { duplicate: 2 }, { delayMs: rnd.int(500, 3000) }] as const)
          const job = (async () => {
            await sleep(delay)
            if (notificationFault) {
              faults++
              await control("PUT", "/faults", { path: "notifications", eventType, times: 1, ...notificationFault })
            }
            await control("POST", `/refunds/${r.refundId}/${outcome}`, {})
            settled[outcome === "complete" ? "completed" : "rejected"]++
          })()
          settling.add(job)
          void job.finally(() => settling.delete(job))
        }
        await sleep(200)
      }
    })()

    // 4. the clicks: each order's refunds one after another (staff click again after an error)
    const clicks = { ok: 0, error: 0, retried: 0 }
    await limited(orders, 6, async (o) => {
      for (const amount of o.amounts) {
        for (let attempt = 1; attempt <= 2; attempt++) {
          if (rnd.chance(0.35)) {
            faults++
            await control("PUT", "/faults", { path: "/v1/refunds", method: "POST", times: rnd.chance(0.2) ? 4 : 1, ...rnd.pick(REQUEST_FAULTS) })
          }
          const res = await fetch(`${base}/admin/payments/${o.paymentId}/refund`, { method: "POST", headers: admin, body: JSON.stringify({ amount }) })
          await res.arrayBuffer()
          if (res.ok) {
            clicks.ok++
            break
          }
          clicks.error++
          if (attempt === 1) {
            clicks.retried++
            await sleep(1000)
          }
        }
      }
    })
    await control("DELETE", "/faults")
    clicking = false
    await settler
    log(`${clicks.ok} refunds answered ok, ${clicks.error} errors (${clicks.retried} clicked again); ${settled.completed} completed and ${settled.rejected} rejected at PagoEfectivo`)

    // 5. quiet: no notification left to deliver or apply, every call lease run out
    const quiet = async () => {
      let last = ""
      let stableSince = Date.now()
      await until(async () => {
        const { deliveries } = await control("GET", "/state")
        const { rows } = await db!.query(`SELECT count(*) FILTER (WHERE status = 'received') AS received, count(*) AS total FROM pagoefectivo_notification`)
        const now = `${deliveries.length}/${rows[0].total}/${rows[0].received}`
        if (now !== last || rows[0].received !== "0") {
          last = now
          stableSince = Date.now()
        }
        return Date.now() - stableSince > 3000
      }, 180_000, "notifications to settle down", 500)
    }
    await quiet()
    await sleep(11_000) // the last call leases (5 s) and Medusa's grace to book (5 s)

    // 6. one reconciliation, in a fresh process
    const reconcile = await runMedusa({ args: ["exec", "./src/scripts/reconcile-pagoefectivo.ts", "0"], cwd: REPO_ROOT, env: { ...run, PORT: String(port + 2) }, logFile: path.join(LOG_DIR, "reconcile.log") })
    const reconcileLine = reconcile.output.match(/pagoefectivo reconcile: .*/)?.[0] ?? `reconciliation exited ${reconcile.code}`
    await quiet()

    // 7. every order's books
    const { refunds: gateway, deliveries } = (await control("GET", "/state")) as { refunds: { cip: string; amount: number; status: string }[]; deliveries: { status: number | null }[] }
    const mismatched: SoakResult["mismatched"] = []
    const refundedTwice: string[] = []
    const round = (n: number) => Math.round(n * 100) / 100
    for (const o of orders) {
      const order = await orderOf(o.id)
      const payment = order.payment_collections[0].payments[0]
      const live = gateway.filter((r) => r.cip === o.cip && r.status !== "rejected")
      const books = {
        gateway: round(live.reduce((s, r) => s + r.amount, 0)),
        medusa: round((payment.refunds ?? []).reduce((s: number, r: any) => s + Number(r.amount), 0)),
        summary: round(Number(order.summary.refunded_total)),
        collection: round(Number(order.payment_collections[0].refunded_amount)),
        payment_status: order.payment_status,
      }
      const status = books.medusa === 0 ? "captured" : books.medusa >= ORDER_TOTAL ? "refunded" : "partially_refunded"
      if (!(books.gateway === books.medusa && books.medusa === books.summary && books.summary === books.collection && books.payment_status === status)) mismatched.push({ order_id: o.id, books })
      // one click meant one refund: two live refunds of one CIP with the same amount were made twice
      const amounts = live.map((r) => r.amount)
      if (new Set(amounts).size !== amounts.length || books.gateway > ORDER_TOTAL) refundedTwice.push(o.cip)
    }
    const notification5xx = deliveries.filter((d) => (d.status ?? 0) >= 500).length
    const durationMs = Date.now() - started
    const ok = !mismatched.length && !refundedTwice.length && !notification5xx && reconcile.code === 0
    const line =
      `soak ${ok ? "passed" : "FAILED"}: ${opts.refunds} refunds on ${orders.length} orders (server + worker on Redis), ${faults} faults, ` +
      `${clicks.ok} ok / ${clicks.error} errors, ${gateway.length} refunds at PagoEfectivo (${settled.completed} completed, ${settled.rejected} rejected); ` +
      `${mismatched.length} orders whose sums differ, ${refundedTwice.length} CIPs refunded twice, ${notification5xx} notification 5xx; ${Math.round(durationMs / 1000)} s`
    return { refunds: opts.refunds, orders: orders.length, clicks, gatewayRefunds: gateway.length, faults, settled, reconcile: reconcileLine, mismatched, refundedTwice, notification5xx, durationMs, line }
  } finally {
    await db?.end().catch(() => undefined)
    await Promise.all(children.map((c) => c.stop()))
    await sandbox.close()
    await prepared?.pg.stop()
  }
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}

if (require.main === module) {
  const startedAt = new Date()
  runSoak({ refunds: arg("refunds", Number(process.env.SOAK_REFUNDS ?? 300)), seed: arg("seed", 7) }).then(
    (r) => {
      process.stdout.write(`[soak] ${r.reconcile}\n`)
      // one results file per run, committed beside the benchmarks' (README quotes it)
      const { writeResults } = require("../bench/harness") as typeof import("../bench/harness")
      process.stdout.write(`[soak] ${path.relative(REPO_ROOT, writeResults({ soak: r }, { startedAt, finishedAt: new Date(), suffix: "soak" }))}\n`)
      for (const m of r.mismatched.slice(0, 20)) process.stdout.write(`[soak] order ${m.order_id}: ${JSON.stringify(m.books)}\n`)
      process.stdout.write(`${r.line}\n`)
      process.exit(r.mismatched.length || r.refundedTwice.length || r.notification5xx ? 1 : 0)
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`)
      process.stdout.write(`soak FAILED: ${(e as Error).message}\n`)
      process.exit(1)
    }
  )
}
