import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { refundReturn } from "../workflows/refund-return"

/**
 * With the `autoRefundOnReturn` option on, a return Medusa marks received is refunded through
 * PagoEfectivo (orders paid another way are left alone). Exactly once per return, however often
 * the event arrives and on however many workers: see refundReturn / refundOnce.
 */
export default async function pagoefectivoReturnReceivedHandler({ event, container }: SubscriberArgs<{ order_id: string; return_id: string }>) {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.autoRefundOnReturn || !event.data?.return_id) return
  await refundReturn(container, event.data.return_id)
}

export const config: SubscriberConfig = {
  event: "order.return_received",
  context: { subscriberId: "pagoefectivo-return-refund" },
}
