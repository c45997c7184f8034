import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { reconcilePagoEfectivo } from "../../src/workflows/reconcile"
import { refundOnce } from "../../src/workflows/refund-once"
import { refundReturn } from "../../src/workflows/refund-return"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

// autoRefundOnReturn is off by default; this store turns it on.
const sandbox = useSandbox({ PAGOEFECTIVO_AUTO_REFUND_ON_RETURN: "true" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const requestOf = async (returnId: string) => (await shop.pe().listPagoEfectivoRefundRequests({ return_id: returnId }))[0]
    const settledRequest = (returnId: string) =>
      eventually(async () => {
        const r = await requestOf(returnId)
        return r && r.status !== "running" ? r : null
      }, { what: `return ${returnId} refunded` })

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
        await new Promise((r) => setTimeout(r, 500))

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

      it("records a failure (nothing refunded), shows it to staff, and a retry refunds once", async () => {
        const { orderId } = await shop.paidOrder()
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

        // the event again does not retry a failure on its own; staff do
        await refundReturn(getContainer(), returnId)
        expect((await requestOf(returnId)).status).toBe("error")

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
        await new Promise((r) => setTimeout(r, 1000))
        expect(await requestOf(returnId)).toBeUndefined()
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
