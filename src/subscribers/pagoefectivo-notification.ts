import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { createLimiter } from "../lib/concurrency"
import { NOTIFICATION_RECEIVED_EVENT } from "../lib/pagoefectivo/events"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { processPagoEfectivoNotificationWorkflow } from "../workflows/process-notification"

/**
 * At most this many notifications are applied at once in this process; the rest wait in order.
 * Applying one is a workflow run, much dearer than acknowledging it, so under a burst the route
 * keeps answering PagoEfectivo fast while the backlog drains behind it. Nothing is lost if the
 * process stops: every notification is stored first, and the reconciliation applies any left
 * "received".
 */
const apply = createLimiter(Number(process.env.PAGOEFECTIVO_NOTIFICATION_CONCURRENCY) || 2)

/**
 * Applies a stored PagoEfectivo notification. The route answered PagoEfectivo already; a failure
 * here is recorded on the notification (status "failed", with the error) and retried by the next
 * delivery of the same notification or by the reconciliation.
 */
export default async function pagoefectivoNotificationHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  await apply(() => handle(event.data.id, container))
}

async function handle(id: string, container: SubscriberArgs<{ id: string }>["container"]) {
  const event = { data: { id } }
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  try {
    const { result } = await processPagoEfectivoNotificationWorkflow(container).run({ input: { id: event.data.id } })
    logger.info(`pagoefectivo: notification ${event.data.id} → ${result.kind}${"reason" in result ? ` (${result.reason})` : ""}`)
  } catch (e) {
    const message = (e as Error)?.message ?? String(e)
    logger.error(`pagoefectivo: notification ${event.data.id} failed: ${message}`)
    await container
      .resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
      .updatePagoEfectivoNotifications({ id: event.data.id, status: "failed", error: message.slice(0, 1000) })
  }
}

export const config: SubscriberConfig = {
  event: NOTIFICATION_RECEIVED_EVENT,
  context: { subscriberId: "pagoefectivo-notification-handler" },
}
