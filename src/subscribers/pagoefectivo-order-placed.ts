import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { emailCip } from "../lib/cip-emails/email-cip"

/**
 * An order placed while its CIP is unpaid: the shopper gets the CIP by email (code, amount,
 * expiry, voucher link) through Medusa's Notification module, once per CIP however often the event
 * arrives (see src/lib/cip-emails/plan.ts). Orders paid another way, or already paid, get nothing.
 */
export default async function pagoefectivoOrderPlacedHandler({ event, container }: SubscriberArgs<{ id: string }>) {
  if (!event.data?.id) return
  try {
    await emailCip(container, event.data.id, "instructions")
  } catch (e) {
    container
      .resolve(ContainerRegistrationKeys.LOGGER)
      .error(`pagoefectivo: could not email the CIP of order ${event.data.id}: ${(e as Error).message}`)
  }
}

export const config: SubscriberConfig = {
  event: "order.placed",
  context: { subscriberId: "pagoefectivo-cip-email" },
}
