/**
 * `npm run bench` — the plugin beside Medusa's own baselines, in one run on one machine; prints a
 * table and writes bench/results.json. `-- --smoke` runs every part briefly (a check that the
 * benchmarks work, not figures); `-- --only admin,webhooks,settlement,client,reconcile,export` picks parts.
 *
 * 1. admin refund latency, PagoEfectivo vs pp_system_default (bench/refunds.ts)
 * 2. webhook acknowledgement vs /hooks/payment/pp_system_default (bench/webhooks.ts)
 * 3. settlement: acknowledgement → status change (bench/webhooks.ts)
 * 4. client refunds/s vs a bare undici POST (bench/client.ts)
 * 5. reconciliation of 1,000 and 10,000 pending refunds (bench/reconcile.ts)
 * 6. the finance export of 100,000 refunds as CSV and JSON (bench/export.ts)
 */
import { benchClient } from "./client"
import { RESULTS_FILE, log, startBenchStore, writeResults } from "./harness"
import { benchExport } from "./export"
import { benchReconcile } from "./reconcile"
import { benchAdminRefunds } from "./refunds"
import { benchSettlement, benchWebhookAck } from "./webhooks"

const smoke = process.argv.includes("--smoke")
const onlyArg = process.argv.find((a) => a.startsWith("--only"))
const only = onlyArg ? new Set((onlyArg.split("=")[1] ?? process.argv[process.argv.indexOf(onlyArg) + 1]).split(",")) : null
const wants = (part: string) => !only || only.has(part)

const SIZES = smoke
  ? { admin: 10, ackSeconds: 3, settlements: 10, client: 300, reconcile: [50, 500], export: 2000 }
  : { admin: 200, ackSeconds: 15, settlements: 200, client: 5000, reconcile: [1000, 10000], export: 100_000 }

async function main() {
  const b = await startBenchStore()
  const results: Record<string, any> = { smoke }
  try {
    if (wants("admin")) results.adminRefunds = await benchAdminRefunds(b, SIZES.admin)
    if (wants("webhooks")) {
      const { ack, drain } = await benchWebhookAck(b, SIZES.ackSeconds)
      results.webhookAck = ack
      results.webhookBacklog = drain
    }
    if (wants("settlement")) results.settlement = await benchSettlement(b, SIZES.settlements)
    if (wants("client")) results.client = await benchClient(b.sandbox, SIZES.client)
    if (wants("reconcile")) results.reconcile = await benchReconcile(b, SIZES.reconcile)
    if (wants("export")) results.export = await benchExport(b, SIZES.export)
  } finally {
    await b.stop()
  }
  if (!smoke) writeResults(results)
  report(results)
}

function report(r: Record<string, any>) {
  const rows: string[][] = [["measure", "plugin", "Medusa baseline / bound", "ratio", "target"]]
  if (r.adminRefunds) {
    const a = r.adminRefunds
    rows.push([`admin refund p50 (${a.count} each)`, `${a.pagoefectivo.p50Ms} ms`, `${a.system.p50Ms} ms (pp_system_default)`, `${a.p50Ratio}`, "≤ 1.05"])
    rows.push(["admin refund p95", `${a.pagoefectivo.p95Ms} ms`, `${a.system.p95Ms} ms`, `${a.p95Ratio}`, ""])
  }
  if (r.webhookAck) {
    const w = r.webhookAck
    rows.push([`webhook ack req/s (${w.connections} conn, ${w.durationSeconds} s)`, `${w.plugin.rps}`, `${w.bare.rps} (/hooks/payment)`, `${w.ratio}`, "≥ 0.8"])
    rows.push(["webhook ack p50 / p99", `${w.plugin.p50} / ${w.plugin.p99} ms`, `${w.bare.p50} / ${w.bare.p99} ms`, `${w.p99Ratio} (p99)`, "p99 ≤ 1.25×"])
    rows.push(["notifications stored exactly once", `${w.storedExactlyOnce} (${w.acknowledged} acked, ${w.stored} stored)`, "", "", "true"])
  }
  if (r.webhookBacklog) rows.push(["burst backlog applied in background", `${r.webhookBacklog.backlog} in ${r.webhookBacklog.seconds} s`, "", "", ""])
  if (r.settlement) rows.push([`settlement ack → status (${r.settlement.count})`, `p50 ${r.settlement.p50Ms} / p99 ${r.settlement.p99Ms} ms`, "Medusa's webhook path waits 5 s", "", "p99 < 500 ms"])
  if (r.client) rows.push([`client refunds/s (${r.client.count})`, `${r.client.clientPerSecond}`, `${r.client.barePerSecond} (bare undici)`, `${r.client.ratio}`, "≥ 0.8"])
  if (r.client) rows.push(["authorization requests", `${r.client.authorizations} for ${r.client.count + 1} calls`, "", "", "1 per 1000"])
  if (r.reconcile) {
    for (const [size, m] of Object.entries<any>(r.reconcile.runs)) {
      rows.push([`reconcile ${size} pending`, `${m.wallSeconds} s, peak RSS ${m.peakRssMb} MB (+${m.rssGrowthMb} MB), heap kept ${m.heapKeptMb} MB`, `${m.completed} completed`, "", "growth < 100 MB"])
    }
    rows.push(["reconcile time ratio (large / small)", `${r.reconcile.timeRatio}`, "", "", "≤ 11"])
  }
  if (r.export) {
    for (const format of ["csv", "json"]) {
      const e = r.export[format]
      rows.push([`finance export ${format}, ${r.export.rows} rows`, `${e.seconds} s (${e.rowsPerSecond} rows/s, ${e.megabytes} MB)`, `server RSS +${e.rssGrowthMb} MB`, "", "streams: flat memory"])
    }
  }
  log("")
  log(rows.map((row, i) => `| ${row.join(" | ")} |${i === 0 ? `\n|${row.map(() => "---").join("|")}|` : ""}`).join("\n"))
  if (!r.smoke) log(`\nwritten to ${RESULTS_FILE}`)
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  }
)
