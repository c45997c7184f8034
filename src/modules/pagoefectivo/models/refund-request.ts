import { model } from "@medusajs/framework/utils"

export const REFUND_REQUEST_STATUSES = ["running", "ok", "pending", "error", "skipped"] as const
export type RefundRequestStatus = (typeof REFUND_REQUEST_STATUSES)[number]

/**
 * A refund the plugin starts on its own (a received return, a line of a batch), under a key that
 * makes it happen at most once: `return:<return id>` or `batch:<batch key>:<line>`. The row is
 * claimed before Medusa's refund workflow runs and says how it ended:
 * - ok: refunded (PagoEfectivo completed it); pending: refunded, PagoEfectivo's result to come
 *   (or awaiting a bank transfer in manual mode); error: nothing was refunded (message says why;
 *   it may be retried); skipped: nothing to refund (message says why);
 * - running: claimed; a run that died leaves it running, and the next attempt first looks for
 *   the refund it may have made (see src/lib/refunds/refund-once.ts).
 */
const PagoEfectivoRefundRequest = model
  .define({ name: "PagoEfectivoRefundRequest", tableName: "pagoefectivo_refund_request" }, {
    id: model.id({ prefix: "perreq" }).primaryKey(),
    key: model.text(),
    source: model.enum(["return", "batch"]),
    batch_key: model.text().nullable(),
    line: model.number().nullable(),
    return_id: model.text().nullable(),
    order_id: model.text().nullable(),
    payment_id: model.text().nullable(),
    /** What was asked for; null = everything still refundable. */
    requested_amount: model.text().nullable(),
    /** What was refunded (or attempted). */
    amount: model.text().nullable(),
    currency_code: model.text().nullable(),
    reason: model.text().nullable(),
    status: model.enum([...REFUND_REQUEST_STATUSES]).default("running"),
    /** Medusa's Refund id (= the PagoEfectivo refundId) of the refund made. */
    refund_id: model.text().nullable(),
    message: model.text().nullable(),
    tries: model.number().default(0),
    started_at: model.dateTime().nullable(),
    finished_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["key"], unique: true },
    { on: ["batch_key"] },
    { on: ["return_id"] },
    { on: ["order_id"] },
  ])

export default PagoEfectivoRefundRequest
