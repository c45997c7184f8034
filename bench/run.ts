/**
 * `npm run bench` — the plugin beside Medusa's own baselines, in one run on one machine; prints
 * README's Figures table (bench/table.ts) and writes every figure, with the date, the commit and
 * the machine, to bench/results/<date>-<commit>.json, which is committed: README's figures come
 * from such files, each table naming its own (`npm run bench:table -- --check`).
 *
 * `-- --smoke` runs every part briefly (a check that the benchmarks work, run by CI; no figure
 * is asserted and no results file is written; the payments part on one process only);
 * `-- --only admin,webhooks,settlement,payments,client,reconcile,export` picks parts (README's
 * table names the results file each of its rows comes from, see bench/table.ts);
 * `-- --layouts=single` runs the payments part on one layout only, `-- --rates=50x150` (rate x
 * count) at those rates only; `-- --webhooks=200x200` sizes the webhooks part (cip.paid x refund results),
 * `-- --webhook-layouts=single` runs it on one layout only.
 *
 * 1. admin refund latency, PagoEfectivo vs pp_system_default (bench/refunds.ts)
 * 2. webhook acknowledgement of real notifications vs /hooks/payment/pp_system_default, and the
 *    time until they are applied (bench/webhooks.ts), on one process and on a server + worker
 * 3. settlement: acknowledgement → status change (bench/webhooks.ts)
 * 3b. payments applied: `cip.paid` → order captured vs Medusa's own capture, at 5/s and 50/s, on
 *    one process and on a server + worker (bench/payments.ts)
 * 4. client refunds/s vs a bare undici POST (bench/client.ts)
 * 5. reconciliation of 1,000 and 10,000 pending refunds, 2% of them rejected (bench/reconcile.ts)
 * 6. the finance export of 100,000 refunds as CSV and JSON (bench/export.ts)
 */
import path from "node:path"
import { benchClient } from "./client"
import { REPO_ROOT } from "../scripts/lib/medusa-process"
import { type Layout, log, startBenchStore, startLayout, through, writeResults } from "./harness"
import { benchExport } from "./export"
import { benchReconcile } from "./reconcile"
import { benchPayments } from "./payments"
import { benchAdminRefunds } from "./refunds"
import { tableRows } from "./table"
import { benchSettlement, benchWebhookAck } from "./webhooks"

const smoke = process.argv.includes("--smoke")
const onlyArg = process.argv.find((a) => a.startsWith("--only"))
const only = onlyArg ? new Set((onlyArg.split("=")[1] ?? process.argv[process.argv.indexOf(onlyArg) + 1]).split(",")) : null
const wants = (part: string) => !only || only.has(part)

const SIZES = smoke
  ? { admin: 10, webhookCips: 8, webhookRefunds: 8, settlements: 10, webhookLayouts: ["single"], payments: { layouts: ["single" as const], runs: [{ rate: 5, count: 4 }, { rate: 50, count: 10 }] }, client: 200, reconcile: [50, 500], export: 2000 }
  : { admin: 200, webhookCips: 500, webhookRefunds: 500, settlements: 200, webhookLayouts: ["single", "worker"], payments: { layouts: ["single" as const, "worker" as const], runs: [{ rate: 5, count: 60 }, { rate: 50, count: 150 }] }, client: 5000, reconcile: [1000, 10000], export: 100_000 }

/** `--name=a,b` → ["a", "b"] */
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3).split(",")

async function main() {
  const startedAt = new Date()
  const b = await startBenchStore()
  const results: Record<string, any> = { smoke, sizes: SIZES }
  try {
    if (wants("admin")) results.adminRefunds = await benchAdminRefunds(b, SIZES.admin)
    if (wants("webhooks")) {
      const [cips, refunds] = (arg("webhooks")?.[0] ?? `${SIZES.webhookCips}x${SIZES.webhookRefunds}`).split("x").map(Number)
      for (const layout of (arg("webhook-layouts") ?? SIZES.webhookLayouts) as Layout[]) {
        const target = await startLayout(b, layout)
        try {
          const { ack, applied } = await benchWebhookAck(through(b, target), { cips, refunds })
          const suffix = layout === "single" ? "" : "Worker"
          results[`webhookAck${suffix}`] = { ...ack, processes: target.processes }
          results[`webhookApplied${suffix}`] = applied
          if (!ack.storedExactlyOnce || !ack.allApplied) throw new Error(`webhooks (${layout}): not every notification was stored once and applied: ${JSON.stringify(ack)}`)
        } finally {
          await target.stop()
        }
      }
    }
    if (wants("settlement")) results.settlement = await benchSettlement(b, SIZES.settlements)
    if (wants("payments")) {
      const layouts = arg("layouts") as ("single" | "worker")[] | undefined
      const runs = arg("rates")?.map((r) => ({ rate: Number(r.split("x")[0]), count: Number(r.split("x")[1]) }))
      results.payments = await benchPayments(b, { layouts: layouts ?? SIZES.payments.layouts, runs: runs ?? SIZES.payments.runs })
    }
    if (wants("client")) results.client = await benchClient(b, SIZES.client)
    if (wants("reconcile")) results.reconcile = await benchReconcile(b, SIZES.reconcile)
    if (wants("export")) results.export = await benchExport(b, SIZES.export)
  } finally {
    await b.stop()
  }
  log("")
  log(tableRows(results).join("\n"))
  if (!smoke) {
    const file = writeResults(results, { startedAt, finishedAt: new Date() })
    log(`\nwritten to ${path.relative(REPO_ROOT, file)} (commit it; README's table: npm run bench:table -- --write)`)
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  }
)
