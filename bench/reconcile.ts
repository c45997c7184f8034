/**
 * Reconciliation at scale: N refunds whose notifications were lost (records `pending`, untouched
 * for an hour), reconciled by one run in its own process (`medusa exec ./bench/reconcile-run.ts`):
 * wall time and peak resident memory, for 1,000 and 10,000. Most were completed by PagoEfectivo
 * (their records written straight into the table); a share (REJECTED_SHARE) were rejected, and
 * those are real refunds made through the admin's Refund button, so the run takes the undo path
 * for them (Medusa's refund and its order transaction undone, one workflow each).
 */
import path from "node:path"
import { PagoEfectivoClient, WireAmount, closeAllPools } from "../src/lib/pagoefectivo"
import { createLimiter } from "../src/lib/concurrency"
import { SANDBOX_DEFAULTS } from "../sandbox/server"
import { REPO_ROOT, runMedusa } from "../scripts/lib/medusa-process"
import { type BenchStore, LOG_DIR, log, round, sandboxCall } from "./harness"
import { adminRefunds } from "./webhooks"

/** The share of the refunds that PagoEfectivo rejected (the undo path). */
export const REJECTED_SHARE = 0.02

export async function benchReconcile(b: BenchStore, sizes: number[]) {
  const out: Record<string, { wallSeconds: number; peakRssMb: number; rssGrowthMb: number; heapKeptMb: number | null; heapTotalGrowthMb: number; externalGrowthMb: number; completed: number; rejected: number; undone: number }> = {}
  const client = new PagoEfectivoClient({ baseUrl: b.sandbox.apiUrl, accessKey: SANDBOX_DEFAULTS.accessKey, secretKey: SANDBOX_DEFAULTS.secretKey, serviceId: SANDBOX_DEFAULTS.serviceId })
  for (const size of sizes) {
    const rejectedCount = Math.max(1, Math.round(size * REJECTED_SHARE))
    log(`reconciliation: ${size} refunds whose notification was lost (${size - rejectedCount} completed, ${rejectedCount} rejected)`)
    await b.db.query("delete from pagoefectivo_refund")
    // the rejected ones: real refunds, then rejected by PagoEfectivo without telling anyone
    await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${b.base}/webhooks/pagoefectivo`, refunds: { autoSettle: "none" } })
    const rejected = await adminRefunds(b, rejectedCount, `rec${size}_`)
    for (const r of rejected) await sandboxCall(b.sandbox, "POST", `/__sandbox/refunds/${r.refund_id}/reject`, { notify: false, reason: "cuenta destino cerrada" })
    await b.db.query("update pagoefectivo_refund set updated_at = now() - interval '1 hour' where refund_id = any($1)", [rejected.map((r) => r.refund_id)])
    // the completed ones: PagoEfectivo completes every refund at once and tells nobody
    await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: null, refunds: { autoSettle: "complete", settleDelayMs: 0 } })
    const cip = await client.createCip({ currency: "PEN", amount: new WireAmount("9000.00"), transactionCode: `rec_${size}_${Date.now()}`, userEmail: "bench@example.pe" })
    await fetch(`${b.sandbox.url}/__sandbox/cips/${cip.data.cip}/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ notify: false }) })
    const ids = Array.from({ length: size - rejectedCount }, (_, i) => `rec_${size}_${process.pid}_${i}`)
    const run = createLimiter(16)
    await Promise.all(
      ids.map((refundId) =>
        run(() => client.createRefund({ cip: cip.data.cip, transactionCode: cip.data.transactionCode, merchantOrderId: "order_bench", refundId, amount: new WireAmount("0.01"), currency: "PEN" }))
      )
    )
    await b.db.query(
      `insert into pagoefectivo_refund (id, refund_id, merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, attempts, requested_at, created_at, updated_at)
       select 'perefund_' || r, r, 'order_bench', $2, $3, 0.01, '{"value":"0.01","precision":20}'::jsonb, 'PEN', 'pending', '[]'::jsonb,
              now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour'
       from unnest($1::text[]) as r`,
      [ids, cip.data.cip, cip.data.transactionCode]
    )
    const r = await runMedusa({
      args: ["exec", "./bench/reconcile-run.ts"],
      cwd: REPO_ROOT,
      env: { ...b.env, PORT: "0", NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --expose-gc`.trim() },
      logFile: path.join(LOG_DIR, `reconcile-${size}.log`),
    })
    const line = r.output.match(/BENCH_RECONCILE (\{.*\})/)
    if (r.code !== 0 || !line) throw new Error(`reconcile run failed:\n${r.output.slice(-2000)}`)
    const m = JSON.parse(line[1])
    const { rows } = await b.db.query("select count(*)::int as n from pagoefectivo_refund where status = 'completed'")
    const { rows: undone } = await b.db.query(
      "select count(*)::int as n from pagoefectivo_refund p join refund r on r.id = p.refund_id where p.status = 'rejected' and p.reversed_at is not null and r.deleted_at is not null"
    )
    out[size] = {
      wallSeconds: round(m.wallMs / 1000, 2),
      peakRssMb: round(m.peakRss / 2 ** 20, 1),
      rssGrowthMb: round((m.peakRss - m.baseRss) / 2 ** 20, 1),
      /** Live heap after a full GC at the end, minus before: what the run kept. */
      heapKeptMb: m.heapAfterGc === undefined ? null : round((m.heapAfterGc - m.baseHeap) / 2 ** 20, 1),
      /** Peak growth of V8's reserved heap and of memory outside it (Buffers), over the run. */
      heapTotalGrowthMb: round((m.peak.heapTotal - m.base.heapTotal) / 2 ** 20, 1),
      externalGrowthMb: round((m.peak.external - m.base.external) / 2 ** 20, 1),
      completed: rows[0].n,
      rejected: rejectedCount,
      /** Rejected refunds whose Medusa refund the run undid (all of them, or the run failed its job). */
      undone: undone[0].n,
    }
    if (undone[0].n !== rejectedCount || rows[0].n !== size - rejectedCount) {
      throw new Error(`reconcile ${size}: ${rows[0].n} of ${size - rejectedCount} completed, ${undone[0].n} of ${rejectedCount} rejected undone`)
    }
  }
  await closeAllPools()
  await sandboxCall(b.sandbox, "PUT", "/__sandbox/config", { notifyUrl: `${b.base}/webhooks/pagoefectivo`, refunds: { autoSettle: "none" } })
  const [small, large] = sizes
  return { runs: out, timeRatio: round(out[large].wallSeconds / out[small].wallSeconds, 2) }
}
