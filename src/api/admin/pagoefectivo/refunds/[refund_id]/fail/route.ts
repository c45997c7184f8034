import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { parseOr400 } from "../../../orders/view"
import { type AdminPagoEfectivoManualSettleResponse, settleManualRefund } from "../../manual"

const Body = z
  .object({
    reason: z
      .string({ error: "is required: why the transfer failed" })
      .trim()
      .min(1, "is required: why the transfer failed")
      .max(500, "must be at most 500 characters"),
  })
  .strict()

/**
 * POST /admin/pagoefectivo/refunds/:refund_id/fail {reason}: the transfer failed (or will not be
 * made). Medusa's refund is undone: the amount is owed to the shopper again.
 */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse<AdminPagoEfectivoManualSettleResponse>) => {
  const { reason } = parseOr400(Body, req.body ?? {}, "body")
  await settleManualRefund(req, res, { status: "failed", reason })
}
