import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

// PagoEfectivo has not enabled the refund API for this store: refunds are bank transfers.
const sandbox = useSandbox({ PAGOEFECTIVO_REFUND_MODE: "manual" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const recordsOf = async (orderId: string) => (await shop.pe().listPagoEfectivoRefunds({ order_id: orderId }, { order: { requested_at: "ASC" } })) as any[]
    const call = (path: string, body: unknown = {}, headers: Record<string, string> = shop.admin) =>
      api
        .post(`/admin/pagoefectivo/refunds/${path}`, body, { headers })
        .then((r: any) => ({ status: r.status as number, body: r.data }))
        .catch((e: any) => ({ status: e.response?.status as number, body: e.response?.data }))

    /** The Refund button in manual mode: Medusa counts the refund, PagoEfectivo is not called. */
    const manualRefund = async (amount: number) => {
      const paid = await shop.paidOrder()
      const res = await shop.refund(paid.paymentId, amount)
      expect(res.status).toBe(200)
      const [record] = await recordsOf(paid.orderId)
      expect(record).toMatchObject({ status: "awaiting_transfer", settled_at: null, bank_reference: null })
      expect(Number(record.amount)).toBe(amount)
      const state = await sandbox.state()
      expect(state.refunds).toHaveLength(0)
      expect(state.counters.refundsCreated).toBe(0)
      return { ...paid, refundId: record.refund_id as string }
    }

    it("records the refund as awaiting a bank transfer, makes no refund call, and staff mark it transferred with the bank's reference", async () => {
      const { orderId, refundId } = await manualRefund(60)
      const before = await shop.orderOf(orderId)
      expect(before.payment_status).toBe("partially_refunded")
      expect(before.payment_collections[0].payments[0].data.refunds[refundId]).toMatchObject({ status: "awaiting_transfer", amount: "60.00" })

      const done = await call(`${refundId}/complete`, { bank_reference: "BCP-OP-778812" })
      expect(done.status).toBe(200)
      expect(done.body).toMatchObject({ outcome: "applied", undone: false, refund: { refund_id: refundId, status: "completed", bank_reference: "BCP-OP-778812" } })
      const [record] = await recordsOf(orderId)
      expect(record).toMatchObject({ status: "completed", bank_reference: "BCP-OP-778812", settled_by: expect.stringMatching(/^user_/), reversed_at: null })
      expect(record.settled_at).not.toBeNull()
      const after = await shop.orderOf(orderId)
      expect(after.payment_status).toBe("partially_refunded")
      expect(Number(after.payment_collections[0].refunded_amount)).toBe(60)

      // the same call again is a no-op; the other outcome is refused
      expect((await call(`${refundId}/complete`, { bank_reference: "BCP-OP-778812" })).body).toMatchObject({ outcome: "duplicate" })
      const contradict = await call(`${refundId}/fail`, { reason: "cuenta cerrada" })
      expect(contradict.status).toBe(409)
      expect(contradict.body.message).toMatch(/already marked transferred; it cannot be marked failed/)
      expect((await sandbox.state()).counters.refundsCreated).toBe(0)
    })

    it("marked failed, the refund is undone exactly as a rejection: the order as before, and it can be refunded again", async () => {
      const { orderId, paymentId, refundId } = await manualRefund(199.9)
      expect((await shop.orderOf(orderId)).payment_status).toBe("refunded")
      const before = await shop.orderOf(orderId)

      const failed = await call(`${refundId}/fail`, { reason: "la cuenta del cliente no existe" })
      expect(failed.status).toBe(200)
      expect(failed.body).toMatchObject({ outcome: "applied", undone: true, refund: { status: "failed", failure_reason: "la cuenta del cliente no existe" } })
      const [record] = await recordsOf(orderId)
      expect(record).toMatchObject({ status: "failed", failure_code: "transfer_failed" })
      expect(record.reversed_at).not.toBeNull()
      expect(record.reversal_note).toMatch(/its bank transfer failed/)

      const after = await shop.orderOf(orderId)
      expect(after.payment_status).toBe("captured")
      expect(after.payment_collections[0].payments[0].refunds).toHaveLength(0)
      expect(Number(after.payment_collections[0].refunded_amount)).toBe(0)
      expect(after.summary.refunded_total).toBe(0)
      expect(after.summary.paid_total).toEqual(before.summary.paid_total)

      // and again, in full
      expect((await shop.refund(paymentId, 199.9)).status).toBe(200)
      const records = await recordsOf(orderId)
      expect(records.map((r) => r.status)).toEqual(["failed", "awaiting_transfer"])
    })

    it("answers clear errors: missing reference 400, unknown refund 404, a refund not awaiting a transfer 409, no session 401", async () => {
      const { refundId } = await manualRefund(20)
      const missing = await call(`${refundId}/complete`, {})
      expect(missing.status).toBe(400)
      expect(missing.body.message).toMatch(/Invalid body.bank_reference: is required: the bank transfer's reference/)
      const blank = await call(`${refundId}/fail`, { reason: "  " })
      expect(blank.status).toBe(400)
      expect(blank.body.message).toMatch(/Invalid body.reason: is required/)
      const extra = await call(`${refundId}/complete`, { bank_reference: "X1", amount: 5 })
      expect(extra.status).toBe(400)
      const unknown = await call(`ref_NOPE/complete`, { bank_reference: "X1" })
      expect(unknown.status).toBe(404)
      expect(unknown.body.message).toMatch(/PagoEfectivo refund with id "ref_NOPE" was not found/)
      const anon = await call(`${refundId}/complete`, { bank_reference: "X1" }, {})
      expect(anon.status).toBe(401)

      // a record PagoEfectivo settles (not a bank transfer) cannot be marked by staff
      await shop.pe().ledger().settle(refundId, { status: "pending" })
      const notManual = await call(`${refundId}/complete`, { bank_reference: "X1" })
      expect(notManual.status).toBe(409)
      expect(notManual.body.message).toMatch(/is pending, not awaiting a bank transfer/)
    })
  },
})
