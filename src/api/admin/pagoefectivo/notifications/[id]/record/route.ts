import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { recordOutsideRefund } from "../../../../../../lib/refunds/outside-refund"
import { ID_PATTERN, type RefundView, parseOr400, refundView, sendConflict } from "../../../orders/view"

const Params = z.object({ id: z.string().regex(ID_PATTERN, "must be a notification id") })
const Body = z.object({}).strict()

export type AdminPagoEfectivoRecordOutsideResponse = {
  /** recorded: this call recorded it; duplicate: it was recorded already (nothing changed). */
  outcome: "recorded" | "duplicate"
  /** Medusa counts the refund now (its Refund row stands on the payment). */
  counted: boolean
  refund: RefundView
}

/**
 * POST /admin/pagoefectivo/notifications/:id/record — "Record in Medusa" for a refund made in
 * PagoEfectivo's own panel (a refund.completed for a CIP of this store whose refundId it never
 * made): Medusa's refund is created without calling PagoEfectivo, through the same convergence as
 * every other refund (src/lib/refunds/outside-refund.ts). Pressed twice, or twice at once, it records
 * one refund: the second answers `duplicate`. 404 unknown notification; 409 with the reason when
 * there is nothing to record (another kind of notification, a refund Medusa made, a CIP this store
 * does not know or did not capture, another currency, more than was paid).
 */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse<AdminPagoEfectivoRecordOutsideResponse>) => {
  const { id } = parseOr400(Params, req.params, "path")
  parseOr400(Body, req.body ?? {}, "body")
  const result = await recordOutsideRefund(req.scope, id, req.auth_context?.actor_id ?? null)
  if (result.outcome === "not_found") throw new MedusaError(MedusaError.Types.NOT_FOUND, result.message)
  if (result.outcome === "not_recordable") return sendConflict(res, `Cannot record notification ${id} in Medusa: ${result.message}`)
  res.json({ outcome: result.outcome, counted: result.counted, refund: refundView(result.record) })
}
