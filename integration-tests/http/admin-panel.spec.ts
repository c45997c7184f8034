import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * The admin routes behind the order page's PagoEfectivo panel (src/admin/widgets/pagoefectivo-order.tsx):
 * GET /admin/pagoefectivo/orders/:id and POST /admin/pagoefectivo/refunds/:refund_id/check.
 * The panel itself is driven in a real browser by integration-tests/e2e/admin-panel.spec.ts.
 */
const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    /** Raw HTTP (no axios defaults), so status codes and bodies are exactly what a browser gets. */
    const call = async (method: string, path: string, opts: { body?: unknown; headers?: Record<string, string> } = {}) => {
      const res = await fetch(shop.baseUrl + path, {
        method,
        headers: { ...(opts.body === undefined ? {} : { "content-type": "application/json" }), ...(opts.headers ?? {}) },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : undefined }
    }
    const admin = (method: string, path: string, body?: unknown) => call(method, path, { body, headers: shop.admin })

    const panel = async (orderId: string) => {
      const res = await admin("GET", `/admin/pagoefectivo/orders/${orderId}`)
      expect(res.status).toBe(200)
      return res.body
    }
    const lastRefundId = async (orderId: string) => {
      const { refunds } = await panel(orderId)
      return refunds[refunds.length - 1].refund_id as string
    }
    const refundedTotal = async (orderId: string) => Number((await shop.orderOf(orderId)).summary.refunded_total)

    describe("authentication and validation", () => {
      it("answers 401 without a session or token, and with a wrong token", async () => {
        const { orderId } = await shop.paidOrder()
        const attempts: Record<string, string>[] = [{}, { authorization: "Bearer not-a-token" }]
        for (const headers of attempts) {
          expect((await call("GET", `/admin/pagoefectivo/orders/${orderId}`, { headers })).status).toBe(401)
          expect((await call("POST", `/admin/pagoefectivo/refunds/ref_01ABC/check`, { headers, body: {} })).status).toBe(401)
        }
      })

      it("answers 404 with a clear message for an unknown order or refund", async () => {
        const order = await admin("GET", "/admin/pagoefectivo/orders/order_01UNKNOWN000000000000000000")
        expect(order.status).toBe(404)
        expect(order.body).toMatchObject({ type: "not_found", message: 'Order with id "order_01UNKNOWN000000000000000000" was not found' })

        const refund = await admin("POST", "/admin/pagoefectivo/refunds/ref_01UNKNOWN0000000000000000000/check", {})
        expect(refund.status).toBe(404)
        expect(refund.body).toMatchObject({
          type: "not_found",
          message: 'PagoEfectivo refund with id "ref_01UNKNOWN0000000000000000000" was not found',
        })
      })

      it("refuses malformed input with 400 and names what is wrong", async () => {
        const badId = await admin("GET", `/admin/pagoefectivo/orders/${encodeURIComponent("order 1;drop")}`)
        expect(badId.status).toBe(400)
        expect(badId.body.message).toMatch(/^Invalid path\.id: must be an order id/)

        const extraQuery = await admin("GET", `/admin/pagoefectivo/orders/order_01X?expand=all`)
        expect(extraQuery.status).toBe(400)
        expect(extraQuery.body.message).toMatch(/^Invalid query/)

        const extraBody = await admin("POST", `/admin/pagoefectivo/refunds/ref_01X/check`, { force: true })
        expect(extraBody.status).toBe(400)
        expect(extraBody.body.message).toMatch(/^Invalid body/)
      })
    })

    describe("GET /admin/pagoefectivo/orders/:id", () => {
      it("shows the CIP of an order paid by CIP, and its refunds with PagoEfectivo's references", async () => {
        const { orderId, cip } = await shop.paidOrder()
        const before = await panel(orderId)
        const [gatewayCip] = (await sandbox.state()).cips.filter((c: any) => String(c.cip) === String(cip))
        expect(before).toEqual({
          order_id: orderId,
          pagoefectivo: true,
          refund_mode: "api",
          cip: {
            code: String(cip),
            status: "paid",
            amount: "199.90",
            currency: "PEN",
            expires_at: expect.any(String),
            paid_at: expect.any(String),
            voucher_url: gatewayCip.cipUrl,
          },
          // a CIP never renewed has no CIP records: the panel lists a renewed order's CIPs
          cips: [],
          refunds: [],
          return_refunds: [],
        })
        expect(Date.parse(before.cip.paid_at)).not.toBeNaN()

        const paymentId = (await shop.orderOf(orderId)).payment_collections[0].payments[0].id as string
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        expect((await shop.refund(paymentId, 25.5)).status).toBe(200)
        const after = await panel(orderId)
        const gateway = (await sandbox.state()).refunds
        expect(after.refunds).toHaveLength(2)
        expect(after.refunds.map((r: any) => r.amount)).toEqual([40, 25.5]) // oldest first
        expect(after.refunds[0]).toEqual({
          refund_id: gateway[0].refundId,
          payment_id: paymentId,
          amount: 40,
          currency_code: "PEN",
          status: "pending",
          reference_id: gateway[0].referenceId,
          trace_id: gateway[0].traceId,
          bank_reference: null,
          requested_at: expect.any(String),
          settled_at: null,
          failure_reason: null,
          reversed_at: null,
        })
        expect(after.refunds[0].reference_id).toBeTruthy()
      })

      it("shows the CIP of an order placed while its CIP is still unpaid (a session, no payment yet)", async () => {
        const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        const body = await panel(order.id)
        expect(body.pagoefectivo).toBe(true)
        expect(body.cip).toMatchObject({ code: String(session.data.cip), status: "pending", paid_at: null, voucher_url: session.data.cipUrl })
        expect(body.refunds).toEqual([])
      })

      it("answers pagoefectivo: false for an order paid another way", async () => {
        const { orderId } = await shop.systemPaidOrder()
        expect(await panel(orderId)).toEqual({ order_id: orderId, pagoefectivo: false, refund_mode: "api", cip: null, cips: [], refunds: [], return_refunds: [] })
      })
    })

    describe("POST /admin/pagoefectivo/refunds/:refund_id/check", () => {
      it("settles a pending refund PagoEfectivo completed without notifying", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)

        const stillOpen = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`, {})
        expect(stillOpen.status).toBe(200)
        expect(stillOpen.body).toMatchObject({ outcome: "open", refund: { refund_id: refundId, status: "pending" } })

        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/complete`, { notify: false })
        const res = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`) // no body at all is fine too
        expect(res.status).toBe(200)
        const [gateway] = (await sandbox.state()).refunds
        expect(res.body).toMatchObject({
          outcome: "completed",
          refund: { refund_id: refundId, status: "completed", reference_id: gateway.referenceId, reversed_at: null },
        })
        expect(res.body.refund.settled_at).toBeTruthy()
        expect(await refundedTotal(orderId)).toBeCloseTo(40, 2)

        // final now: a second check is refused, and says why
        const again = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`, {})
        expect(again.status).toBe(409)
        expect(again.body).toMatchObject({ type: "conflict", message: `Refund ${refundId} cannot be checked: it is already completed; PagoEfectivo's answer is final` })
      })

      it("undoes a refund PagoEfectivo rejected without notifying: the order's refunded total returns", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        expect(await refundedTotal(orderId)).toBeCloseTo(40, 2)
        const refundId = await lastRefundId(orderId)

        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta destino cerrada", notify: false })
        const res = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`, {})
        expect(res.status).toBe(200)
        expect(res.body).toMatchObject({ outcome: "undone", refund: { status: "rejected", failure_reason: "cuenta destino cerrada" } })
        expect(res.body.refund.reversed_at).toBeTruthy()
        await eventually(async () => (await refundedTotal(orderId)) === 0, { what: "refunded total back to 0" })

        const view = await panel(orderId)
        expect(view.refunds[0]).toMatchObject({ status: "rejected", failure_reason: "cuenta destino cerrada", reversed_at: expect.any(String) })

        const again = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`, {})
        expect(again.status).toBe(409)
        expect(again.body.message).toBe(`Refund ${refundId} cannot be checked: it is already rejected and Medusa no longer counts it; PagoEfectivo's answer is final`)
      })

      it("answers 502 with the reason when PagoEfectivo cannot be asked, and leaves the refund as it was", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.fault({ path: `/v1/refunds/${refundId}`, method: "GET", status: 400, times: 10 })
        const res = await admin("POST", `/admin/pagoefectivo/refunds/${refundId}/check`, {})
        await sandbox.clearFaults()
        expect(res.status).toBe(502)
        expect(res.body.message).toMatch(new RegExp(`^Could not check refund ${refundId} with PagoEfectivo: `))
        expect((await panel(orderId)).refunds[0]).toMatchObject({ status: "pending", reversed_at: null })
      })
    })
  },
})
