import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Modules } from "@medusajs/framework/utils"
import { FAILPOINTS, holdAtFailpoint } from "../../src/lib/failpoints"
import { sign } from "../../src/lib/pagoefectivo/wire"
import { booksLockKey } from "../../src/lib/books/converge"
import { reconcilePagoEfectivo } from "../../src/lib/reconciliation/reconcile"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * Medusa's books follow PagoEfectivo's verdicts under every interleaving (issue: "one convergent
 * refund ledger"). Each test ends with the three sums equal — PagoEfectivo's live refunds (the
 * sandbox's state), Medusa's refunds on the payment, the order summary's refunded total — plus
 * the payment collection's refunded amount and the payment status, and with nothing left for the
 * reconciliation's sweep to repair: the online paths converged on their own.
 */
const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const recordsOf = async (orderId: string) => (await shop.pe().listPagoEfectivoRefunds({ order_id: orderId }, { order: { requested_at: "ASC" } })) as any[]
    const notificationDone = (refundId: string) =>
      eventually(async () => {
        const ns = await shop.pe().listPagoEfectivoNotifications({ refund_id: refundId })
        return ns.length && ns.every((n: any) => n.status !== "received") ? ns : null
      }, { what: `the notifications of ${refundId} applied` })

    /** The books agree, and stay so: the sweep finds nothing to repair. */
    const expectConverged = async (orderId: string, refunded: number) => {
      const books = await shop.booksAgree(orderId)
      expect(books.gateway).toBeCloseTo(refunded, 2)
      const sweep = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
      expect(sweep.books).toMatchObject({ unbalanced: 0, errors: 0 })
      expect(await shop.books(orderId)).toEqual(books)
    }

    describe("a refund PagoEfectivo accepts as pending and rejects soon after", () => {
      it.each([0, 5, 15, 30, 60, 120])("rejected %i ms after it was accepted: Medusa counts nothing", async (settleDelayMs) => {
        await sandbox.config({ refunds: { autoSettle: "reject", settleDelayMs, rejectReason: "cuenta destino cerrada" } })
        const { orderId, paymentId } = await shop.paidOrder()
        const res = await shop.refund(paymentId, 40)
        expect([200, 400]).toContain(res.status)
        const [record] = await recordsOf(orderId)
        await notificationDone(record.refund_id)
        expect((await recordsOf(orderId))[0].status).toBe("rejected")
        await expectConverged(orderId, 0)
      })

      it("rejected after Medusa read its refunds and before it booked the order (forced): the late order transaction is undone", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        // Medusa's refund workflow, at its order transaction step (it has the refund in hand), waits
        const orderModule = getContainer().resolve(Modules.ORDER) as any
        const book = orderModule.addOrderTransactions.bind(orderModule)
        let atBooking!: (refundId: string) => void
        let go!: () => void
        const reached = new Promise<string>((r) => (atBooking = r))
        const gate = new Promise<void>((r) => (go = r))
        jest.spyOn(orderModule, "addOrderTransactions").mockImplementationOnce(async (data: any) => {
          atBooking((Array.isArray(data) ? data[0] : data).reference_id)
          await gate
          return book(data)
        })
        const refunding = shop.refund(paymentId, 40)
        const refundId = await reached
        // PagoEfectivo rejects it now: the undo finds a Refund row and no order transaction yet
        await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta destino cerrada", wait: true })
        await notificationDone(refundId)
        expect(await shop.books(orderId)).toMatchObject({ medusa: 0, summary: 0 })
        go()
        expect((await refunding).status).toBe(200)
        // Medusa then booked its order transaction and counted it again: converged back
        await expectConverged(orderId, 0)
        expect((await recordsOf(orderId))[0]).toMatchObject({ status: "rejected", reversed_at: expect.anything() })
        jest.restoreAllMocks()
      })
    })

    describe("several rejections of one order at once", () => {
      it.each([[[40, 30]], [[40, 30, 20]]])("rejections of %j at the same moment leave nothing counted", async (amounts) => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        for (const amount of amounts) expect((await shop.refund(paymentId, amount)).status).toBe(200)
        const records = await recordsOf(orderId)
        await Promise.all(records.map((r) => sandbox.call("POST", `/__sandbox/refunds/${r.refund_id}/reject`, { wait: true })))
        for (const r of records) await notificationDone(r.refund_id)
        await expectConverged(orderId, 0)
      })

      it("a rejection and a completion at once: only the completed refund counts", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        for (const amount of [40, 30]) expect((await shop.refund(paymentId, amount)).status).toBe(200)
        const [first, second] = await recordsOf(orderId)
        await Promise.all([
          sandbox.call("POST", `/__sandbox/refunds/${first.refund_id}/reject`, { wait: true }),
          sandbox.call("POST", `/__sandbox/refunds/${second.refund_id}/complete`, { wait: true }),
        ])
        for (const r of [first, second]) await notificationDone(r.refund_id)
        await expectConverged(orderId, 30)
      })

      it("the books of an order are changed under its lock: nobody else converges them meanwhile", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const [record] = await recordsOf(orderId)
        const held = holdAtFailpoint(FAILPOINTS.booksMidway, (c) => c.order_id === orderId && (c.plan as any).softDeleteRefunds.length > 0)
        await sandbox.call("POST", `/__sandbox/refunds/${record.refund_id}/reject`, { wait: true })
        await held.reached
        const locking = getContainer().resolve(Modules.LOCKING)
        await expect(locking.execute(booksLockKey({ order_id: orderId, payment_collection_id: null }), async () => "taken", { timeout: 1 })).rejects.toThrow(/Timed-out acquiring lock/)
        held.release()
        await notificationDone(record.refund_id)
        await expectConverged(orderId, 0)
      })
    })

    describe("one refund of a CIP at a time", () => {
      it("a second refund while the first is on its way is refused, nothing made: Medusa would book the first with the second's amount", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        const held = holdAtFailpoint(FAILPOINTS.providerRefundCalling)
        const first = shop.refund(paymentId, 50)
        const { refund_id } = (await held.reached) as { refund_id: string }
        const second = await shop.refund(paymentId, 20)
        expect(second.status).toBe(400)
        expect(second.body.message).toMatch(new RegExp(`refund ${refund_id} of CIP \\d+ \\(requested\\) is still on its way to PagoEfectivo.*nothing was refunded now`))
        held.release()
        expect((await first).status).toBe(200)
        await expectConverged(orderId, 50)
        // once booked, the next one goes
        expect((await shop.refund(paymentId, 20)).status).toBe(200)
        await expectConverged(orderId, 70)
      })
    })

    describe("order cancellation (Medusa refunds the payment its own way)", () => {
      it("a paid order canceled: its refund counted once, and not at all once PagoEfectivo rejects it", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId } = await shop.paidOrder()
        await api.post(`/admin/orders/${orderId}/cancel`, {}, { headers: shop.admin })
        const [record] = await eventually(async () => {
          const rs = await recordsOf(orderId)
          return rs.length ? rs : null
        }, { what: "the cancellation's refund" })
        expect(record.status).toBe("pending")
        // a canceled order's payment status is Medusa's own (canceled collections): the sums are checked
        const books = await shop.booksAgree(orderId, { paymentStatus: null })
        expect(books).toMatchObject({ gateway: 199.9, medusa: 199.9, summary: 199.9 })
        await sandbox.call("POST", `/__sandbox/refunds/${record.refund_id}/reject`, { wait: true })
        await notificationDone(record.refund_id)
        expect(await shop.booksAgree(orderId, { paymentStatus: null })).toMatchObject({ gateway: 0, medusa: 0, summary: 0 })
      })

      it("a paid order canceled while PagoEfectivo refuses refunds: Medusa books it anyway, the convergence does not", async () => {
        await sandbox.config({ refundsEnabled: false })
        const { orderId } = await shop.paidOrder()
        await api.post(`/admin/orders/${orderId}/cancel`, {}, { headers: shop.admin }).catch((e: any) => e.response)
        await eventually(async () => (await recordsOf(orderId))[0]?.status === "failed", { what: "the cancellation's refund failed" })
        expect(await shop.booksAgree(orderId, { paymentStatus: null })).toMatchObject({ gateway: 0, medusa: 0, summary: 0 })
        const sweep = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(sweep.books).toMatchObject({ unbalanced: 0, errors: 0 })
      })
    })

    describe("a refund call that is slow", () => {
      it("is not judged while PagoEfectivo may still be processing it, and its money is kept", async () => {
        await sandbox.config({ refunds: { autoSettle: "none" } })
        const { orderId, paymentId } = await shop.paidOrder()
        // PagoEfectivo holds every attempt past the client's timeouts, and processes them later
        await sandbox.fault({ path: "/v1/refunds", method: "POST", hold: true })
        expect((await shop.refund(paymentId, 40)).status).toBe(200)
        const [record] = await recordsOf(orderId)
        expect(record.status).toBe("verifying")
        expect(new Date(record.call_lease_until).getTime()).toBeGreaterThan(Date.now())

        // neither "Check status now" nor the reconciliation judge it (a 404 now would say "never received")
        const check = await api.post(`/admin/pagoefectivo/refunds/${record.refund_id}/check`, {}, { headers: shop.admin }).catch((e: any) => e.response)
        expect(check.status).toBe(409)
        expect(check.data.message).toMatch(/may still be under way/)
        const early = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
        expect(early.refunds.checked).toBe(0)

        expect((await sandbox.releaseHeld()).released).toBeGreaterThan(0)
        await sandbox.clearFaults()
        await eventually(async () => (await sandbox.state()).refunds.length === 1, { what: "PagoEfectivo has the refund" })
        await shop.afterLease(record.refund_id)
        const later = await api.post(`/admin/pagoefectivo/refunds/${record.refund_id}/check`, {}, { headers: shop.admin })
        expect(later.data).toMatchObject({ outcome: "open", refund: { status: "pending" } })
        await expectConverged(orderId, 40)
      })
    })

    describe("two identical refunds sent at once", () => {
      it("20 times: each time exactly one is made, the other refused as a double click", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        for (let i = 1; i <= 20; i++) {
          const amount = (100 + i) / 100
          const answers = await Promise.all([shop.refund(paymentId, amount), shop.refund(paymentId, amount)])
          const statuses = answers.map((a) => a.status).sort()
          expect(statuses).toEqual([200, 400])
          expect(answers.find((a) => a.status === 400)!.body.message).toMatch(/looks like a double click/)
        }
        const { refunds } = await sandbox.state()
        expect(refunds).toHaveLength(20)
        await expectConverged(orderId, refunds.reduce((s, r) => s + Number(r.amount), 0))
      })
    })

    describe("one odd notification in a batch", () => {
      it("a signed notification holding \\u0000 is stored on its own: its neighbours are applied, none is answered 5xx", async () => {
        const carts: Awaited<ReturnType<typeof checkoutWithCip>>[] = []
        for (let i = 0; i < 3; i++) carts.push(await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: `rosa${i}@example.pe` }))
        // paid at PagoEfectivo, its own notifications withheld: this test sends them
        for (const c of carts) await sandbox.pay(c.session.data.cip, { notify: false })
        const paid = (c: (typeof carts)[number]) =>
          JSON.stringify({ eventType: "cip.paid", operationNumber: `9${c.session.data.cip}`, data: { cip: c.session.data.cip, currency: "PEN", amount: Number(c.session.data.amount), transactionCode: c.session.id } })
        // JSON allows \u0000; PostgreSQL's text and jsonb do not
        const odd = '{"eventType":"refund.completed","operationNumber":"66","data":{"refundId":"ref_\\u0000odd","cip":"2523136","amount":10,"currency":"PEN","status":"completed","reason":"nul \\u0000 here"}}'
        const send = (body: string) => fetch(`${shop.baseUrl}/webhooks/pagoefectivo`, { method: "POST", headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) }, body })

        // the first write is held while the others queue behind it: they go in one batch
        const held = holdAtFailpoint(FAILPOINTS.notificationsWrite)
        const first = send(paid(carts[0]))
        const { queued } = (await held.reached) as { queued: () => number }
        const rest = [send(odd), send(paid(carts[1])), send(paid(carts[2]))]
        await eventually(async () => queued() === 3, { what: "three notifications queued" })
        held.release()
        const answers = await Promise.all([first, ...rest])
        expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200])

        for (const c of carts) {
          await eventually(async () => (await shop.pe().listPagoEfectivoNotifications({ cip: c.session.data.cip }))[0]?.status === "processed", { what: `cip.paid ${c.session.data.cip} applied` })
        }
        const [stored] = await shop.pe().listPagoEfectivoNotifications({ event_type: "refund.completed" })
        expect(stored.key).toBe("refund.completed:ref_\ufffdodd")
        expect(stored.payload.data.reason).toBe("nul \ufffd here")
        await eventually(async () => (await shop.pe().listPagoEfectivoNotifications({ id: stored.id }))[0].status === "unmatched", { what: "the odd one unmatched" })
      })
    })
  },
})
