import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_EVENTS } from "../pagoefectivo/events"
import { ORDER_PAYMENT_FIELDS, type RefundOnceResult, loadPayments, pagoEfectivoPaymentIds, refundOnce } from "./refund-once"

export type ReturnRefundResult =
  | RefundOnceResult
  /** The order was not paid with PagoEfectivo (left alone), or the return is not received. */
  | { status: "ignored"; message: string }

/**
 * Refunds a received return through PagoEfectivo, exactly once (key `return:<return id>`; see
 * refundOnce), through Medusa's refund workflow as the admin's Refund button does.
 *
 * The amount is what Medusa says the return is worth: the return's own refund amount when one was
 * set, else what the order owes the shopper once the return is received (its summary's pending
 * difference: the returned items at the price paid, with their discounts and taxes, less the
 * return shipping Medusa charges), and never more than that balance or what the payment has left.
 *
 * The outcome is kept on the request row (against the return and the order) and in the return's
 * metadata (`pagoefectivo_refund`); a failure is logged and emitted as
 * `pagoefectivo.return_refund.failed`, and `retry` (staff) runs it again.
 */
export async function refundReturn(container: MedusaContainer, returnId: string, { retry = false, createdBy = null as string | null } = {}): Promise<ReturnRefundResult> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: found } = await query.graph({ entity: "return", fields: ["id", "order_id"], filters: { id: returnId } })
  const orderId = (found[0] as { order_id?: string } | undefined)?.order_id
  if (!orderId) return { status: "ignored", message: `unknown return ${returnId}` }
  // One return of an order at a time: each reads what the order owes after the others.
  return container.resolve(Modules.LOCKING).execute(
    `pagoefectivo:order-refund:${orderId}`,
    () => refundReturnLocked(container, returnId, { retry, createdBy }),
    { timeout: 180 }
  )
}

async function refundReturnLocked(container: MedusaContainer, returnId: string, { retry, createdBy }: { retry: boolean; createdBy: string | null }): Promise<ReturnRefundResult> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: returns } = await query.graph({
    entity: "return",
    fields: ["id", "status", "order_id", "refund_amount", "metadata"],
    filters: { id: returnId },
  })
  const ret = returns[0] as { id: string; status: string; order_id: string; refund_amount: unknown; metadata: Record<string, unknown> | null } | undefined
  if (!ret) return { status: "ignored", message: `unknown return ${returnId}` }
  // Medusa emits order.return_received at each receipt; a return is refunded once, when all its
  // items are in (staff may refund a partly received one by hand: `retry`).
  if (ret.status !== "received" && !(retry && ret.status === "partially_received")) {
    return {
      status: "ignored",
      message:
        ret.status === "partially_received"
          ? `return ${returnId} is partially received: it is refunded once all its items are received`
          : `return ${returnId} is ${ret.status}, not received`,
    }
  }

  const { data: orders } = await query.graph({
    entity: "order",
    fields: ["id", "currency_code", "summary.*", ...ORDER_PAYMENT_FIELDS],
    filters: { id: ret.order_id },
  })
  const order = orders[0] as any
  const paymentIds = order ? pagoEfectivoPaymentIds(order) : []
  if (!paymentIds.length) return { status: "ignored", message: `order ${ret.order_id} was not paid with PagoEfectivo` }

  const payments = await loadPayments(container, paymentIds)
  const payment = payments.find((p) => MathBN.gt(MathBN.convert(p.refundable), 0)) ?? payments[0]
  const owed = MathBN.max(MathBN.mult(MathBN.convert(order.summary?.raw_pending_difference ?? order.summary?.pending_difference ?? 0), -1), 0)
  const worth = ret.refund_amount !== null && ret.refund_amount !== undefined ? MathBN.convert(ret.refund_amount as any) : owed
  // Cents, rounded down: the refund never exceeds what is owed.
  const amount = MathBN.min(worth, owed, MathBN.convert(payment.refundable)).decimalPlaces(2, 1).toFixed(2)

  const result = await refundOnce(container, {
    key: `return:${ret.id}`,
    source: "return",
    return_id: ret.id,
    order_id: ret.order_id,
    payment_id: payment.id,
    amount,
    reason: `Devolución ${ret.id}`,
    created_by: createdBy,
    retryErrors: retry,
    nothingToRefund: MathBN.lte(MathBN.convert(payment.refundable), 0)
      ? `payment ${payment.id} has nothing left to refund (it was refunded already)`
      : "Medusa says the order owes the shopper nothing after this return",
  })
  if (!result.duplicate) await noteOnReturn(container, ret, result)
  if (!result.duplicate && result.status === "error") {
    container.resolve(ContainerRegistrationKeys.LOGGER).error(
      `pagoefectivo: the automatic refund of return ${ret.id} (order ${ret.order_id}) failed, nothing was refunded: ${result.message}. Retry: POST /admin/pagoefectivo/returns/${ret.id}/refund`
    )
    await container.resolve(Modules.EVENT_BUS).emit({
      name: PAGOEFECTIVO_EVENTS.RETURN_REFUND_FAILED,
      data: { return_id: ret.id, order_id: ret.order_id, payment_id: payment.id, amount, currency_code: result.currency_code, message: result.message },
    })
  }
  return result
}

/** Keeps the outcome in the return's metadata too, where Medusa's admin and API show it. */
async function noteOnReturn(container: MedusaContainer, ret: { id: string; metadata: Record<string, unknown> | null }, r: RefundOnceResult) {
  try {
    await (container.resolve(Modules.ORDER) as any).updateReturns([
      {
        id: ret.id,
        metadata: {
          ...(ret.metadata ?? {}),
          pagoefectivo_refund: { status: r.status, refund_id: r.refund_id, amount: r.amount, currency_code: r.currency_code, message: r.message, at: new Date().toISOString() },
        },
      },
    ])
  } catch (e) {
    container.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo: could not note the refund on return ${ret.id}: ${(e as Error).message}`)
  }
}
