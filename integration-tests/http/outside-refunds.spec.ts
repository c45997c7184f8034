import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * Refunds made in PagoEfectivo's own panel (issue #14): PagoEfectivo notifies refund.completed for
 * a CIP of this store with a refundId it never made. The notification is kept unmatched and the
 * refund shows in the PagoEfectivo page's queue; "Record in Medusa"
 * (POST /admin/pagoefectivo/notifications/:id/record) creates Medusa's refund without calling
 * PagoEfectivo, once, through the same convergence as every other refund. The option that records
 * them by itself (recordOutsideRefunds) is off here, as by default: outside-refunds-auto.spec.ts.
 */
const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    const call = (method: string, path: string, body?: unknown) => shop.call(method, path, body)
    const queue = async () => {
      const res = await call("GET", "/admin/pagoefectivo/attention")
      expect(res.status).toBe(200)
      return res.body.items as any[]
    }
    const record = (notificationId: string) => call("POST", `/admin/pagoefectivo/notifications/${notificationId}/record`, {})
    /** The stored notification of a refundId, once the store has applied it. */
    const notificationOf = (refundId: string, status: string) =>
      eventually(async () => {
        const [n] = await shop.pe().listPagoEfectivoNotifications({ refund_id: refundId })
        return n?.status === status ? n : null
      }, { what: `the notification of ${refundId} to be ${status}` })

    it("shows in the queue; Record in Medusa, pressed twice, records one Medusa refund; then the three sums agree", async () => {
      const { orderId, paymentId, cip } = await shop.paidOrder()
      // a refund through Medusa first, so that the books hold one of each kind
      expect((await shop.refund(paymentId, 40)).status).toBe(200)
      const [ours] = (await sandbox.state()).refunds
      await sandbox.call("POST", `/__sandbox/refunds/${ours.refundId}/complete`, { wait: true })

      // PagoEfectivo's staff refund 30.00 in its panel; the store hears refund.completed
      const panel = await sandbox.panelRefund(cip, { amount: 30, reason: "devuelto en tienda" })
      const notification = await notificationOf(panel.refundId, "unmatched")

      // nothing is counted by itself (the option is off): Medusa has 40.00, PagoEfectivo 70.00
      expect(await shop.books(orderId)).toMatchObject({ gateway: 70, medusa: 40, summary: 40 })
      const item = (await queue()).find((i) => i.kind === "outside")
      expect(item).toEqual({
        kind: "outside",
        key: `outside:${notification.id}`,
        at: expect.any(String),
        order_id: orderId,
        refund_id: panel.refundId,
        return_id: null,
        notification_id: notification.id,
        cip,
        amount: "30.00",
        currency_code: "PEN",
        status: "unmatched",
        detail: `no refund ${panel.refundId} was made by this store`,
        anomaly: null,
        actions: ["record"],
      })

      // pressed twice at once, then once more: one refund
      const twice = await Promise.all([record(notification.id), record(notification.id)])
      expect(twice.map((r) => r.status)).toEqual([200, 200])
      expect(twice.map((r) => r.body.outcome).sort()).toEqual(["duplicate", "recorded"])
      const again = await record(notification.id)
      expect(again.status).toBe(200)
      expect(again.body).toMatchObject({ outcome: "duplicate", counted: true })
      expect(again.body.refund).toMatchObject({ refund_id: panel.refundId, payment_id: paymentId, amount: 30, currency_code: "PEN", status: "completed", reference_id: panel.referenceId })

      // Medusa's refunds on the payment: ours and PagoEfectivo's (its id is PagoEfectivo's refundId)
      const order = await shop.orderOf(orderId)
      const refunds = order.payment_collections[0].payments[0].refunds
      expect(refunds.map((r: any) => [r.id, Number(r.amount)]).sort()).toEqual([[ours.refundId, 40], [panel.refundId, 30]].sort())
      expect(await shop.booksAgree(orderId)).toMatchObject({ gateway: 70, medusa: 70, summary: 70, collection: 70, payment_status: "partially_refunded" })

      // the record says where it came from; no call was made to PagoEfectivo for it
      const [stored] = await shop.pe().listPagoEfectivoRefunds({ refund_id: panel.refundId })
      expect(stored).toMatchObject({ origin: "outside", status: "completed", order_id: orderId, cip, settled_by: expect.any(String) })
      expect((await sandbox.state()).counters.requests["GET /v1/refunds/{refundId}"] ?? 0).toBe(0)
      expect((await sandbox.state()).counters.refundsCreated).toBe(1)

      // the queue no longer lists it, the notification is applied, the order panel shows it
      expect((await queue()).some((i) => i.kind === "outside")).toBe(false)
      await notificationOf(panel.refundId, "processed")
      const orderPanel = await call("GET", `/admin/pagoefectivo/orders/${orderId}`)
      // (oldest first by requested_at: the panel's refund carries PagoEfectivo's dateProcessed, to the second)
      expect(orderPanel.body.refunds.map((r: any) => [r.refund_id, r.status]).sort()).toEqual([[ours.refundId, "completed"], [panel.refundId, "completed"]].sort())

      // and Medusa refuses what is no longer refundable: 199.90 - 70.00 = 129.90 left
      expect((await shop.refund(paymentId, 130)).status).toBe(400)
    })

    it("answers 409 with the reason when there is nothing to record, 404 unknown, 400 malformed", async () => {
      const { orderId, cip } = await shop.paidOrder()
      const deliver = async (data: Record<string, unknown>) => {
        const body = JSON.stringify({ eventType: "refund.completed", operationNumber: "9001", data: { currency: "PEN", status: "completed", ...data } })
        expect((await shop.deliver(body)).status).toBe(200)
      }
      // a CIP this store does not know: unmatched, and not in the queue
      await deliver({ refundId: "panel-unknown-cip", referenceId: "RF1", cip: "9999999", amount: 10 })
      const unknownCip = await notificationOf("panel-unknown-cip", "unmatched")
      expect((await queue()).some((i) => i.notification_id === unknownCip.id)).toBe(false)
      const refused = await record(unknownCip.id)
      expect(refused.status).toBe(409)
      expect(refused.body.message).toBe(`Cannot record notification ${unknownCip.id} in Medusa: CIP 9999999 is not a payment of this store`)

      // more than the shopper paid: in the queue, but recording it is refused and records nothing
      await deliver({ refundId: "panel-too-much", referenceId: "RF2", cip, amount: 250 })
      const tooMuch = await notificationOf("panel-too-much", "unmatched")
      expect((await queue()).find((i) => i.notification_id === tooMuch.id)).toMatchObject({ kind: "outside", amount: "250.00" })
      const above = await record(tooMuch.id)
      expect(above.status).toBe(409)
      expect(above.body.message).toMatch(/passes the 199\.90 paid; not recorded/)
      expect(await shop.pe().listPagoEfectivoRefunds({ refund_id: "panel-too-much" })).toEqual([])
      expect(await shop.books(orderId)).toMatchObject({ medusa: 0, summary: 0 })

      // another currency
      await deliver({ refundId: "panel-usd", referenceId: "RF3", cip, amount: 5, currency: "USD" })
      const usd = await notificationOf("panel-usd", "unmatched")
      expect((await record(usd.id)).body.message).toMatch(/the refund is in USD but the payment of CIP \d+ is in PEN/)

      // a notification that is not a refund, an unknown one, a malformed id, a body
      const [paid] = await shop.pe().listPagoEfectivoNotifications({ event_type: "cip.paid" })
      expect((await record(paid.id)).body.message).toMatch(/is a cip\.paid, not a refund PagoEfectivo made/)
      const unknown = await record("penotif_01UNKNOWN0000000000000000")
      expect(unknown.status).toBe(404)
      expect(unknown.body.message).toBe('PagoEfectivo notification with id "penotif_01UNKNOWN0000000000000000" was not found')
      expect((await call("POST", `/admin/pagoefectivo/notifications/${encodeURIComponent("x y")}/record`, {})).status).toBe(400)
      expect((await call("POST", `/admin/pagoefectivo/notifications/${usd.id}/record`, { amount: 5 })).status).toBe(400)
    })
  },
})
