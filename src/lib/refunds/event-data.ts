import { MathBN } from "@medusajs/framework/utils"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"

/** The payload of pagoefectivo.refund.completed / .failed (see src/lib/pagoefectivo/events.ts). */
export function eventData(r: RefundRecord) {
  return {
    refund_id: r.refund_id,
    payment_id: r.payment_id,
    order_id: r.order_id,
    cip: r.cip,
    amount: MathBN.convert(r.amount).toFixed(2),
    currency_code: r.currency_code,
    status: r.status,
    reference_id: r.reference_id,
    reason: r.failure_reason,
  }
}
