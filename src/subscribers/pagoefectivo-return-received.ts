import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { refundReturn } from "../lib/refunds/refund-return"

/**
 * With the `autoRefundOnReturn` option on, a return Medusa marks received is refunded through
 * PagoEfectivo (orders paid another way are left alone). Exactly once per return, however often
 * the event arrives and on however many workers: see refundReturn / refundOnce. When it refunds
 * nothing (left alone, not fully received yet, done already), it says so in one log line.
 */
export default async function pagoefectivoReturnReceivedHandler({ event, container }: SubscriberArgs<{ order_id: string; return_id: string }>) {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.autoRefundOnReturn || !event.data?.return_id) return
  const result = await refundReturn(container, event.data.return_id)
  const nothingNew =
    result.status === "ignored"
      ? `left alone: ${result.message}`
      : result.duplicate
        ? `refunded nothing again: ${result.status === "running" ? "another run is refunding it" : `already ${result.status}${result.refund_id ? ` (refund ${result.refund_id})` : ""}`}`
        : null
  if (nothingNew) container.resolve(ContainerRegistrationKeys.LOGGER).info(`pagoefectivo: return ${event.data.return_id}: ${nothingNew}`)
}

export const config: SubscriberConfig = {
  event: "order.return_received",
  context: { subscriberId: "pagoefectivo-return-refund" },
}
