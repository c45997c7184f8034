/** Event the webhook route emits for each newly stored notification: `{ id }` of the record. */
export const NOTIFICATION_RECEIVED_EVENT = "pagoefectivo.notification.received"

/**
 * Event the payment provider emits when a refund it was asked for ends dead (rejected, failed)
 * and it is about to throw, so that Medusa deletes its Refund row: `{ refund_id }`. Its
 * subscriber converges the order's books once more (the provider cannot: Medusa isolates it).
 */
export const BOOKS_STALE_EVENT = "pagoefectivo.books.stale"

/**
 * Events the plugin emits for stores to subscribe to. Payload:
 * `{ refund_id, payment_id, order_id, cip, amount, currency_code, status, reference_id, reason }`.
 */
export const PAGOEFECTIVO_EVENTS = {
  /** PagoEfectivo completed a refund. */
  REFUND_COMPLETED: "pagoefectivo.refund.completed",
  /** PagoEfectivo rejected a refund (or never received it) and Medusa's refund was undone: alert staff. */
  REFUND_FAILED: "pagoefectivo.refund.failed",
  /**
   * The automatic refund of a received return failed (nothing was refunded): alert staff, who can
   * retry it (POST /admin/pagoefectivo/returns/:id/refund). Payload:
   * `{ return_id, order_id, payment_id, amount, currency_code, message }`.
   */
  RETURN_REFUND_FAILED: "pagoefectivo.return_refund.failed",
} as const
