/**
 * Webhook benchmarks (part of `npm run bench`, see bench/run.ts):
 * 1. acknowledgement under a burst of real notifications: `cip.paid` for CIPs of orders placed and
 *    unpaid (paid at the sandbox, so applying one confirms it there and captures the order), and
 *    `refund.completed` / `refund.rejected` (two to one) for refunds made through the admin, each
 *    delivered once, signed, by autocannon with 32 connections against POST /webhooks/pagoefectivo;
 *    beside as many requests to Medusa's bare /hooks/payment/pp_system_default (which verifies
 *    and stores nothing). The two arms run in rounds in alternating order. Measured: requests/s,
 *    p50 and p99 of the acknowledgements, every notification stored exactly once, and the time
 *    from the start of each burst until every notification it acknowledged is applied (orders
 *    captured, refunds completed or undone);
 * 2. settlement: refunds made through the admin's refund route, then a signed refund.completed
 *    or refund.rejected for each, one at a time: time from the route's acknowledgement until the
 *    refund record (and, for a rejection, Medusa's refund) shows the new status.
 */
import autocannon from "autocannon"
import { notificationKey, sign } from "../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS } from "../sandbox/server"
import { checkoutWithCip } from "../scripts/lib/storefront"
import { type BenchStore, inParallel, log, paidOrder, pct, round, sandboxCall, waitFor } from "./harness"

const CONNECTIONS = 32
const ROUNDS = 4
const PER_ORDER = 100

type Prepared = { bodies: string[]; keys: string[]; cips: number; completed: number; rejected: number; orderIds: string[] }

/** Refunds through the admin's Refund button, PER_ORDER on each of the orders made for them, pending at PagoEfectivo. */
export async function adminRefunds(b: BenchStore, count: number, tag: string): Promise<{ refund_id: string; cip: string; amount: string; reference_id: string | null }[]> {
  const orders = await inParallel(Array.from({ length: Math.ceil(count / PER_ORDER) }), 4, (_, o) => paidOrder(b, `${tag}${o}@example.pe`))
  const perOrder = await inParallel(orders, 4, async ({ paymentId }, o) => {
    const n = Math.min(PER_ORDER, count - o * PER_ORDER)
    for (let i = 0; i < n; i++) {
      const amount = Number((0.5 + i * 0.01).toFixed(2)) // distinct amounts: not a double click
      const res = await fetch(`${b.base}/admin/payments/${paymentId}/refund`, { method: "POST", headers: b.admin, body: JSON.stringify({ amount }) })
      if (!res.ok) throw new Error(`refund failed: ${res.status} ${await res.text()}`)
    }
    const { rows } = await b.db.query("select refund_id, cip, amount::text, reference_id from pagoefectivo_refund where payment_id = $1 order by requested_at", [paymentId])
    return rows
  })
  return perOrder.flat()
}

/** The notifications of the burst: every one about something the store has, interleaved. */
async function prepare(b: BenchStore, cipCount: number, refundCount: number): Promise<Prepared> {
  log(`  preparing ${cipCount} unpaid CIPs (orders placed) and ${refundCount} pending refunds`)
  const placed = await inParallel(Array.from({ length: cipCount }), 6, (_, i) =>
    checkoutWithCip(b.store, { regionId: b.seeded.regionId, variantId: b.seeded.variantId, email: `wh${i}@example.pe` })
  )
  await inParallel(placed, 8, ({ session }) => sandboxCall(b.sandbox, "POST", `/__sandbox/cips/${session.data.cip}/pay`, { notify: false }))
  const paid = placed.map(({ session }, i) =>
    JSON.stringify({
      eventType: "cip.paid",
      operationNumber: `wh${i}`,
      data: { cip: session.data.cip, currency: session.data.currency, amount: Number(session.data.amount), transactionCode: session.id, paymentDate: "2026-11-25T10:00:00-05:00" },
    })
  )
  const refunds = await adminRefunds(b, refundCount, "whr")
  let completed = 0
  let rejected = 0
  const results = refunds.map((r, i) => {
    const status = i % 3 === 2 ? "rejected" : "completed"
    status === "completed" ? completed++ : rejected++
    return JSON.stringify({
      eventType: `refund.${status}`,
      operationNumber: `whr${i}`,
      data: { refundId: r.refund_id, referenceId: r.reference_id ?? `RF${i}`, cip: r.cip, amount: Number(r.amount), currency: "PEN", status, reason: status === "rejected" ? "cuenta destino cerrada" : null, dateProcessed: "2026-11-25T10:00:00-05:00" },
    })
  })
  const bodies: string[] = []
  for (let i = 0; i < Math.max(paid.length, results.length); i++) {
    if (i < paid.length) bodies.push(paid[i])
    if (i < results.length) bodies.push(results[i])
  }
  return { bodies, keys: bodies.map((body) => notificationKey(JSON.parse(body))), cips: paid.length, completed, rejected, orderIds: placed.map((p) => p.order.id) }
}

/** One autocannon burst of exactly `bodies.length` requests; every response's latency kept. */
async function burst(url: string, bodies: string[], signed: boolean) {
  let next = 0
  const latencies: number[] = []
  const started = performance.now()
  const instance = autocannon({
    url,
    connections: Math.min(CONNECTIONS, bodies.length),
    amount: bodies.length,
    method: "POST",
    headers: { "content-type": "application/json" },
    requests: [
      {
        setupRequest: (req: any) => {
          const body = bodies[next++ % bodies.length]
          return { ...req, body, headers: { ...req.headers, ...(signed ? { "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) } : {}) } }
        },
      },
    ],
  })
  // the burst lasts until its last answer (autocannon itself ends on its next 1 s tick)
  let last = started
  instance.on("response", (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime)
    last = performance.now()
  })
  const result = await instance
  return { seconds: (last - started) / 1000, latencies, ok: result["2xx"], failed: result.non2xx + result.errors + result.timeouts, started }
}

export async function benchWebhookAck(b: BenchStore, { cips, refunds }: { cips: number; refunds: number }) {
  const { base, db } = b
  const prepared = await prepare(b, cips, refunds)
  const plugin = `${base}/webhooks/pagoefectivo`
  const bare = `${base}/hooks/payment/pp_system_default`
  log(`acknowledgement: ${prepared.bodies.length} real notifications (${prepared.cips} cip.paid, ${prepared.completed} refund.completed, ${prepared.rejected} refund.rejected), ${CONNECTIONS} connections, ${ROUNDS} rounds against each route in alternating order`)
  // warm both routes up (the plugin's with results of refunds this store never made: unmatched)
  await burst(bare, Array(100).fill("{}"), false)
  await burst(plugin, Array.from({ length: 100 }, (_, i) => JSON.stringify({ eventType: "refund.completed", operationNumber: `w${i}`, data: { refundId: `warmup_${i}`, referenceId: `RFW${i}`, cip: "1", amount: 1, currency: "PEN", status: "completed" } })), true)

  const arms = { plugin: { seconds: 0, requests: 0, failed: 0, latencies: [] as number[] }, bare: { seconds: 0, requests: 0, failed: 0, latencies: [] as number[] } }
  const applied: { notifications: number; ackSeconds: number; appliedSeconds: number }[] = []
  const order: string[] = []
  const per = Math.ceil(prepared.bodies.length / ROUNDS)
  for (let r = 0; r < ROUNDS; r++) {
    const chunk = prepared.bodies.slice(r * per, (r + 1) * per)
    const keys = prepared.keys.slice(r * per, (r + 1) * per)
    if (!chunk.length) break
    const pair = r % 2 === 0 ? (["bare", "plugin"] as const) : (["plugin", "bare"] as const)
    order.push(pair.join(","))
    for (const arm of pair) {
      // applied: stored and no longer "received" (processed, or failed/deferred, which count against
      // it below); watched from the burst's start, beside it
      const applied_ =
        arm === "plugin"
          ? waitFor(async () => {
              const { rows } = await db.query("select count(*)::int as n from pagoefectivo_notification where key = any($1) and status <> 'received'", [keys])
              return rows[0].n === keys.length ? performance.now() : null
            }, 20 * 60_000, undefined, 50)
          : null
      const res = await burst(arm === "plugin" ? plugin : bare, arm === "plugin" ? chunk : Array(chunk.length).fill("{}"), arm === "plugin")
      arms[arm].seconds += res.seconds
      arms[arm].requests += res.ok
      arms[arm].failed += res.failed
      arms[arm].latencies.push(...res.latencies)
      if (applied_) applied.push({ notifications: chunk.length, ackSeconds: round(res.seconds, 2), appliedSeconds: round(((await applied_) - res.started) / 1000, 2) })
    }
  }

  // what became of them: stored once each, every one applied as it should be
  const { rows: [stored] } = await db.query("select count(*)::int as count, count(distinct key)::int as keys from pagoefectivo_notification where key = any($1)", [prepared.keys])
  const { rows: statuses } = await db.query("select status, count(*)::int as n from pagoefectivo_notification where key = any($1) group by status", [prepared.keys])
  const { rows: [orders] } = await db.query("select count(*)::int as n from order_payment_collection opc join payment_collection pc on pc.id = opc.payment_collection_id where opc.order_id = any($1) and pc.status = 'completed'", [prepared.orderIds])
  const { rows: settled } = await db.query(
    "select p.status, count(*)::int as n, count(*) filter (where r.deleted_at is not null)::int as undone from pagoefectivo_refund p left join refund r on r.id = p.refund_id where p.refund_id = any($1) group by p.status",
    [prepared.keys.filter((k) => k.startsWith("refund.")).map((k) => k.slice(k.indexOf(":") + 1))]
  )
  const stat = (a: (typeof arms)["plugin"]) => ({ rps: round(a.requests / a.seconds, 0), p50: round(pct(a.latencies, 50), 1), p99: round(pct(a.latencies, 99), 1), requests: a.requests, non2xx: a.failed })
  const pluginStat = stat(arms.plugin)
  const bareStat = stat(arms.bare)
  const byStatus = Object.fromEntries(settled.map((s: any) => [s.status, s]))
  const ack = {
    connections: CONNECTIONS,
    rounds: ROUNDS,
    order,
    notifications: { total: prepared.bodies.length, cipPaid: prepared.cips, refundCompleted: prepared.completed, refundRejected: prepared.rejected },
    plugin: pluginStat,
    bare: bareStat,
    ratio: round(pluginStat.rps / bareStat.rps, 3),
    p99Ratio: round(pluginStat.p99 / Math.max(bareStat.p99, 1), 3),
    storedExactlyOnce: stored.count === prepared.keys.length && stored.keys === prepared.keys.length,
    statuses: Object.fromEntries(statuses.map((s: any) => [s.status, s.n])),
    ordersCaptured: orders.n,
    refundsCompleted: byStatus.completed?.n ?? 0,
    refundsRejectedAndUndone: byStatus.rejected?.undone ?? 0,
    allApplied:
      orders.n === prepared.cips && (byStatus.completed?.n ?? 0) === prepared.completed && (byStatus.rejected?.undone ?? 0) === prepared.rejected,
  }
  const appliedTotal = applied.reduce((t, r) => t + r.appliedSeconds, 0)
  const appliedSummary = { rounds: applied, maxSeconds: Math.max(...applied.map((r) => r.appliedSeconds)), perSecond: round(prepared.bodies.length / appliedTotal, 1) }
  log(`  plugin ${pluginStat.rps} req/s, bare ${bareStat.rps} req/s; all applied: ${ack.allApplied}, at most ${appliedSummary.maxSeconds} s after a burst's start`)
  return { ack, applied: appliedSummary }
}

export async function benchSettlement(b: BenchStore, SETTLEMENTS: number) {
  const { base, db } = b
  log(`settlement: ${SETTLEMENTS} refunds, one result at a time`)
  const refundIds = (await adminRefunds(b, SETTLEMENTS, "settle")).map((r) => r.refund_id)
  const settle: Record<"completed" | "rejected", number[]> = { completed: [], rejected: [] }
  for (const [i, refundId] of refundIds.entries()) {
    const status = i % 2 === 0 ? "completed" : "rejected"
    const { rows: [r] } = await db.query("select cip, amount::text from pagoefectivo_refund where refund_id = $1", [refundId])
    const body = JSON.stringify({
      eventType: `refund.${status}`,
      operationNumber: `s${i}`,
      data: { refundId, referenceId: `RFS${i}`, cip: r.cip, amount: Number(r.amount), currency: "PEN", status, reason: status === "rejected" ? "bench" : null },
    })
    const res = await fetch(`${base}/webhooks/pagoefectivo`, { method: "POST", headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) }, body })
    const acked = performance.now()
    if (!res.ok) throw new Error(`notification answered ${res.status}`)
    await waitFor(async () => {
      const { rows: [now] } = await db.query(
        status === "completed"
          ? "select 1 from pagoefectivo_refund where refund_id = $1 and status = 'completed'"
          : "select 1 from pagoefectivo_refund p join refund r on r.id = p.refund_id where p.refund_id = $1 and p.status = 'rejected' and r.deleted_at is not null",
        [refundId]
      )
      return !!now
    }, 30_000, undefined, 2)
    settle[status].push(performance.now() - acked)
  }
  const all = [...settle.completed, ...settle.rejected]
  return {
    count: all.length,
    p50Ms: round(pct(all, 50), 1),
    p99Ms: round(pct(all, 99), 1),
    completed: { p50Ms: round(pct(settle.completed, 50), 1), p99Ms: round(pct(settle.completed, 99), 1) },
    rejected: { p50Ms: round(pct(settle.rejected, 50), 1), p99Ms: round(pct(settle.rejected, 99), 1) },
  }
}
