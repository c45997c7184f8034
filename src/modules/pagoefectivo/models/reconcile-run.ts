import { model } from "@medusajs/framework/utils"

export const RECONCILE_RUN_STATUSES = ["ok", "failed", "skipped"] as const
export type ReconcileRunStatus = (typeof RECONCILE_RUN_STATUSES)[number]

/**
 * One run of the reconciliation (the job, or `medusa exec` of the script), kept so that staff can
 * see that it runs at all and what it found: the last 50 are kept (src/modules/pagoefectivo/reconcile-runs.ts).
 * - ok: it ran to the end (`summary` is reconcilePagoEfectivo's summary, `summary_line` the line it logged);
 * - failed: it threw (`error`: the message; nothing secret, PagoEfectivo's errors carry no credential);
 * - skipped: another worker held the reconciliation's lock.
 */
const PagoEfectivoReconcileRun = model
  .define({ name: "PagoEfectivoReconcileRun", tableName: "pagoefectivo_reconcile_run" }, {
    id: model.id({ prefix: "perrun" }).primaryKey(),
    /** "job" (the scheduled job) or "script" (npx medusa exec …/reconcile-pagoefectivo). */
    trigger: model.text(),
    status: model.enum([...RECONCILE_RUN_STATUSES]),
    started_at: model.dateTime(),
    finished_at: model.dateTime(),
    duration_ms: model.number(),
    summary: model.json().nullable(),
    summary_line: model.text().nullable(),
    error: model.text().nullable(),
  })
  .indexes([{ on: ["started_at"] }])

export default PagoEfectivoReconcileRun
