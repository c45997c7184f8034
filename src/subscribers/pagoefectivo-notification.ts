import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { createLimiter } from "../lib/concurrency"
import { NOTIFICATION_RECEIVED_EVENT } from "../lib/pagoefectivo/events"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { recordIfOutside } from "../lib/refunds/outside-refund"
import { applyNotification } from "../lib/notifications/apply-notification"

/**
 * This process's queue of notifications to apply: at most the option `notificationConcurrency`
 * at once, the rest in the order they arrived, none given up on. Created with the first one, from
 * the plugin's options.
 */
let applying: ReturnType<typeof createLimiter> | null = null

/**
 * Applies a stored PagoEfectivo notification. The route answered PagoEfectivo already; a failure
 * here is recorded on the notification (status "failed", with the error) and retried by the next
 * delivery of the same notification or by the reconciliation. With the option recordOutsideRefunds,
 * a refund made in PagoEfectivo's own panel (left unmatched) is then recorded in Medusa.
 *
 * The event is done once the notification is queued, not once it is applied: Medusa's Redis event
 * bus hands its worker one event at a time by default, so waiting here would apply one
 * notification at a time whatever the option says. Nothing is lost if the process stops: every
 * notification is stored before this event, and the reconciliation applies any left "received".
 */
export default async function pagoefectivoNotificationHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  if (!applying) applying = createLimiter(container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).options.notificationConcurrency)
  void applying(async () => {
    await applyNotification(container, event.data.id)
    await recordIfOutside(container, event.data.id)
  }).catch((e) =>
    container.resolve(ContainerRegistrationKeys.LOGGER).error(`pagoefectivo: notification ${event.data.id} could not be applied: ${(e as Error)?.message ?? e}`)
  )
}

export const config: SubscriberConfig = {
  event: NOTIFICATION_RECEIVED_EVENT,
  context: { subscriberId: "pagoefectivo-notification-handler" },
}
