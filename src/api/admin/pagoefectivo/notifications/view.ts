import type { NotificationRow } from "../../../../modules/pagoefectivo/operations-sql"
import { iso } from "../paging"

/**
 * A stored notification as the PagoEfectivo page shows it. `payload` is the body PagoEfectivo
 * signed, as parsed and stored: it holds no credential, and the signature is never stored.
 */
export type NotificationView = Omit<NotificationRow, "created_at" | "updated_at" | "at_text"> & {
  /** When it first arrived (redeliveries count in `deliveries`). */
  received_at: string
  updated_at: string
}

export function notificationView(n: NotificationRow): NotificationView {
  return {
    id: n.id,
    key: n.key,
    event_type: n.event_type,
    cip: n.cip,
    refund_id: n.refund_id,
    status: n.status,
    error: n.error,
    deliveries: n.deliveries,
    payload: n.payload,
    received_at: iso(n.created_at)!,
    updated_at: iso(n.updated_at)!,
  }
}
