import { model } from "@medusajs/framework/utils"

import { REFUND_RECORD_STATUSES } from "../../../lib/refund-status"

export { REFUND_RECORD_STATUSES } from "../../../lib/refund-status"
export type { RefundRecordStatus } from "../../../lib/refund-status"

/**
 * The durable record of every refund sent (or about to be sent) to PagoEfectivo, one per Medusa
 * refund id. The payment provider writes it through the shared PostgreSQL connection, outside the
 * Payment module's transaction, BEFORE it calls PagoEfectivo (status "requested"): a refund the
 * gateway may have made is never unrecorded, even when Medusa's own Refund row is rolled back or
 * the process dies mid-call. See docs/how-it-works.md, "How refunds flow".
 *
 * status: requested → pending | completed | rejected | failed | verifying; pending and verifying
 * are settled later by the notification or the reconciliation. In manual refund mode (or the
 * fallback on PagoEfectivo's 403 "refunds not enabled"), no call is made: requested →
 * awaiting_transfer, and staff settle it completed (with the bank's reference) or failed.
 */
const PagoEfectivoRefund = model
  .define({ name: "PagoEfectivoRefund", tableName: "pagoefectivo_refund" }, {
    id: model.id({ prefix: "perefund" }).primaryKey(),
    /** Medusa's Refund id, sent as PagoEfectivo's refundId (the idempotency key). */
    refund_id: model.text(),
    payment_id: model.text().nullable(),
    payment_session_id: model.text().nullable(),
    payment_collection_id: model.text().nullable(),
    order_id: model.text().nullable(),
    /** The merchantOrderId sent: the order id, else the payment collection id. */
    merchant_order_id: model.text(),
    cip: model.text(),
    transaction_code: model.text(),
    amount: model.bigNumber(),
    currency_code: model.text(),
    status: model.enum([...REFUND_RECORD_STATUSES]).default("requested"),
    reason: model.text().nullable(),
    reference_id: model.text().nullable(),
    trace_id: model.text().nullable(),
    correlation_id: model.text().nullable(),
    /** PagoEfectivo's code and the operator-facing reason of a failure or rejection. */
    failure_code: model.text().nullable(),
    failure_reason: model.text().nullable(),
    /** Every HTTP attempt: time, status, code, latency, correlation id, redacted request and answer. */
    attempts: model.json().nullable(),
    requested_at: model.dateTime(),
    settled_at: model.dateTime().nullable(),
    /**
     * When Medusa stopped counting this refund (its Refund row and order transaction are gone),
     * noted after the books' convergence did it. Informational: whether Medusa counts a refund is
     * always read from Medusa's own rows.
     */
    reversed_at: model.dateTime().nullable(),
    reversal_note: model.text().nullable(),
    /** A later answer that contradicted a final one: recorded and logged, never applied. */
    anomaly: model.text().nullable(),
    /** Manual refunds: the bank transfer's reference, and who settled it (admin user id). */
    bank_reference: model.text().nullable(),
    settled_by: model.text().nullable(),
    /**
     * While in the future, the refund's call to PagoEfectivo may be under way, or PagoEfectivo may
     * still be processing it: nobody judges the refund (option refundCallLeaseSeconds).
     */
    call_lease_until: model.dateTime().nullable(),
    /**
     * The credit line owed with an order transaction the plugin booked itself (as Medusa's refund
     * workflow would have), until it is written: a crash in between is finished by the next run.
     */
    credit_line_owed: model.text().nullable(),
    /**
     * "medusa": a refund Medusa asked for (the Refund button, a return, a batch line); "outside": a
     * refund made in PagoEfectivo's own panel, recorded in Medusa from its refund.completed
     * notification (src/lib/refunds/outside-refund.ts); no call of ours was ever made for it.
     */
    origin: model.enum(["medusa", "outside"]).default("medusa"),
  })
  .indexes([
    { on: ["refund_id"], unique: true },
    { on: ["status"] },
    { on: ["cip"] },
    { on: ["payment_id"] },
    { on: ["order_id"] },
    { on: ["requested_at"] },
  ])

export default PagoEfectivoRefund
