import type { MedusaContainer } from "@medusajs/framework/types"
import { sign } from "../../src/lib/pagoefectivo/wire"
import { PAGOEFECTIVO_MODULE } from "../../src/modules/pagoefectivo"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { type SeededStore, seedPeruStore } from "../../src/scripts/seed-peru-store"
import { type StoreApi, checkoutWithCip, prepareCart, storeCall } from "../../scripts/lib/storefront"
import { adminHeaders } from "./admin"
import { type SandboxControl, eventually } from "./sandbox"

type Api = { defaults: { baseURL?: string }; get: Function; post: Function }

const ORDER_FIELDS = [
  "id",
  "status",
  "payment_status",
  "summary.*",
  "payment_collections.status",
  "payment_collections.refunded_amount",
  "payment_collections.payment_sessions.status",
  "payment_collections.payments.id",
  "payment_collections.payments.data",
  "payment_collections.payments.captured_at",
  "payment_collections.payments.captures.id",
  "payment_collections.payments.refunds.id",
  "payment_collections.payments.refunds.amount",
].join(",")

/**
 * What every integration spec needs before each test (the runner empties the database between
 * tests): the sandbox reset and pointed at this app's notification route, the Peru store seeded,
 * a logged-in admin; and the few things specs do again and again, over the real HTTP APIs.
 */
export function useStore(api: Api, getContainer: () => MedusaContainer, sandbox: SandboxControl) {
  const f = {
    seeded: undefined as unknown as SeededStore,
    store: undefined as unknown as StoreApi,
    admin: {} as Record<string, string>,
    baseUrl: "",

    /**
     * Raw HTTP to this app (no axios defaults), as the logged-in admin unless `headers` say
     * otherwise: the status and the parsed body exactly as a browser gets them.
     */
    async call(method: string, path: string, body?: unknown, headers: Record<string, string> = f.admin): Promise<{ status: number; body: any }> {
      const res = await fetch(f.baseUrl + path, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    },

    /** The plugin's module (notifications and refund records). */
    pe: () => getContainer().resolve<any>(PAGOEFECTIVO_MODULE),

    /** The order as the admin API shows it, with its payments, refunds and summary. */
    async orderOf(orderId: string) {
      const { data } = await api.get(`/admin/orders/${orderId}?fields=${ORDER_FIELDS}`, { headers: f.admin })
      return data.order
    },

    /**
     * An order paid by CIP (PEN 199.90: product 189.90 + shipping 10.00; with `quantity`, 189.90
     * each), once it shows captured and the capture's transaction is in its summary (it lands just
     * after the status).
     */
    async paidOrder(payBody: Record<string, unknown> = {}, { quantity = 1 } = {}) {
      const { session, order } = await checkoutWithCip(f.store, { regionId: f.seeded.regionId, variantId: f.seeded.variantId, email: "rosa@example.pe", quantity })
      await sandbox.pay(session.data.cip, payBody)
      const paid = await eventually(async () => {
        const current = await f.orderOf(order.id)
        return current.payment_status === "captured" && current.summary.paid_total > 0 ? current : null
      }, { what: "order paid" })
      return { orderId: order.id as string, paymentId: paid.payment_collections[0].payments[0].id as string, cip: session.data.cip, order: paid }
    },

    /** An order paid with Medusa's system provider (authorized at checkout, captured by the admin). */
    async systemPaidOrder() {
      const { cartId, paymentCollectionId } = await prepareCart(f.store, { regionId: f.seeded.regionId, variantId: f.seeded.variantId, email: "ana@example.pe" })
      await storeCall(f.store, "POST", `/store/payment-collections/${paymentCollectionId}/payment-sessions`, { provider_id: "pp_system_default" })
      const { order } = await storeCall(f.store, "POST", `/store/carts/${cartId}/complete`)
      const paymentId = (await f.orderOf(order.id)).payment_collections[0].payments[0].id as string
      await api.post(`/admin/payments/${paymentId}/capture`, {}, { headers: f.admin })
      return { orderId: order.id as string, paymentId }
    },

    /** Medusa's admin API, as staff call it; a failure throws with the status and body. */
    async adminPost(path: string, body: unknown = {}) {
      return api.post(path, body, { headers: f.admin }).then(
        (r: any) => r.data,
        (e: any) => {
          throw new Error(`POST ${path} → ${e.response?.status} ${JSON.stringify(e.response?.data)}`)
        }
      )
    },

    /** Fulfils all of the order's items (a return needs them delivered); answers them. */
    async fulfil(orderId: string): Promise<{ id: string; quantity: number }[]> {
      const { order } = await api.get(`/admin/orders/${orderId}?fields=*items`, { headers: f.admin }).then((r: any) => r.data)
      const items = order.items.map((i: any) => ({ id: i.id, quantity: i.quantity }))
      await f.adminPost(`/admin/orders/${orderId}/fulfillments`, { items, location_id: f.seeded.stockLocationId })
      return items
    },

    /** Requests the return of `items` (with the store's return shipping option, unless told not to); answers the return id. */
    async requestReturn(orderId: string, items: { id: string; quantity: number }[], { withShipping = true } = {}) {
      const { return: ret } = await f.adminPost(`/admin/returns`, { order_id: orderId, location_id: f.seeded.stockLocationId })
      await f.adminPost(`/admin/returns/${ret.id}/request-items`, { items })
      if (withShipping) await f.adminPost(`/admin/returns/${ret.id}/shipping-method`, { shipping_option_id: f.seeded.returnShippingOptionId })
      await f.adminPost(`/admin/returns/${ret.id}/request`)
      return ret.id as string
    },

    /**
     * Receives `items` of a requested return, as staff do at the warehouse. Confirming the receipt
     * emits `order.return_received` (at each receipt, also a partial one). `beforeConfirm` runs
     * with the receipt started and not confirmed yet.
     */
    async receiveReturn(returnId: string, items: { id: string; quantity: number }[], { beforeConfirm }: { beforeConfirm?: () => Promise<void> } = {}) {
      await f.adminPost(`/admin/returns/${returnId}/receive`)
      await f.adminPost(`/admin/returns/${returnId}/receive-items`, { items })
      await beforeConfirm?.()
      await f.adminPost(`/admin/returns/${returnId}/receive/confirm`)
    },

    /**
     * A return of all the order's items driven through Medusa's admin return APIs, as staff would:
     * fulfil the order, request the return (with the store's return shipping option), receive it.
     * Receiving it emits `order.return_received`. Answers the return id.
     */
    async returnReceived(orderId: string, { withShipping = true } = {}) {
      const items = await f.fulfil(orderId)
      const returnId = await f.requestReturn(orderId, items, { withShipping })
      await f.receiveReturn(returnId, items)
      return returnId
    },

    /**
     * Sends a notification to this app as PagoEfectivo would (signed with the sandbox's secret), or
     * forged (`signature` given) or unsigned (`signature: null`).
     */
    deliver(body: string, signature?: string | null, path = "/webhooks/pagoefectivo") {
      return fetch(f.baseUrl + path, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(signature === null ? {} : { "pe-signature": signature ?? sign(SANDBOX_DEFAULTS.secretKey, body) }),
        },
        body,
      })
    },

    /** The refund's record once its call lease has run out (nobody judges it before). */
    async afterLease(refundId: string) {
      return eventually(async () => {
        const [r] = await f.pe().listPagoEfectivoRefunds({ refund_id: refundId })
        return r && (!r.call_lease_until || new Date(r.call_lease_until).getTime() <= Date.now()) ? r : null
      }, { what: `refund ${refundId}'s call lease to run out`, timeoutMs: 30_000 })
    },

    /**
     * The three sums that must agree for an order, and its payment status: PagoEfectivo's live
     * refunds of the order's CIP (the sandbox's state: not rejected), Medusa's refunds on the
     * payment, and the order summary's refunded total (plus the payment collection's refunded
     * amount, which Medusa's payment status follows).
     */
    async books(orderId: string) {
      const order = await f.orderOf(orderId)
      const payment = order.payment_collections[0].payments[0]
      const cip = String(payment.data.cip)
      const gateway = (await sandbox.state()).refunds.filter((r) => r.cip === cip && r.status !== "rejected").reduce((s, r) => s + Number(r.amount), 0)
      const medusa = (payment.refunds ?? []).reduce((s: number, r: any) => s + Number(r.amount), 0)
      const round = (n: number) => Math.round(n * 100) / 100
      return {
        gateway: round(gateway),
        medusa: round(medusa),
        summary: round(Number(order.summary.refunded_total)),
        collection: round(Number(order.payment_collections[0].refunded_amount)),
        payment_status: order.payment_status as string,
      }
    },

    /**
     * Waits until the three sums agree (and the collection and payment status with them), then
     * answers them. `paymentStatus: null` leaves the status out (a canceled order's is Medusa's own).
     */
    async booksAgree(orderId: string, { timeoutMs = 20_000, paymentStatus = undefined as string | null | undefined } = {}) {
      let last: Awaited<ReturnType<typeof f.books>> | null = null
      try {
        return await eventually(async () => {
          const b = (last = await f.books(orderId))
          const status = paymentStatus !== undefined ? paymentStatus : b.medusa === 0 ? "captured" : b.medusa >= 199.9 ? "refunded" : "partially_refunded"
          return b.gateway === b.medusa && b.medusa === b.summary && b.summary === b.collection && (status === null || b.payment_status === status) ? b : null
        }, { what: "the books to agree", timeoutMs })
      } catch {
        throw new Error(`books of ${orderId} disagree: ${JSON.stringify(last)}`)
      }
    },

    /** Medusa's own admin Refund button; never throws, answers { status, body }. */
    refund(paymentId: string, amount?: number): Promise<{ status: number; body: any }> {
      return api
        .post(`/admin/payments/${paymentId}/refund`, amount === undefined ? {} : { amount }, { headers: f.admin })
        .then((r: any) => ({ status: r.status, body: r.data }))
        .catch((e: any) => ({ status: e.response?.status as number, body: e.response?.data }))
    },
  }

  beforeEach(async () => {
    f.baseUrl = api.defaults.baseURL as string
    await sandbox.reset()
    await sandbox.config({ notifyUrl: `${f.baseUrl}/webhooks/pagoefectivo` })
    f.seeded = await seedPeruStore(getContainer())
    f.store = { baseUrl: f.baseUrl, publishableKey: f.seeded.publishableKey }
    f.admin = await adminHeaders(f.baseUrl, getContainer())
  })

  return f
}
