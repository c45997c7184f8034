import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../../../modules/pagoefectivo/service"
import { recordIfOutside } from "../../../../../../lib/refunds/outside-refund"
import { applyNotification } from "../../../../../../lib/notifications/apply-notification"
import { ID_PATTERN, parseOr400, sendConflict } from "../../../orders/view"
import { type NotificationView, notificationView } from "../../view"

const Params = z.object({ id: z.string().regex(ID_PATTERN, "must be a notification id") })
const Body = z.object({}).strict()

/** Statuses whose notification was applied already (or judged a contradiction): nothing to reprocess. */
const DONE = ["processed", "ignored", "anomaly"]

export type AdminPagoEfectivoReprocessResponse = { notification: NotificationView }

/**
 * POST /admin/pagoefectivo/notifications/:id/reprocess — the page's "Reprocess": applies a stored
 * notification again, exactly as its delivery did (applyNotification: the same workflow, every
 * step idempotent), e.g. one that failed while PagoEfectivo could not be asked, or one that matched
 * nothing then. Answers the notification as it is afterwards (its status says how it went: processed,
 * or failed again with the error). 404 unknown; 409 for one applied already.
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoReprocessResponse>) => {
  const { id } = parseOr400(Params, req.params, "path")
  parseOr400(Body, req.body ?? {}, "body")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const [before] = await pe.listPagoEfectivoNotifications({ id }, { take: 1 })
  if (!before) throw new MedusaError(MedusaError.Types.NOT_FOUND, `PagoEfectivo notification with id "${id}" was not found`)
  if (DONE.includes(before.status)) {
    return sendConflict(res, `Notification ${id} is ${before.status}: it was applied already, there is nothing to reprocess`)
  }
  await applyNotification(req.scope, id)
  await recordIfOutside(req.scope, id)
  const [after] = await pe.listPagoEfectivoNotifications({ id }, { take: 1 })
  res.json({ notification: notificationView(after as any) })
}
