import { model } from "@medusajs/framework/utils"

export const CIP_RECORD_STATUSES = ["pending", "expired", "paid", "overpaid", "deleted"] as const
export type CipRecordStatus = (typeof CIP_RECORD_STATUSES)[number]

export const OVERPAYMENT_REFUND_STATUSES = ["requested", "pending", "completed", "rejected", "failed"] as const
export type OverpaymentRefundStatus = (typeof OVERPAYMENT_REFUND_STATUSES)[number]

/**
 * Every CIP of an order that has had more than one (see src/lib/renewal/renew-order.ts): Medusa deletes the
 * payment session of an expired CIP when it creates the fresh one, so the order's CIP history,
 * and what a late payment of an old CIP belongs to, are kept here.
 *
 * status: pending (payable) → expired | paid; a CIP paid while another CIP of its order had
 * already been captured (or is paid, and is the one captured) is `overpaid`: that money is never
 * captured on the order, it waits for one press of "Refund overpayment" (refund_id is fixed per
 * attempt, so PagoEfectivo refunds it at most once per attempt, and a new attempt is made only
 * after PagoEfectivo's final rejection of the previous one). A renewed CIP withdrawn because the
 * replaced one was paid first (and captured) is `deleted` (deleted at PagoEfectivo).
 */
const PagoEfectivoCip = model
  .define({ name: "PagoEfectivoCip", tableName: "pagoefectivo_cip" }, {
    id: model.id({ prefix: "pecip" }).primaryKey(),
    cip: model.text(),
    order_id: model.text(),
    payment_collection_id: model.text(),
    /** The payment session the CIP was issued for (its transactionCode). */
    session_id: model.text(),
    /** 0: the checkout's CIP; n: the n-th renewal. */
    sequence: model.number(),
    amount: model.text(),
    currency_code: model.text(),
    cip_url: model.text().nullable(),
    /** When PagoEfectivo issued it (its payment session was made). */
    issued_at: model.dateTime().nullable(),
    date_expiry: model.dateTime().nullable(),
    status: model.enum([...CIP_RECORD_STATUSES]).default("pending"),
    /** Who asked for the renewal that issued this CIP: "expiry" (cip.expired) or "shopper". */
    renewed_by: model.text().nullable(),
    /** When a fresh CIP replaced this one. */
    replaced_at: model.dateTime().nullable(),
    expired_at: model.dateTime().nullable(),
    paid_at: model.dateTime().nullable(),
    /** A late payment: the refund of the overpaid money (PagoEfectivo's refundId and its result). */
    refund_id: model.text().nullable(),
    /** Which attempt refund_id is: 0 for the first (peover_<cip>), n for the n-th retry (peover_<cip>_<n>). */
    refund_attempt: model.number().default(0),
    refund_status: model.enum([...OVERPAYMENT_REFUND_STATUSES]).nullable(),
    refund_reference: model.text().nullable(),
    refund_error: model.text().nullable(),
    refunded_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["cip"], unique: true, where: "deleted_at IS NULL" },
    { on: ["order_id"], where: "deleted_at IS NULL" },
    { on: ["refund_id"], unique: true, where: "deleted_at IS NULL AND refund_id IS NOT NULL" },
  ])

export default PagoEfectivoCip
