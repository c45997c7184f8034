import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { type ReconcileOptions, type ReconcileSummary, SKIPPED_LOCKED, reconcilePagoEfectivo, summaryLine } from "./reconcile"

/**
 * One reconciliation run, kept: reconcilePagoEfectivo, then its summary (or, when it threw, its
 * error) written to pagoefectivo_reconcile_run, of which the last 50 are kept, for the admin's
 * PagoEfectivo page. The job and the script both run it this way. A run that throws is recorded
 * as failed and thrown again (the job's runner logs it); a run skipped because another worker
 * held the lock is recorded as skipped. Recording never hides the run's own outcome: if the
 * write fails, that is logged and the run's result (or error) stands.
 */
export async function runReconciliation(container: MedusaContainer, trigger: "job" | "script", opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const startedAt = new Date()
  const runs = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).reconcileRuns()
  const keep = async (status: "ok" | "failed" | "skipped", summary: ReconcileSummary | null, error: string | null) => {
    const finishedAt = new Date()
    await runs
      .record({
        trigger,
        status,
        started_at: startedAt,
        finished_at: finishedAt,
        duration_ms: finishedAt.getTime() - startedAt.getTime(),
        summary: summary as unknown as Record<string, unknown> | null,
        summary_line: summary ? summaryLine(summary) : null,
        error,
      })
      .catch((e) => container.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo reconcile: the run could not be recorded: ${(e as Error).message}`))
  }
  let summary: ReconcileSummary
  try {
    summary = await reconcilePagoEfectivo(container, opts)
  } catch (e) {
    await keep("failed", null, (e as Error)?.message ?? String(e))
    throw e
  }
  await keep(summary.skipped === SKIPPED_LOCKED ? "skipped" : "ok", summary, null)
  return summary
}
