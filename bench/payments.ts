/**
 * Payments applied (part of `npm run bench`, see bench/run.ts), as a store sees them through the
 * sandbox's control API and Medusa's admin API only:
 * - the plugin: N orders placed awaiting their CIP, each CIP paid at the sandbox at a steady rate R
 *   (the sandbox then delivers its signed `cip.paid`); measured from each pay call until the first
 *   admin-API poll that shows the order `captured`;
 * - Medusa's own capture, the baseline: N orders placed with `pp_system_default` (authorized),
 *   each captured through `POST /admin/payments/:id/capture` at the same R; measured from each
 *   capture call until the first poll that shows the order `captured`.
 * The two arms run in rounds in alternating order (each first half the time), on the same server,
 * watched by the same poller; R = 5/s and 50/s; on one process (the bench's store) and on a Medusa
 * server plus a worker sharing Redis (MEDUSA_WORKER_MODE), the production layout.
 * Then, for every order: exactly one capture, and every `cip.paid` stored once and processed.
 */
import { PagoEfectivoClient, closeAllPools } from "../src/lib/pagoefectivo"
import { SANDBOX_DEFAULTS } from "../sandbox/server"
import { checkoutWithCip } from "../scripts/lib/storefront"
import { type BenchStore, type Layout, type Target, inParallel, log, pct, round, sandboxCall, startLayout, waitFor } from "./harness"
import { systemAuthorizedOrder } from "./refunds"

const ROUNDS = 2
const POLL_GAP_MS = 20

type Arm = "plugin" | "medusa"
type Item = { orderId: string; start: () => Promise<unknown> }

/**
 * Watches orders through the admin API, one list request at a time: `seen(id)` resolves with the
 * time of the first answer that shows the order captured.
 */
function capturePoller(base: string, admin: Record<string, string>) {
  const waiting = new Map<string, (at: number) => void>()
  let running = true
  let polls = 0
  const pollMs: number[] = []
  const loop = (async () => {
    while (running) {
      const ids = [...waiting.keys()].slice(0, 200)
      if (!ids.length) {
        await new Promise((r) => setTimeout(r, 5))
        continue
      }
      const qs = ids.map((id) => `id[]=${id}`).join("&")
      const sent = performance.now()
      const res = await fetch(`${base}/admin/orders?${qs}&fields=id,payment_status&limit=${ids.length}`, { headers: admin }).catch(() => null)
      const at = performance.now()
      polls++
      pollMs.push(at - sent)
      if (res?.ok) {
        const { orders } = (await res.json()) as { orders: { id: string; payment_status: string }[] }
        for (const o of orders) {
          if (o.payment_status !== "captured") continue
          waiting.get(o.id)?.(at)
          waiting.delete(o.id)
        }
      }
      await new Promise((r) => setTimeout(r, POLL_GAP_MS))
    }
  })()
  return {
    seen: (orderId: string) => new Promise<number>((resolve) => waiting.set(orderId, resolve)),
    get polls() {
      return { count: polls, p50Ms: round(pct(pollMs, 50), 1), p99Ms: round(pct(pollMs, 99), 1) }
    },
    stop: async () => {
      running = false
      await loop
    },
  }
}

/** Starts each item at `rate` per second on a fixed schedule (not waiting for the previous); answers each one's latency and the span. */
async function steadyStream(items: Item[], rate: number, poller: ReturnType<typeof capturePoller>, timeoutMs: number) {
  const t0 = performance.now() + 50
  const errors: string[] = []
  const latencies = await Promise.all(
    items.map(async (item, i) => {
      const at = t0 + (i * 1000) / rate
      await new Promise((r) => setTimeout(r, Math.max(0, at - performance.now())))
      const started = performance.now()
      const seen = poller.seen(item.orderId)
      await item.start().catch((e) => errors.push(String((e as Error).message ?? e)))
      const captured = await Promise.race([seen, new Promise<null>((r) => setTimeout(() => r(null), timeoutMs))])
      return captured === null ? null : { started, captured }
    })
  )
  const done = latencies.filter((l): l is { started: number; captured: number } => l !== null)
  const span = done.length ? (Math.max(...done.map((l) => l.captured)) - Math.min(...done.map((l) => l.started))) / 1000 : NaN
  return { ms: done.map((l) => l.captured - l.started), missing: items.length - done.length, span, errors }
}

export async function benchPayments(b: BenchStore, opts: { layouts: Layout[]; runs: { rate: number; count: number }[] }) {
  const out: Record<string, unknown> = {}
  for (const layout of opts.layouts) {
    const target = await startLayout(b, layout)
    try {
      const runs: Record<string, unknown> = {}
      for (const { rate, count } of opts.runs) runs[`${rate}/s`] = await benchOneRate(b, target, layout, rate, count)
      out[layout] = { processes: target.processes, runs, ...(layout === "single" ? { searchCip: await searchCipCost(b) } : {}) }
    } finally {
      await target.stop()
    }
  }
  return out
}

async function benchOneRate(b: BenchStore, target: Target, layout: Layout, rate: number, count: number) {
  const tag = `pay_${layout}_${rate}_`
  log(`payments applied (${layout}): ${count} CIPs paid at ${rate}/s beside ${count} pp_system_default captures at ${rate}/s, ${ROUNDS} rounds in alternating order`)
  const cips = await inParallel(Array.from({ length: count }), 6, (_, i) =>
    checkoutWithCip(b.store, { regionId: b.seeded.regionId, variantId: b.seeded.variantId, email: `${tag}pe${i}@example.pe` })
  )
  const systems = await inParallel(Array.from({ length: count }), 6, (_, i) => systemAuthorizedOrder(b, `${tag}sys${i}@example.pe`))
  const items: Record<Arm, Item[]> = {
    plugin: cips.map(({ session, order }) => ({ orderId: order.id, start: () => sandboxCall(b.sandbox, "POST", `/__sandbox/cips/${session.data.cip}/pay`, {}) })),
    medusa: systems.map(({ orderId, paymentId }) => ({
      orderId,
      start: async () => {
        const res = await fetch(`${target.base}/admin/payments/${paymentId}/capture`, { method: "POST", headers: b.admin, body: "{}" })
        if (!res.ok) throw new Error(`capture answered ${res.status}: ${(await res.text()).slice(0, 300)}`)
      },
    })),
  }
  const poller = capturePoller(target.base, b.admin)
  const arms: Record<Arm, { ms: number[]; missing: number; seconds: number; errors: string[] }> = {
    plugin: { ms: [], missing: 0, seconds: 0, errors: [] },
    medusa: { ms: [], missing: 0, seconds: 0, errors: [] },
  }
  const order: string[] = []
  const per = Math.ceil(count / ROUNDS)
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const pair: Arm[] = r % 2 === 0 ? ["medusa", "plugin"] : ["plugin", "medusa"]
      order.push(pair.join(","))
      for (const arm of pair) {
        const res = await steadyStream(items[arm].slice(r * per, (r + 1) * per), rate, poller, 120_000)
        arms[arm].ms.push(...res.ms)
        arms[arm].missing += res.missing
        arms[arm].seconds += res.span
        arms[arm].errors.push(...res.errors)
      }
    }
  } finally {
    await poller.stop()
  }

  // what became of them: one capture per order, every cip.paid stored once and processed (marked
  // just after the capture shows, so given a moment)
  const cipNumbers = cips.map((c) => String(c.session.data.cip))
  await waitFor(async () => {
    const { rows } = await b.db.query("select count(*)::int as n from pagoefectivo_notification where event_type = 'cip.paid' and cip = any($1) and status <> 'received'", [cipNumbers])
    return rows[0].n >= count
  }, 60_000).catch(() => undefined)
  const { rows: captures } = await b.db.query(
    `select opc.order_id, count(c.id)::int as captures
       from order_payment_collection opc join payment p on p.payment_collection_id = opc.payment_collection_id and p.deleted_at is null
       left join capture c on c.payment_id = p.id and c.deleted_at is null
      where opc.order_id = any($1) group by opc.order_id`,
    [[...cips.map((c) => c.order.id), ...systems.map((s) => s.orderId)]]
  )
  const capturedOnce = captures.filter((c: any) => c.captures === 1).length
  const { rows: notes } = await b.db.query(
    "select count(*)::int as stored, count(distinct cip)::int as cips, count(*) filter (where status = 'processed')::int as processed from pagoefectivo_notification where event_type = 'cip.paid' and cip = any($1)",
    [cipNumbers]
  )
  const stat = (a: (typeof arms)[Arm]) => ({
    count: a.ms.length,
    perSecond: round(a.ms.length / a.seconds, 1),
    p50Ms: round(pct(a.ms, 50), 0),
    p99Ms: round(pct(a.ms, 99), 0),
    maxMs: round(Math.max(...a.ms), 0),
    missing: a.missing,
    errors: a.errors.slice(0, 3),
  })
  const plugin = stat(arms.plugin)
  const medusa = stat(arms.medusa)
  const result = {
    rate,
    count,
    rounds: ROUNDS,
    order,
    plugin,
    medusa,
    throughputRatio: round(plugin.perSecond / medusa.perSecond, 3),
    p99Ratio: round(plugin.p99Ms / medusa.p99Ms, 3),
    p99ExtraMs: round(plugin.p99Ms - medusa.p99Ms, 0),
    capturedOnce: capturedOnce === 2 * count,
    ordersCapturedOnce: capturedOnce,
    notifications: notes[0],
    appliedOnce: notes[0].stored === count && notes[0].cips === count && notes[0].processed === count,
    polls: poller.polls,
  }
  log(
    `  plugin ${plugin.perSecond}/s p50 ${plugin.p50Ms} p99 ${plugin.p99Ms} ms; Medusa ${medusa.perSecond}/s p50 ${medusa.p50Ms} p99 ${medusa.p99Ms} ms` +
      ` → throughput ${result.throughputRatio}×, p99 ${result.p99Ratio}×; captured once ${capturedOnce}/${2 * count}, cip.paid processed ${notes[0].processed}/${count}`
  )
  if (plugin.missing || medusa.missing || !result.capturedOnce || !result.appliedOnce) {
    throw new Error(`payments (${layout}, ${rate}/s): not every order captured exactly once: ${JSON.stringify(result)}`)
  }
  return result
}

/** What the check that a `cip.paid` is real costs: one POST /v1/cips/search round trip, timed from this process against the sandbox. */
async function searchCipCost(b: BenchStore) {
  const client = new PagoEfectivoClient({ baseUrl: b.sandbox.apiUrl, accessKey: SANDBOX_DEFAULTS.accessKey, secretKey: SANDBOX_DEFAULTS.secretKey, serviceId: SANDBOX_DEFAULTS.serviceId })
  const { rows } = await b.db.query("select cip from pagoefectivo_notification where event_type = 'cip.paid' and cip is not null limit 1")
  const cip = rows[0]?.cip ?? "1"
  await client.searchCip(cip)
  const ms: number[] = []
  for (let i = 0; i < 200; i++) {
    const started = performance.now()
    await client.searchCip(cip)
    ms.push(performance.now() - started)
  }
  await closeAllPools()
  return { calls: ms.length, p50Ms: round(pct(ms, 50), 2), p99Ms: round(pct(ms, 99), 2) }
}
