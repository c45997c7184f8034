import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { WireAmount, sign } from "../../src/lib/pagoefectivo/wire"
import { reconcilePagoEfectivo } from "../../src/lib/reconciliation/reconcile"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    let emitted: { name: string; data: any }[]

    beforeEach(async () => {
      emitted = []
      const bus = getContainer().resolve(Modules.EVENT_BUS) as any
      const emit = bus.emit.bind(bus)
      jest.spyOn(bus, "emit").mockImplementation((events: any, options: any) => {
        for (const e of Array.isArray(events) ? events : [events]) emitted.push({ name: e.name ?? e.eventName, data: e.data })
        return emit(events, options)
      })
    })

    afterEach(() => jest.restoreAllMocks())

    const recordOf = async (refundId: string) => (await shop.pe().listPagoEfectivoRefunds({ refund_id: refundId }))[0]
    const notificationsFor = async (refundId: string) => shop.pe().listPagoEfectivoNotifications({ refund_id: refundId })
    const lastRefundId = async (orderId: string) => {
      const [r] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId }, { order: { requested_at: "DESC" }, take: 1 })
      return r.refund_id as string
    }

    /** Waits until the record reaches `status` (and, for failures, Medusa stopped counting it). */
    const settled = (refundId: string, status: string) =>
      eventually(async () => {
        const r = await recordOf(refundId)
        return r?.status === status && (status === "completed" || r.reversed_at) ? r : null
      }, { what: `refund ${refundId} ${status}` })


    describe("refund.completed", () => {
      it("completes a partial refund: record completed with its reference id, order still partially refunded, event emitted", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/complete`, { wait: true })
        const record = await settled(refundId, "completed")
        await eventually(async () => emitted.some((e) => e.name === "pagoefectivo.refund.completed"), { what: "refund.completed event" })
        const [gateway] = (await sandbox.state()).refunds
        expect(record).toMatchObject({ reference_id: gateway.referenceId, reversed_at: null })
        expect(record.settled_at).toBeTruthy()
        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("partially_refunded")
        expect(Number(order.payment_collections[0].refunded_amount)).toBe(40)
        expect(emitted).toContainEqual({
          name: "pagoefectivo.refund.completed",
          data: expect.objectContaining({ refund_id: refundId, order_id: orderId, amount: "40.00", status: "completed", reference_id: gateway.referenceId }),
        })
      })
    })

    describe("refund.rejected", () => {
      it.each([
        ["a partial refund", 40, "partially_refunded"],
        ["a full refund", 199.9, "refunded"],
      ])("undoes %s: the money is owed again, the order as before, staff alerted, and can refund again", async (_, amount, whileCounted) => {
        const { orderId, paymentId } = await shop.paidOrder()
        const before = await shop.orderOf(orderId)
        expect((await shop.refund(paymentId, amount)).status).toBe(200)
        expect((await shop.orderOf(orderId)).payment_status).toBe(whileCounted)
        const refundId = await lastRefundId(orderId)

        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta destino cerrada", wait: true })
        const record = await settled(refundId, "rejected")
        expect(record.failure_reason).toBe("cuenta destino cerrada")
        expect(record.reversal_note).toMatch(/Medusa no longer counts it: PagoEfectivo rejected it/)

        const after = await shop.orderOf(orderId)
        expect(after.payment_status).toBe("captured")
        expect(after.payment_collections[0].payments[0].refunds).toHaveLength(0)
        expect(Number(after.payment_collections[0].refunded_amount)).toBe(0)
        // refunded total and paid total as before the refund; the amount is owed to the shopper again
        expect(after.summary.refunded_total).toEqual(before.summary.refunded_total)
        expect(after.summary.paid_total).toEqual(before.summary.paid_total)
        expect(after.summary.pending_difference).toBeCloseTo(before.summary.pending_difference - amount, 2)
        await eventually(async () => emitted.some((e) => e.name === "pagoefectivo.refund.failed"), { what: "refund.failed event" })
        expect(emitted).toContainEqual({
          name: "pagoefectivo.refund.failed",
          data: expect.objectContaining({ refund_id: refundId, order_id: orderId, status: "rejected", reason: "cuenta destino cerrada" }),
        })
        const [n] = await notificationsFor(refundId)
        expect(n).toMatchObject({ event_type: "refund.rejected", status: "processed" })

        // staff refund again, and it counts: nothing is owed any more
        expect((await shop.refund(paymentId, amount)).status).toBe(200)
        const again = await shop.orderOf(orderId)
        expect(again.payment_status).toBe(whileCounted)
        expect(again.summary.refunded_total).toBeCloseTo(amount, 2)
        expect(again.summary.pending_difference).toBeCloseTo(before.summary.pending_difference, 2)
      })
    })

    describe("races and repeats", () => {
      it("applies a result delivered four times once", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.fault({ path: "notifications", eventType: "refund.rejected", duplicate: 3 })
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { wait: true })
        await settled(refundId, "rejected")
        const deliveries = (await sandbox.state()).deliveries.filter((d) => d.eventType === "refund.rejected")
        expect(deliveries).toHaveLength(4)
        expect(deliveries.every((d) => d.status === 200)).toBe(true)
        // all four stored (one row) and the one that was new applied; repeats are never applied
        const [n] = await eventually(async () => {
          const ns = await notificationsFor(refundId)
          return ns[0]?.deliveries === 4 && ns[0].status === "processed" ? ns : null
        }, { what: "four deliveries, one applied" })
        expect(n.deliveries).toBe(4)
        await eventually(async () => emitted.some((e) => e.name === "pagoefectivo.refund.failed"), { what: "refund.failed event" })
        expect(emitted.filter((e) => e.name === "pagoefectivo.refund.failed")).toHaveLength(1)
        expect((await shop.orderOf(orderId)).payment_status).toBe("captured")
      })

      it("records a result that contradicts a final one as an anomaly and does not apply it", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/complete`, { wait: true })
        await settled(refundId, "completed")
        // a late, contradicting refund.rejected (signed: it really comes from PagoEfectivo)
        const res = await shop.deliver(
          JSON.stringify({ eventType: "refund.rejected", operationNumber: "77", data: { refundId, cip: "1", amount: 40, currency: "PEN", status: "rejected", reason: "late" } })
        )
        expect(res.status).toBe(200)
        const anomaly = await eventually(async () => {
          const ns = await notificationsFor(refundId)
          return ns.find((n: any) => n.event_type === "refund.rejected" && n.status === "anomaly")
        }, { what: "anomaly" })
        expect(anomaly.error).toMatch(/is completed but the notification says rejected/)
        const record = await recordOf(refundId)
        expect(record).toMatchObject({ status: "completed", reversed_at: null })
        expect(record.anomaly).toMatch(/not applied/)
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
      })

      it("a completion that overtakes the refund call's answer is applied and the refund stands", async () => {
        await sandbox.config({ refunds: { autoSettle: "complete", notifyBeforeResponse: true } })
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        expect(await recordOf(refundId)).toMatchObject({ status: "completed", reversed_at: null })
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
        const [n] = await notificationsFor(refundId)
        expect(n.status).toBe("processed")
      })

      it("a rejection that overtakes the refund call's answer leaves no refund in Medusa", async () => {
        await sandbox.config({ refunds: { autoSettle: "reject", rejectReason: "fondos insuficientes", notifyBeforeResponse: true } })
        const { orderId, paymentId } = await shop.paidOrder()
        const res = await shop.refund(paymentId, 40)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/rejected the refund .*fondos insuficientes/)
        const refundId = await lastRefundId(orderId)
        // the overtaking notification and the provider's failure both converge the books
        const record = await settled(refundId, "rejected")
        expect(record.reversal_note).toMatch(/Medusa no longer counts it/)
        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("captured")
        expect(order.payment_collections[0].payments[0].refunds).toHaveLength(0)
        await shop.booksAgree(orderId)
        // nothing is left for the job either
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.refunds.undone).toBe(0)
        expect(summary.books.unbalanced).toBe(0)
        expect((await shop.orderOf(orderId)).payment_status).toBe("captured")
      })

      it("refuses a forged refund notification with 401 and changes nothing", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        const body = JSON.stringify({ eventType: "refund.rejected", operationNumber: "1", data: { refundId, cip: "1", amount: 40, currency: "PEN", status: "rejected" } })
        const res = await shop.deliver(body, sign("forger", body))
        expect(res.status).toBe(401)
        await new Promise((r) => setTimeout(r, 300))
        expect(await recordOf(refundId)).toMatchObject({ status: "pending", reversed_at: null })
        expect(await notificationsFor(refundId)).toHaveLength(0)
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
      })

      it("stores a result for a refund this store never made as unmatched, and answers 200", async () => {
        const res = await shop.deliver(
          JSON.stringify({ eventType: "refund.completed", operationNumber: "5", data: { refundId: "made-in-the-pagoefectivo-panel", cip: "123", amount: 10, currency: "PEN", status: "completed" } })
        )
        expect(res.status).toBe(200)
        const n = await eventually(async () => {
          const [x] = await notificationsFor("made-in-the-pagoefectivo-panel")
          return x?.status === "unmatched" ? x : null
        }, { what: "unmatched" })
        expect(n.error).toMatch(/no refund made-in-the-pagoefectivo-panel was made by this store/)
      })
    })

    describe("reconciliation", () => {
      it("fixes a lost refund.completed", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.fault({ path: "notifications", eventType: "refund.completed", drop: true })
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/complete`, { wait: true })
        expect((await recordOf(refundId)).status).toBe("pending")

        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.refunds).toMatchObject({ checked: 1, completed: 1, errors: 0 })
        expect(await recordOf(refundId)).toMatchObject({ status: "completed", reference_id: expect.stringMatching(/^RF/) })
        // a second run has nothing left to do
        expect((await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })).refunds.checked).toBe(0)
      })

      it("fixes a lost refund.rejected by undoing the refund", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        await sandbox.fault({ path: "notifications", eventType: "refund.rejected", drop: true })
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { wait: true })
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.refunds).toMatchObject({ checked: 1, undone: 1 })
        expect((await shop.orderOf(orderId)).payment_status).toBe("captured")
        expect(emitted.filter((e) => e.name === "pagoefectivo.refund.failed")).toHaveLength(1)
      })

      it("undoes a verifying refund that PagoEfectivo never received", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", dropConnection: "before", times: 10 })
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const refundId = await lastRefundId(orderId)
        expect((await recordOf(refundId)).status).toBe("verifying")
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
        await sandbox.clearFaults()

        // not while PagoEfectivo may still be processing it (its call lease)
        const early = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(early.refunds.checked).toBe(0)
        await shop.afterLease(refundId)
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.refunds).toMatchObject({ checked: 1, undone: 1 })
        const record = await recordOf(refundId)
        expect(record).toMatchObject({ status: "failed", failure_code: "not_received" })
        expect(record.reversed_at).toBeTruthy()
        expect((await shop.orderOf(orderId)).payment_status).toBe("captured")
        expect((await sandbox.state()).refunds).toHaveLength(0)
      })

      it("books a refund PagoEfectivo has but Medusa lost (its workflow failed after the call and deleted its Refund row)", async () => {
        const { orderId, paymentId, cip } = await shop.paidOrder()
        const before = await shop.orderOf(orderId)
        // what Medusa leaves when its refund workflow fails after the provider returned: the
        // record (written before the call), the refund at PagoEfectivo, no Refund row in Medusa
        const refundId = "ref_lost_by_medusa"
        const transactionCode = (await sandbox.state()).cips[0].transactionCode
        await shop.pe().ledger().begin(
          { refund_id: refundId, payment_id: paymentId, payment_session_id: null, payment_collection_id: before.payment_collections[0].id, order_id: orderId, merchant_order_id: orderId, cip, transaction_code: transactionCode, amount: "15.00", currency_code: "PEN", reason: null },
          { paid: "199.90", duplicateGuardSeconds: 0, leaseSeconds: 1 }
        )
        await shop.pe().client().createRefund({ cip, transactionCode, merchantOrderId: orderId, refundId, amount: new WireAmount("15.00"), currency: "PEN" })
        await shop.pe().ledger().releaseLease(refundId)
        expect((await shop.books(orderId)).gateway).toBe(15)

        // asked first: PagoEfectivo has it (pending); booked once Medusa had its grace to do it
        await shop.afterLease(refundId)
        await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(await recordOf(refundId)).toMatchObject({ status: "pending" })
        await new Promise((r) => setTimeout(r, Number(process.env.PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS) * 1000 + 500))
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.books).toMatchObject({ unbalanced: 1, converged: 1, errors: 0 })
        const books = await shop.booksAgree(orderId)
        expect(books).toMatchObject({ gateway: 15, medusa: 15, summary: 15, payment_status: "partially_refunded" })
        const order = await shop.orderOf(orderId)
        expect(order.payment_collections[0].payments[0].refunds.map((r: any) => r.id)).toEqual([refundId])
        // booked as Medusa books a refund: the order owes nothing more (a credit line for it)
        expect(order.summary.pending_difference).toBeCloseTo(before.summary.pending_difference, 2)
        expect((await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })).books.unbalanced).toBe(0)
      })

      it("pays an order whose cip.paid was lost", async () => {
        await sandbox.fault({ path: "notifications", eventType: "cip.paid", drop: true })
        const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        await sandbox.pay(session.data.cip)
        expect((await shop.orderOf(order.id)).payment_status).toBe("awaiting")
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.cips).toMatchObject({ checked: 1, paid: 1, errors: 0 })
        expect((await shop.orderOf(order.id)).payment_status).toBe("captured")
        // the late notification, when it comes after all, is a duplicate: no second effect
        const late = await shop.deliver(
          JSON.stringify({ eventType: "cip.paid", operationNumber: "991", data: { cip: session.data.cip, currency: "PEN", amount: Number(session.data.amount), transactionCode: session.id } })
        )
        expect(late.status).toBe(200)
        expect(await late.json()).toMatchObject({ duplicate: true })
        const [stored] = await shop.pe().listPagoEfectivoNotifications({ cip: session.data.cip, event_type: "cip.paid" })
        expect(stored).toMatchObject({ status: "processed", deliveries: 2 })
        const paid = await shop.orderOf(order.id)
        expect(paid.payment_collections[0].payments).toHaveLength(1)
        expect(paid.payment_collections[0].payments[0].captures).toHaveLength(1)
        const again = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(again.cips.checked).toBe(0)
      })

      it("takes a fractional age: reconcileAfterMinutes 0.5 looks at what is older than 30 s", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const young = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0.5 })
        expect(young.refunds).toMatchObject({ checked: 0, errors: 0 })
        const refundId = await lastRefundId(orderId)
        await getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION).raw(`UPDATE pagoefectivo_refund SET updated_at = now() - interval '31 seconds' WHERE refund_id = ?`, [refundId])
        const old = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0.5 })
        expect(old.refunds).toMatchObject({ checked: 1, errors: 0 })
      })

      it("stops at a 429 it cannot wait out and says so", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        await sandbox.fault({ path: "/v1/refunds", method: "GET", status: 429, retryAfter: 3600 })
        const summary = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(summary.skipped).toMatch(/rate limiting/)
        expect((await recordOf(await lastRefundId(orderId))).status).toBe("pending")
      })
    })
  },
})
