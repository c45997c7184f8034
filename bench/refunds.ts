/**
 * Admin refund latency: refunds through Medusa's own POST /admin/payments/:id/refund, with
 * pp_pagoefectivo_pagoefectivo (the sandbox answering at 0 ms added latency) and with Medusa's
 * pp_system_default, on the same server, interleaved one for one in alternating order (the
 * PagoEfectivo refund first for even refunds, second for odd ones). Every 100 refunds both arms
 * move to new orders (Medusa's refund workflow grows with an order's refunds), and the sandbox is
 * reset then, so PagoEfectivo's side does not grow with the run.
 */
import { storeCall, prepareCart } from "../scripts/lib/storefront"
import { type BenchStore, log, paidOrder, pct, resetSandbox, round } from "./harness"

const PER_ORDER = 100

/** An order placed with Medusa's system provider: authorized at checkout, not captured yet. */
export async function systemAuthorizedOrder(b: BenchStore, email: string): Promise<{ orderId: string; paymentId: string }> {
  const { cartId, paymentCollectionId } = await prepareCart(b.store, { regionId: b.seeded.regionId, variantId: b.seeded.variantId, email })
  await storeCall(b.store, "POST", `/store/payment-collections/${paymentCollectionId}/payment-sessions`, { provider_id: "pp_system_default" })
  const done = await storeCall(b.store, "POST", `/store/carts/${cartId}/complete`)
  const { order } = await fetch(`${b.base}/admin/orders/${done.order.id}?fields=payment_collections.payments.id`, { headers: b.admin }).then((r) => r.json())
  return { orderId: done.order.id, paymentId: order.payment_collections[0].payments[0].id }
}

/** An order paid with Medusa's system provider: authorized at checkout, captured by the admin. */
async function systemPaidOrder(b: BenchStore, email: string): Promise<string> {
  const { paymentId } = await systemAuthorizedOrder(b, email)
  const captured = await fetch(`${b.base}/admin/payments/${paymentId}/capture`, { method: "POST", headers: b.admin, body: "{}" })
  if (!captured.ok) throw new Error(`capture failed: ${captured.status} ${await captured.text()}`)
  return paymentId
}

export async function benchAdminRefunds(b: BenchStore, count: number) {
  log(`admin refunds: ${count} with PagoEfectivo and ${count} with pp_system_default, interleaved`)
  const times = { pagoefectivo: [] as number[], system: [] as number[] }
  let pePayment = ""
  let sysPayment = ""
  const refund = async (paymentId: string, amount: number) => {
    const started = performance.now()
    const res = await fetch(`${b.base}/admin/payments/${paymentId}/refund`, { method: "POST", headers: b.admin, body: JSON.stringify({ amount }) })
    const ms = performance.now() - started
    if (!res.ok) throw new Error(`refund answered ${res.status}: ${await res.text()}`)
    return ms
  }
  for (let i = 0; i < count; i++) {
    if (i % PER_ORDER === 0) {
      await resetSandbox(b)
      pePayment = (await paidOrder(b, `pe${i}@example.pe`)).paymentId
      sysPayment = await systemPaidOrder(b, `sys${i}@example.pe`)
    }
    const amount = Number((0.5 + (i % PER_ORDER) * 0.01).toFixed(2)) // distinct amounts: no double click
    // alternate which goes first, so neither always runs on a warmer server
    if (i % 2 === 0) {
      times.pagoefectivo.push(await refund(pePayment, amount))
      times.system.push(await refund(sysPayment, amount))
    } else {
      times.system.push(await refund(sysPayment, amount))
      times.pagoefectivo.push(await refund(pePayment, amount))
    }
  }
  const stat = (v: number[]) => ({ p50Ms: round(pct(v, 50), 1), p95Ms: round(pct(v, 95), 1) })
  const pe = stat(times.pagoefectivo)
  const sys = stat(times.system)
  return { count, perOrder: PER_ORDER, pagoefectivo: pe, system: sys, p50Ratio: round(pe.p50Ms / sys.p50Ms, 3), p95Ratio: round(pe.p95Ms / sys.p95Ms, 3) }
}
