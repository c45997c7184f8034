/** Event the webhook route emits for each newly stored notification: `{ id }` of the record. */
export const NOTIFICATION_RECEIVED_EVENT = "pagoefectivo.notification.received"
