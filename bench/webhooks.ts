/**
 * Webhook benchmarks (part of `npm run bench`, see bench/run.ts):
 * 1. acknowledgement: autocannon, 32 connections, against POST /webhooks/pagoefectivo with valid,
 *    unique, signed refund notifications, and against Medusa's bare
 *    /hooks/payment/pp_system_default (which verifies and stores nothing), one after the other:
 *    requests/s, p50, p99, non-2xx; afterwards every notification must be stored exactly once;
 * 2. settlement: refunds made through the admin's refund route, then a signed refund.completed
 *    or refund.rejected for each: time from the route's acknowledgement until the refund record
 *    (and, for a rejection, Medusa's refund) shows the new status.
 */
import autocannon from "autocannon"
import { sign } from "../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS } from "../sandbox/server"
import { type BenchStore, log, paidOrder, pct, round, waitFor } from "./harness"

const CONNECTIONS = 32

export async function benchWebhookAck(b: BenchStore, durationSeconds: number) {
  const { base, db } = b
  const DURATION = durationSeconds
  // ---- 1. acknowledgement throughput --------------------------------------------------------
  let seq = 0
  const refundBody = () => {
    const refundId = `bench_${process.pid}_${++seq}`
    return JSON.stringify({
      eventType: "refund.completed",
      operationNumber: String(seq),
      data: { refundId, referenceId: `RF${seq}`, cip: "2523136", amount: 10, currency: "PEN", status: "completed", dateProcessed: "2026-11-25T10:00:00-05:00" },
    })
  }
  const run = (url: string, signed: boolean) =>
    autocannon({
      url,
      connections: CONNECTIONS,
      duration: DURATION,
      method: "POST",
      headers: { "content-type": "application/json" },
      requests: [
        {
          setupRequest: (req: any) => {
            const body = refundBody()
            return { ...req, body, headers: { ...req.headers, ...(signed ? { "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) } : {}) } }
          },
        },
      ],
    })
  log(`acknowledgement: ${CONNECTIONS} connections × ${DURATION} s per route`)
  // warm both routes up, then measure the baseline first and the plugin second
  await autocannon({ url: `${base}/hooks/payment/pp_system_default`, connections: 4, amount: 200, method: "POST", body: "{}", headers: { "content-type": "application/json" } })
  await autocannon({ url: `${base}/webhooks/pagoefectivo`, connections: 4, amount: 200, method: "POST", requests: [{ setupRequest: (req: any) => { const body = refundBody(); return { ...req, body, headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) } } } }] })
  const { rows: [{ count: storedBefore }] } = await db.query("select count(*)::int as count from pagoefectivo_notification")
  const bare = await run(`${base}/hooks/payment/pp_system_default`, false)
  const plugin = await run(`${base}/webhooks/pagoefectivo`, true)
  const { rows: [stored] } = await db.query("select count(*)::int as count, count(distinct key)::int as keys from pagoefectivo_notification")
  const pluginOk = plugin["2xx"]
  const ack = {
    connections: CONNECTIONS,
    durationSeconds: DURATION,
    plugin: summarize(plugin),
    bare: summarize(bare),
    ratio: round(plugin.requests.average / bare.requests.average, 3),
    p99Ratio: round(plugin.latency.p99 / Math.max(bare.latency.p99, 1), 3),
    // every acknowledged notification stored, none twice (autocannon drops the answers still in
    // flight when the time is up, so up to `connections` more may be stored than acknowledged)
    storedExactlyOnce:
      stored.count === stored.keys && stored.count - storedBefore >= pluginOk && stored.count - storedBefore <= pluginOk + CONNECTIONS,
    stored: stored.count - storedBefore,
    acknowledged: pluginOk,
  }

  // The burst left a backlog to apply in the background (at most 2 at a time): let it drain,
  // and time it, so that the settlement below is measured on an idle store.
  const drainStarted = performance.now()
  const backlog = Number((await db.query("select count(*) as n from pagoefectivo_notification where status = 'received'")).rows[0].n)
  await waitFor(async () => Number((await db.query("select count(*) as n from pagoefectivo_notification where status = 'received'")).rows[0].n) === 0, 20 * 60_000, undefined, 500)
  const drain = { backlog, seconds: round((performance.now() - drainStarted) / 1000, 1) }
  log(`background: a backlog of ${backlog} notifications applied in ${drain.seconds} s`)

  return { ack, drain }
}

export async function benchSettlement(b: BenchStore, SETTLEMENTS: number) {
  const { base, db } = b
  // ---- 2. settlement latency ----------------------------------------------------------------
  log(`settlement: ${SETTLEMENTS} refunds`)
  const admin = b.admin
  const refundIds: string[] = []
  const perOrder = 100
  for (let o = 0; refundIds.length < SETTLEMENTS; o++) {
    const { paymentId } = await paidOrder(b, `settle${o}@example.pe`)
    for (let i = 0; i < perOrder && refundIds.length < SETTLEMENTS; i++) {
      const amount = (0.5 + i * 0.01).toFixed(2) // distinct amounts: not a double click
      const res = await fetch(`${base}/admin/payments/${paymentId}/refund`, { method: "POST", headers: admin, body: JSON.stringify({ amount: Number(amount) }) })
      if (!res.ok) throw new Error(`refund failed: ${res.status} ${await res.text()}`)
      const { rows } = await db.query("select refund_id from pagoefectivo_refund where payment_id = $1 order by requested_at desc limit 1", [paymentId])
      refundIds.push(rows[0].refund_id)
    }
  }
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
  const settlement = {
    count: all.length,
    p50Ms: round(pct(all, 50), 1),
    p99Ms: round(pct(all, 99), 1),
    completed: { p50Ms: round(pct(settle.completed, 50), 1), p99Ms: round(pct(settle.completed, 99), 1) },
    rejected: { p50Ms: round(pct(settle.rejected, 50), 1), p99Ms: round(pct(settle.rejected, 99), 1) },
  }
  return settlement
}

function summarize(r: autocannon.Result) {
  return { rps: round(r.requests.average, 0), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, requests: r.requests.total }
}
