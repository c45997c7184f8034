import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../orders/view"
import { type Page, pageOf, pagingShape } from "../paging"
import { type NotificationView, notificationView } from "./view"

const STATUSES = ["received", "processed", "failed", "ignored", "unmatched", "anomaly", "deferred"] as const
/** What needs a person: notifications that failed, matched nothing, or wait (deferred). */
export const DEFAULT_STATUSES = ["failed", "unmatched", "deferred"] as const

const Query = z
  .object({
    ...pagingShape,
    status: z
      .string()
      .max(200)
      .transform((s) => [...new Set(s.split(",").map((x) => x.trim()).filter(Boolean))])
      .pipe(z.array(z.enum(STATUSES, { error: `must be a comma-separated list of ${STATUSES.join(", ")}` })).min(1, "must name at least one status"))
      .optional(),
  })
  .strict()

export type AdminPagoEfectivoNotificationsResponse = Page<NotificationView> & { statuses: string[] }

/**
 * GET /admin/pagoefectivo/notifications?status=failed,unmatched,deferred&limit=&cursor= — stored
 * notifications in those statuses (by default the three that need a person), newest first, with
 * their payload and error. Keyset-paged.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoNotificationsResponse>) => {
  const { limit, cursor, status } = parseOr400(Query, req.query ?? {}, "query")
  const statuses = status ?? [...DEFAULT_STATUSES]
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const rows = await pe.operations().notifications(statuses, cursor ?? null, limit + 1)
  res.json({ ...pageOf(rows, limit, (r) => r.id, notificationView), statuses })
}
