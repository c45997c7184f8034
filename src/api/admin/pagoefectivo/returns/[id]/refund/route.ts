import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { ID_PATTERN, parseOr400 } from "../../../orders/view"
import { type ReturnRefundResult, refundReturn } from "../../../../../../lib/refunds/refund-return"

const Params = z.object({ id: z.string().regex(ID_PATTERN, "must be a return id") })

/**
 * POST /admin/pagoefectivo/returns/:id/refund — refunds a received return through PagoEfectivo,
 * or retries its automatic refund that failed. Never refunds a return twice: a return already
 * refunded answers what was done (`duplicate: true`). 404 for an unknown return; 400 for a return
 * not received or an order not paid with PagoEfectivo.
 */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse<{ result: ReturnRefundResult }>) => {
  const { id } = parseOr400(Params, req.params, "path")
  const result = await refundReturn(req.scope, id, { retry: true, createdBy: req.auth_context?.actor_id ?? null })
  if (result.status === "ignored") {
    throw new MedusaError(result.message.startsWith("unknown") ? MedusaError.Types.NOT_FOUND : MedusaError.Types.INVALID_DATA, `Cannot refund return ${id}: ${result.message}`)
  }
  // 422: the refund was tried and failed; nothing was refunded (result.message says why)
  res.status(result.status === "error" ? 422 : 200).json({ result })
}
