import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * The option recordOutsideRefunds (PAGOEFECTIVO_RECORD_OUTSIDE_REFUNDS=true; off by default, see
 * outside-refunds.spec.ts): a refund made in PagoEfectivo's own panel is recorded in Medusa as soon
 * as its refund.completed arrives, through the same path as "Record in Medusa", once however often
 * PagoEfectivo delivers it.
 */
// (set before the app boots: the runner reads medusa-config.ts before it applies its own `env`)
const sandbox = useSandbox({ PAGOEFECTIVO_RECORD_OUTSIDE_REFUNDS: "true" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    it("records a refund made in PagoEfectivo's panel by itself, once across redeliveries; the three sums agree", async () => {
      const { orderId, paymentId, cip } = await shop.paidOrder()
      // PagoEfectivo delivers the refund.completed three times
      await sandbox.fault({ path: "notifications", eventType: "refund.completed", duplicate: 2, times: 1 })
      const panel = await sandbox.panelRefund(cip, { amount: 25.5 })

      expect(await shop.booksAgree(orderId)).toMatchObject({ gateway: 25.5, medusa: 25.5, summary: 25.5, collection: 25.5, payment_status: "partially_refunded" })
      const order = await shop.orderOf(orderId)
      expect(order.payment_collections[0].payments[0].refunds.map((r: any) => r.id)).toEqual([panel.refundId])
      await eventually(async () => {
        const [n] = await shop.pe().listPagoEfectivoNotifications({ refund_id: panel.refundId })
        return n?.status === "processed" && n.deliveries === 3
      }, { what: "the three deliveries to be counted and the notification processed" })
      const [record] = await shop.pe().listPagoEfectivoRefunds({ refund_id: panel.refundId })
      expect(record).toMatchObject({ origin: "outside", status: "completed", payment_id: paymentId, settled_by: "recordOutsideRefunds" })

      // nothing waits in the queue for a person
      const res = await fetch(`${shop.baseUrl}/admin/pagoefectivo/attention`, { headers: shop.admin })
      expect((await res.json()).items).toEqual([])
    })
  },
})
