import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { reconcilePagoEfectivo } from "../../src/lib/reconciliation/reconcile"
import { refundOnce } from "../../src/lib/refunds/refund-once"
import { refundReturn } from "../../src/lib/refunds/refund-return"
import { observe } from "../helpers/observe"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

// autoRefundOnReturn is off by default; this store turns it on. The per-order lock spec holds a
// refund call at the sandbox for a few seconds: the client's timeout must outlast it.
const sandbox = useSandbox({ PAGOEFECTIVO_AUTO_REFUND_ON_RETURN: "true", PAGOEFECTIVO_REQUEST_TIMEOUT_MS: "20000" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const requestOf = async (returnId: string) => (await shop.pe().listPagoEfectivoRefundRequests({ return_id: returnId }))[0]
    const settledRequest = (returnId: string) =>
      eventually(async () => {
        const r = await requestOf(returnId)
        return r && r.status !== "running" ? r : null
      }, { what: `return ${returnId} refunded` })

    // What the plugin logs and emits, as a store's operator and its own subscribers see it.
    const seen = observe(getContainer)
    /** The return subscriber's line for a return it refunded nothing for (left alone, not fully received, done already). */
    const subscriberSaid = (returnId: string, what: RegExp) =>
      eventually(async () => seen.logged.find((l) => l.startsWith(`pagoefectivo: return ${returnId}: `) && what.test(l)), { what: `the return subscriber on ${returnId} saying ${what}` })

    describe("a received return of a PagoEfectivo order", () => {
      it("is refunded once, for what Medusa says it is worth (items less return shipping), through PagoEfectivo", async () => {
        const { orderId, paymentId, cip } = await shop.paidOrder()
        const returnId = await shop.returnReceived(orderId)

        const request = await settledRequest(returnId)
        // PEN 189.90 item returned, PEN 10.00 return shipping charged: PEN 179.90 owed
        expect(request).toMatchObject({ status: "pending", order_id: orderId, payment_id: paymentId, amount: "179.90", currency_code: "PEN" })

        const { refunds } = await sandbox.state()
        expect(refunds).toHaveLength(1)
        expect(refunds[0]).toMatchObject({ refundId: request.refund_id, cip, amount: 179.9, currency: "PEN", merchantOrderId: orderId })

        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("partially_refunded")
        expect(order.payment_collections[0].payments[0].refunds).toEqual([expect.objectContaining({ id: request.refund_id, amount: 179.9 })])
        expect(order.summary.pending_difference).toBe(0)

        // the outcome is recorded against the return (its metadata) and the refund record has the reason
        const { data: returns } = await api.get(`/admin/returns/${returnId}?fields=id,metadata`, { headers: shop.admin })
        expect(returns.return.metadata.pagoefectivo_refund).toMatchObject({ status: "pending", refund_id: request.refund_id, amount: "179.90" })
        const [record] = await shop.pe().listPagoEfectivoRefunds({ refund_id: request.refund_id })
        expect(record.reason).toBe(`Devolución ${returnId}`)
      })

      it("refunds the return's own refund amount when one was set, in cents rounded down", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        const items = await shop.fulfil(orderId)
        const returnId = await shop.requestReturn(orderId, items, { withShipping: false })
        // a store's own code agreed another amount for this return (Medusa's return.refund_amount);
        // it has a third decimal, which PagoEfectivo cannot take: never round it up
        await getContainer().resolve<any>(Modules.ORDER).updateReturns([{ id: returnId, refund_amount: 50.005 }])
        await shop.receiveReturn(returnId, items)

        const request = await settledRequest(returnId)
        expect(request).toMatchObject({ status: "pending", payment_id: paymentId, amount: "50.00" })
        expect((await sandbox.state()).refunds).toEqual([expect.objectContaining({ refundId: request.refund_id, amount: 50 })])
        expect((await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds).toEqual([expect.objectContaining({ id: request.refund_id, amount: 50 })])
      })

      it("refunds nothing at a partial receipt; staff refund a partly received return by hand, once", async () => {
        const { orderId } = await shop.paidOrder({}, { quantity: 2 }) // PEN 2 × 189.90 + 10.00
        const [item] = await shop.fulfil(orderId)
        const returnId = await shop.requestReturn(orderId, [item], { withShipping: false })
        const partly = /left alone: return .* is partially received: it is refunded once all its items are received/
        const saidPartly = async (times: number) =>
          eventually(async () => seen.logged.filter((l) => l.startsWith(`pagoefectivo: return ${returnId}: `) && partly.test(l)).length >= times, { what: `partially received said ${times}×` })

        await shop.receiveReturn(returnId, [{ id: item.id, quantity: 1 }])
        await saidPartly(1)
        expect(await requestOf(returnId)).toBeUndefined()
        expect((await sandbox.state()).refunds).toHaveLength(0)

        // Medusa 2.21.2 keeps a return received in two receipts "partially_received" (its item
        // counts one received): still nothing is refunded on its own
        await shop.receiveReturn(returnId, [{ id: item.id, quantity: 1 }])
        await saidPartly(2)
        const { data } = await api.get(`/admin/returns/${returnId}?fields=id,status`, { headers: shop.admin })
        expect(data.return.status).toBe("partially_received")
        expect((await sandbox.state()).refunds).toHaveLength(0)

        // staff refund it: what the order owes for what came back
        const refunded = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin })
        expect(refunded.data.result).toMatchObject({ status: "pending", amount: "379.80", duplicate: false })
        const again = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin })
        expect(again.data.result).toMatchObject({ status: "pending", refund_id: refunded.data.result.refund_id, duplicate: true })
        expect((await sandbox.state()).refunds).toEqual([expect.objectContaining({ refundId: refunded.data.result.refund_id, amount: 379.8 })])
      })

      it("refunds one return of an order at a time: the second reads what the order owes once the first is refunded", async () => {
        const { orderId } = await shop.paidOrder({}, { quantity: 2 }) // PEN 389.80
        const [item] = await shop.fulfil(orderId)
        // two returns of one amount each (no return shipping): keyed refunds are deliberate, the
        // double-click guard does not refuse the second
        const first = await shop.requestReturn(orderId, [{ id: item.id, quantity: 1 }], { withShipping: false })
        const second = await shop.requestReturn(orderId, [{ id: item.id, quantity: 1 }], { withShipping: false })
        // the first return's refund call is held at PagoEfectivo while the second return arrives
        const locking = getContainer().resolve(Modules.LOCKING)
        const locks = jest.spyOn(locking, "execute")
        const orderLocks = () => locks.mock.calls.filter(([key]) => String(key).includes(orderId)).length
        await sandbox.fault({ path: "/v1/refunds", method: "POST", hold: true, times: 1 })
        await shop.receiveReturn(first, [{ id: item.id, quantity: 1 }])
        await eventually(async () => (await sandbox.requests({ route: "POST /v1/refunds" })).some((r) => r.status === null), { what: "the first refund call held" })
        await shop.receiveReturn(second, [{ id: item.id, quantity: 1 }])
        // the second return's refund asks for the order's lock while the first still holds it
        await eventually(async () => orderLocks() >= 2, { what: "the second return waiting for the order" })
        expect(await requestOf(second)).toBeUndefined()
        await sandbox.call("POST", "/__sandbox/faults/release")

        const [a, b] = [await settledRequest(first), await settledRequest(second)]
        // each refunds its own item: the second saw the first's refund booked on the order (alone it
        // would have read PEN 379.80 owed: both items)
        expect(a).toMatchObject({ status: "pending", amount: "189.90" })
        expect(b).toMatchObject({ status: "pending", amount: "189.90" })
        expect((await sandbox.state()).refunds.map((r: any) => r.amount)).toEqual([189.9, 189.9])
        const order = await shop.orderOf(orderId)
        expect(order.payment_collections[0].payments[0].refunds).toHaveLength(2)
        expect(order.summary.pending_difference).toBe(0)
      })

      it("refunds exactly once when the event is delivered again and reaches two workers at once", async () => {
        const { orderId } = await shop.paidOrder()
        const returnId = await shop.returnReceived(orderId, { withShipping: false })
        const first = await settledRequest(returnId)
        expect(first).toMatchObject({ status: "pending", amount: "189.90" })

        // redelivered through the event bus, and run by two "workers" at the same time
        const bus = getContainer().resolve(Modules.EVENT_BUS)
        await bus.emit({ name: "order.return_received", data: { order_id: orderId, return_id: returnId } })
        const [a, b] = await Promise.all([refundReturn(getContainer(), returnId), refundReturn(getContainer(), returnId)])
        expect(a).toMatchObject({ duplicate: true, refund_id: first.refund_id })
        expect(b).toMatchObject({ duplicate: true, refund_id: first.refund_id })
        // the subscriber has handled the redelivered event when it says so
        await subscriberSaid(returnId, new RegExp(`refunded nothing again: already pending \\(refund ${first.refund_id}\\)`))

        expect((await sandbox.state()).refunds).toHaveLength(1)
        expect((await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds).toHaveLength(1)
      })

      it("of five workers claiming the same refund key at the same instant, one refunds", async () => {
        const { paymentId } = await shop.paidOrder()
        const runs = await Promise.all(
          Array.from({ length: 5 }, () =>
            refundOnce(getContainer(), { key: "return:return_RACE", source: "return", return_id: "return_RACE", payment_id: paymentId, amount: "25.00", retryErrors: true })
          )
        )
        expect(runs.filter((r) => !r.duplicate)).toEqual([expect.objectContaining({ status: "pending", amount: "25.00" })])
        // the others answer what the one is doing (or, if it finished first, what it did)
        for (const r of runs.filter((r) => r.duplicate)) expect(["running", "pending"]).toContain(r.status)
        expect((await sandbox.state()).refunds).toHaveLength(1)
      })

      it("records a failure (nothing refunded), emits pagoefectivo.return_refund.failed, shows it to staff, and a retry refunds once", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.config({ refundsEnabled: false })
        const returnId = await shop.returnReceived(orderId, { withShipping: false })

        const failed = await settledRequest(returnId)
        expect(failed.status).toBe("error")
        expect(failed.message).toMatch(/PagoEfectivo has not enabled refunds for this merchant account/)
        expect((await sandbox.state()).refunds).toHaveLength(0)
        const before = await shop.orderOf(orderId)
        expect(before.payment_status).toBe("captured")
        expect(before.payment_collections[0].payments[0].refunds).toHaveLength(0)
        const { data: returns } = await api.get(`/admin/returns/${returnId}?fields=id,metadata`, { headers: shop.admin })
        expect(returns.return.metadata.pagoefectivo_refund).toMatchObject({ status: "error" })

        // staff see it on the order's PagoEfectivo panel
        const panel = await api.get(`/admin/pagoefectivo/orders/${orderId}`, { headers: shop.admin })
        expect(panel.data.return_refunds).toEqual([
          expect.objectContaining({ return_id: returnId, status: "error", amount: "189.90", message: expect.stringMatching(/not enabled refunds/) }),
        ])

        // a store's subscriber hears of it
        expect(seen.events("pagoefectivo.return_refund.failed")).toEqual([
          {
            name: "pagoefectivo.return_refund.failed",
            data: { return_id: returnId, order_id: orderId, payment_id: paymentId, amount: "189.90", currency_code: "PEN", message: expect.stringMatching(/not enabled refunds/) },
          },
        ])

        // the event again does not retry a failure on its own (nor tells of it again); staff do
        await refundReturn(getContainer(), returnId)
        expect((await requestOf(returnId)).status).toBe("error")
        expect(seen.events("pagoefectivo.return_refund.failed")).toHaveLength(1)

        await sandbox.config({ refundsEnabled: true })
        const retried = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin })
        expect(retried.status).toBe(200)
        expect(retried.data.result).toMatchObject({ status: "pending", amount: "189.90", duplicate: false })
        const again = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin })
        expect(again.data.result).toMatchObject({ status: "pending", refund_id: retried.data.result.refund_id, duplicate: true })

        expect((await sandbox.state()).refunds).toHaveLength(1)
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
        const after = await api.get(`/admin/pagoefectivo/orders/${orderId}`, { headers: shop.admin })
        expect(after.data.return_refunds).toEqual([expect.objectContaining({ return_id: returnId, status: "pending", refund_id: retried.data.result.refund_id, tries: 2 })])
      })

      it("resumes a return refund whose process died: the reconciliation adopts the refund it had made, or makes it once", async () => {
        const { orderId } = await shop.paidOrder()
        const returnId = await shop.returnReceived(orderId, { withShipping: false })
        const made = await settledRequest(returnId)
        const db = getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION)
        // as if the process died after PagoEfectivo refunded, before the outcome was written
        await db.raw(
          `UPDATE pagoefectivo_refund_request SET status = 'running', refund_id = NULL, amount = NULL, updated_at = now() - interval '10 minutes', started_at = now() - interval '10 minutes' WHERE return_id = ?`,
          [returnId]
        )
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.returns.resumed).toBe(1)
        expect(await requestOf(returnId)).toMatchObject({ status: "pending", refund_id: made.refund_id, tries: 2, message: expect.stringMatching(/interrupted run/) })
        expect((await sandbox.state()).refunds).toHaveLength(1)
        expect((await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds).toHaveLength(1)
      })

      it("reopens a return whose refund PagoEfectivo later rejects, so staff's retry refunds it again", async () => {
        const { orderId } = await shop.paidOrder()
        const returnId = await shop.returnReceived(orderId, { withShipping: false })
        const first = await settledRequest(returnId)
        expect(first.status).toBe("pending")
        await sandbox.call("POST", `/__sandbox/refunds/${first.refund_id}/reject`, { reason: "cuenta destino cerrada", wait: true })
        const reopened = await eventually(async () => {
          const r = await requestOf(returnId)
          return r.status === "error" ? r : null
        }, { what: "return refund reopened" })
        expect(reopened.message).toMatch(new RegExp(`refund ${first.refund_id} was undone \\(cuenta destino cerrada\\); nothing was refunded`))
        expect((await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds).toHaveLength(0)

        const retried = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin })
        expect(retried.data.result).toMatchObject({ status: "pending", amount: "189.90", duplicate: false })
        expect(retried.data.result.refund_id).not.toBe(first.refund_id)
        expect((await sandbox.state()).refunds.map((r: any) => r.status).sort()).toEqual(["pending", "rejected"])
        expect((await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds).toEqual([expect.objectContaining({ id: retried.data.result.refund_id })])
      })

      it("refunds nothing when staff already refunded the order with the Refund button", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 199.9)).status).toBe(200)
        const returnId = await shop.returnReceived(orderId, { withShipping: false })
        const request = await settledRequest(returnId)
        expect(request).toMatchObject({ status: "skipped", amount: "0.00", refund_id: null, message: expect.stringMatching(/has nothing left to refund \(it was refunded already\)/) })
        expect((await sandbox.state()).refunds).toHaveLength(1)
      })

      it("leaves orders paid another way alone", async () => {
        const { orderId, paymentId } = await shop.systemPaidOrder()
        const returnId = await shop.returnReceived(orderId, { withShipping: false })
        await subscriberSaid(returnId, new RegExp(`left alone: order ${orderId} was not paid with PagoEfectivo`))
        expect(await requestOf(returnId)).toBeUndefined()
        expect((await sandbox.state()).refunds).toHaveLength(0)
        const order = await shop.orderOf(orderId)
        expect(order.payment_collections[0].payments[0]).toMatchObject({ id: paymentId, refunds: [] })
        const res = await api.post(`/admin/pagoefectivo/returns/${returnId}/refund`, {}, { headers: shop.admin }).catch((e: any) => e.response)
        expect(res.status).toBe(400)
        expect(res.data.message).toMatch(/was not paid with PagoEfectivo/)
      })

      it("answers 404 for an unknown return and 401 without an admin session", async () => {
        const res = await api.post(`/admin/pagoefectivo/returns/return_nope/refund`, {}, { headers: shop.admin }).catch((e: any) => e.response)
        expect(res.status).toBe(404)
        const anon = await api.post(`/admin/pagoefectivo/returns/return_nope/refund`, {}).catch((e: any) => e.response)
        expect(anon.status).toBe(401)
      })
    })
  },
})
