import PaymentModule from "@medusajs/medusa/payment"
import { defineLink } from "@medusajs/framework/utils"
import PagoEfectivoModule from "../modules/pagoefectivo"

/**
 * payment → its PagoEfectivo refund records (read-only: the record carries payment_id). Lets
 * query.graph read `payment.pagoefectivo_refunds.*` and the records' `payment.*`.
 */
export default defineLink(
  { linkable: PaymentModule.linkable.payment, field: "id" },
  { ...PagoEfectivoModule.linkable.pagoEfectivoRefund.id, primaryKey: "payment_id", alias: "pagoefectivo_refund" },
  { readOnly: true, isList: true }
)
