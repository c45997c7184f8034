import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { createLimiter } from "../lib/concurrency"
import { NOTIFICATION_RECEIVED_EVENT } from "../lib/pagoefectivo/events"
import { lookOn, waitOutBurst } from "../lib/pagoefectivo/notification-pace"
import { recordIfOutside } from "../workflows/outside-refund"
import { applyNotification } from "../workflows/process-notification"

/**
 * At most this many notifications are applied at once in this process; the rest wait in order.
 * Applying one is a workflow run, much dearer than acknowledging it, so under a burst the route
 * keeps answering PagoEfectivo fast while the backlog drains behind it; during a burst of
 * acknowledgements applying also waits its turn (see notification-pace.ts). Nothing is lost if the
 * process stops: every notification is stored first, and the reconciliation applies any left
 * "received".
 */
const apply = createLimiter(Number(process.env.PAGOEFECTIVO_NOTIFICATION_CONCURRENCY) || 2)

/**
 * Applies a stored PagoEfectivo notification. The route answered PagoEfectivo already; a failure
 * here is recorded on the notification (status "failed", with the error) and retried by the next
 * delivery of the same notification or by the reconciliation. With the option recordOutsideRefunds,
 * a refund made in PagoEfectivo's own panel (left unmatched) is then recorded in Medusa.
 */
export default async function pagoefectivoNotificationHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  // the look is taken by every notification at once, not one turn after another
  await lookOn()
  await apply(async () => {
    await waitOutBurst()
    await applyNotification(container, event.data.id)
    await recordIfOutside(container, event.data.id)
  })
}

export const config: SubscriberConfig = {
  event: NOTIFICATION_RECEIVED_EVENT,
  context: { subscriberId: "pagoefectivo-notification-handler" },
}
