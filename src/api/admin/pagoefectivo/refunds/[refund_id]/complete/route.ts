import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { parseOr400 } from "../../../orders/view"
import { type AdminPagoEfectivoManualSettleResponse, settleManualRefund } from "../../manual"

const Body = z
  .object({
    bank_reference: z
      .string({ error: "is required: the bank transfer's reference" })
      .trim()
      .min(1, "is required: the bank transfer's reference")
      .max(100, "must be at most 100 characters"),
  })
  .strict()

/** POST /admin/pagoefectivo/refunds/:refund_id/complete {bank_reference}: the money was transferred. */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse<AdminPagoEfectivoManualSettleResponse>) => {
  const { bank_reference } = parseOr400(Body, req.body ?? {}, "body")
  await settleManualRefund(req, res, { status: "completed", bank_reference })
}
