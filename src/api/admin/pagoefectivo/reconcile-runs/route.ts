import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../modules/pagoefectivo/service"
import { type ReconcileRunView, runView } from "../health/view"
import { parseOr400 } from "../orders/view"
import { type Page, pageOf, pagingShape } from "../paging"

const Query = z.object(pagingShape).strict()

export type AdminPagoEfectivoReconcileRunsResponse = Page<ReconcileRunView>

/**
 * GET /admin/pagoefectivo/reconcile-runs?limit=&cursor= — the reconciliation's runs, newest first
 * (the last 50 are kept): when, ok / failed / skipped, the summary line it logged, the error of a
 * run that failed. Keyset-paged.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoReconcileRunsResponse>) => {
  const { limit, cursor } = parseOr400(Query, req.query ?? {}, "query")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const rows = await pe.reconcileRuns().list(cursor ?? null, limit + 1)
  res.json(pageOf(rows, limit, (r) => r.id, runView))
}
