import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { type OverpaymentRefundResult, refundOverpayment } from "../../../../../../lib/renewal/overpayment"
import { parseOr400, sendConflict } from "../../../orders/view"

const Params = z.object({ cip: z.string().regex(/^\d{1,20}$/, "must be a CIP number") })
/** The whole overpaid amount is refunded; `retry`: a new refund once PagoEfectivo rejected the previous one. */
const Body = z.object({ retry: z.boolean().optional() }).strict()

export type AdminPagoEfectivoOverpaymentRefundResponse = { refund: Extract<OverpaymentRefundResult, { refund_id: string }> }

/**
 * POST /admin/pagoefectivo/overpayments/:cip/refund — the queue's "Refund overpayment": refunds the
 * late payment of a replaced CIP through PagoEfectivo's refund endpoint (src/lib/renewal/overpayment.ts),
 * once whatever the presses. 200 with the refund (pending, completed; `already` when an earlier
 * press made it); 404 for a CIP that is no overpayment of this store; 409 when PagoEfectivo
 * refused it, for a plain press on a rejected refund, and for `retry: true` while the current
 * refund is unconfirmed, pending or completed; 502 when PagoEfectivo did not answer (press again:
 * the same refund is asked for). `retry: true` after a rejection asks for a new refund under the
 * next refundId (peover_<cip>_<n>).
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoOverpaymentRefundResponse>) => {
  const { cip } = parseOr400(Params, req.params, "path")
  const { retry } = parseOr400(Body, req.body ?? {}, "body")
  const result = await refundOverpayment(req.scope, cip, { retry })
  switch (result.status) {
    case "not_found":
    case "not_overpaid":
      throw new MedusaError(MedusaError.Types.NOT_FOUND, `No overpayment to refund for CIP ${cip}`)
    case "failed":
    case "rejected":
      return sendConflict(res, `PagoEfectivo refused the refund of CIP ${cip}'s overpayment: ${result.message}`)
    case "conflict":
      return sendConflict(res, result.message)
    case "requested":
      res.status(502).json({ type: "bad_gateway", message: `PagoEfectivo did not answer the refund of CIP ${cip}'s overpayment; press again (it is refunded at most once): ${result.message}` } as never)
      return
    default:
      res.json({ refund: result })
  }
}
