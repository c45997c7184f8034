import type { SubscriberArgs, SubscriberConfig } from "@medusajs/framework"
import { BOOKS_STALE_EVENT } from "../lib/pagoefectivo/events"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { booksOf, convergeEach } from "../lib/books/converge"

/**
 * Converges an order's books after something changed them outside the plugin's own workflows:
 * - `payment.refunded` `{ id: payment_id }`: Medusa finished booking a refund (its order
 *   transaction and credit line come after the provider returned, with no lock of ours), so an undo
 *   or a rejection that ran meanwhile is completed now;
 * - `pagoefectivo.books.stale` `{ refund_id }`: the provider ended a refund dead and threw, so that
 *   Medusa deletes its Refund row; whatever counted it meanwhile is undone;
 * - `order.canceled` `{ id }`: Medusa refunded the order's payments its own way
 *   (refundPaymentsWorkflow books the transaction under the payment id, even for a refund whose
 *   provider failed), which the convergence maps back to the refunds.
 * Payments without PagoEfectivo refund records cost one indexed query. A failure is logged: the
 * reconciliation's sweep finds any books left disagreeing.
 */
export default async function pagoefectivoBooksHandler({ event, container }: SubscriberArgs<{ id?: string; refund_id?: string }>) {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const id = event.data?.id
  const records = event.data?.refund_id
    ? await pe.ledger().getMany([event.data.refund_id])
    : !id
      ? []
      : event.name === "order.canceled"
        ? await pe.ledger().forBooks({ order_id: id, payment_collection_id: null })
        : await pe.ledger().forPayment(id)
  await convergeEach(container, booksOf(records), { after: event.name })
}

export const config: SubscriberConfig = {
  event: ["payment.refunded", "order.canceled", BOOKS_STALE_EVENT],
  context: { subscriberId: "pagoefectivo-books" },
}
