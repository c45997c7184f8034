import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { WireAmount } from "../../src/lib/pagoefectivo/wire"
import reconcileJob, { config as jobConfig } from "../../src/jobs/reconcile-pagoefectivo"
import { createLimiter } from "../../src/lib/concurrency"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { observe } from "../helpers/observe"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * The reconciliation job (src/jobs/reconcile-pagoefectivo.ts) as it runs every few minutes: what
 * it asks PagoEfectivo (the sandbox's request log), how often and how many at once, and what
 * changes in the store (the admin's order and panel APIs). "Untouched for reconcileAfterMinutes"
 * (10) cannot be waited for in a test: records, notifications and sessions are aged in the
 * database instead, as the clock would.
 */
const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const seen = observe(getContainer)
    const db = () => getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION)
    const age = (table: string, column: string, minutes: number, where: string, params: any[]) =>
      db().raw(`UPDATE ${table} SET ${column} = now() - make_interval(secs => ?) WHERE ${where}`, [minutes * 60, ...params])
    const panel = async (orderId: string) => (await api.get(`/admin/pagoefectivo/orders/${orderId}`, { headers: shop.admin })).data
    const refundOf = async (orderId: string) => (await panel(orderId)).refunds[0]
    const asked = async (refundId: string) => (await sandbox.requests({ route: "GET /v1/refunds/{refundId}", path: `/v1/refunds/${refundId}` })).length
    const run = () => reconcileJob(getContainer())

    it("is scheduled every PAGOEFECTIVO_RECONCILE_EVERY_MINUTES (5) and asks only about refunds untouched for reconcileAfterMinutes (10)", async () => {
      expect(jobConfig).toEqual({ name: "pagoefectivo-reconcile", schedule: "*/5 * * * *" })
      const a = await shop.paidOrder()
      const b = await shop.paidOrder()
      expect((await shop.refund(a.paymentId, 40)).status).toBe(200)
      expect((await shop.refund(b.paymentId, 40)).status).toBe(200)
      const [ra, rb] = [(await refundOf(a.orderId)).refund_id, (await refundOf(b.orderId)).refund_id]
      // PagoEfectivo completes both and its notifications are lost
      for (const id of [ra, rb]) await sandbox.call("POST", `/__sandbox/refunds/${id}/complete`, { notify: false })
      await age("pagoefectivo_refund", "updated_at", 11, "refund_id = ?", [ra])
      await age("pagoefectivo_refund", "updated_at", 9, "refund_id = ?", [rb])

      await run()
      expect([await asked(ra), await asked(rb)]).toEqual([1, 0])
      expect((await refundOf(a.orderId)).status).toBe("completed")
      expect((await refundOf(b.orderId)).status).toBe("pending")

      await age("pagoefectivo_refund", "updated_at", 10.5, "refund_id = ?", [rb])
      await run()
      expect([await asked(ra), await asked(rb)]).toEqual([1, 1])
      expect((await refundOf(b.orderId)).status).toBe("completed")
    })

    it("applies again notifications stored but not applied (received, failed, deferred) once they are old enough", async () => {
      const orders = [] as { orderId: string; cip: string; amount: number }[]
      for (let i = 0; i < 4; i++) {
        const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: `n${i}@example.pe` })
        await sandbox.call("POST", `/__sandbox/cips/${session.data.cip}/pay`, { notify: false })
        orders.push({ orderId: order.id, cip: session.data.cip, amount: Number(session.data.amount) })
      }
      // PagoEfectivo's documented cip.paid names no transactionCode: applying it asks PagoEfectivo
      // whose CIP it is, and fails while it cannot be asked
      await sandbox.fault({ path: "/v1/cips/search", method: "POST", status: 500 })
      for (const [i, o] of orders.entries()) {
        const body = JSON.stringify({ eventType: "cip.paid", operationNumber: `90${i}`, data: { cip: o.cip, currency: "PEN", amount: o.amount } })
        expect((await shop.deliver(body)).status).toBe(200)
      }
      const stored = await eventually(async () => {
        const all = await shop.pe().listPagoEfectivoNotifications({}, { order: { created_at: "ASC" } })
        return all.length === 4 && all.every((n: any) => n.status === "failed") ? all : null
      }, { what: "four notifications failed", timeoutMs: 60_000 })
      await sandbox.clearFaults()
      // as a process that died after storing one would leave it, one PagoEfectivo sent before
      // Medusa had committed, one that failed: all ten minutes ago; and one that failed just now
      const [received, deferred, failed, fresh] = stored.map((n: any) => n.id)
      await db().raw(`UPDATE pagoefectivo_notification SET status = 'received' WHERE id = ?`, [received])
      await db().raw(`UPDATE pagoefectivo_notification SET status = 'deferred' WHERE id = ?`, [deferred])
      await age("pagoefectivo_notification", "updated_at", 11, "id = ANY(?)", [[received, deferred, failed]])

      await run()
      const status = async (orderId: string) => (await shop.orderOf(orderId)).payment_status
      expect(await Promise.all(orders.map((o) => status(o.orderId)))).toEqual(["captured", "captured", "captured", "awaiting"])
      const after = new Map((await shop.pe().listPagoEfectivoNotifications({})).map((n: any) => [n.id, n.status]))
      expect([received, deferred, failed, fresh].map((id) => after.get(id))).toEqual(["processed", "processed", "processed", "failed"])
    })

    it("finds a CIP that expired while its notification was lost, and cancels the unpaid order", async () => {
      await sandbox.fault({ path: "notifications", eventType: "cip.expired", drop: true })
      const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
      await sandbox.expire(session.data.cip)
      expect((await shop.orderOf(order.id)).status).not.toBe("canceled")
      await age("payment_session", "created_at", 11, "id = ?", [session.id])

      await run()
      expect((await sandbox.requests({ route: "POST /v1/cips/search" })).map((r) => r.items)).toContain(1)
      const canceled = await shop.orderOf(order.id)
      expect(canceled.status).toBe("canceled")
      expect(canceled.payment_collections[0].payment_sessions[0].status).toBe("canceled")
      const [stored] = await shop.pe().listPagoEfectivoNotifications({})
      expect(stored).toMatchObject({ event_type: "cip.expired", status: "processed" })
    })

    it("asks about CIPs in batches of 100 and keeps at most 4 calls in flight", async () => {
      const pe = shop.pe()
      // 150 refunds PagoEfectivo still has pending, whose records are an hour old
      const cip = await pe.client().createCip({ currency: "PEN", amount: new WireAmount("900.00"), transactionCode: "payses_reconcile_bulk", userEmail: "bulk@example.pe" })
      await sandbox.call("POST", `/__sandbox/cips/${cip.data.cip}/pay`, { notify: false })
      const ids = Array.from({ length: 150 }, (_, i) => `ref_bulk_${String(i).padStart(3, "0")}`)
      const limit = createLimiter(8)
      await Promise.all(
        ids.map((refundId) =>
          limit(() => pe.client().createRefund({ cip: cip.data.cip, transactionCode: "payses_reconcile_bulk", merchantOrderId: "order_bulk", refundId, amount: new WireAmount("1.00"), currency: "PEN" }))
        )
      )
      await db().raw(
        `INSERT INTO pagoefectivo_refund (id, refund_id, merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, attempts, requested_at, created_at, updated_at)
         SELECT 'perefund_' || r, r, 'order_bulk', ?, 'payses_reconcile_bulk', 1, '{"value":"1","precision":20}'::jsonb, 'PEN', 'pending', '[]'::jsonb,
                now() - interval '1 hour', now() - interval '1 hour', now() - interval '1 hour'
         FROM unnest(?::text[]) AS r`,
        [String(cip.data.cip), ids]
      )
      // 130 payment sessions still waiting for their CIP, an hour old
      const payment = getContainer().resolve(Modules.PAYMENT)
      const [collection] = await payment.createPaymentCollections([{ currency_code: "pen", amount: 130 }])
      for (let i = 0; i < 130; i++) {
        await payment.createPaymentSession(collection.id, { provider_id: "pp_pagoefectivo_pagoefectivo", currency_code: "pen", amount: 1, data: { email: `s${i}@example.pe` } })
      }
      await db().raw(`UPDATE payment_session SET created_at = now() - interval '1 hour' WHERE payment_collection_id = ?`, [collection.id])
      // hold every call a little, so that calls allowed to overlap do
      await sandbox.fault([
        { path: "/v1/refunds/", method: "GET", latencyMs: 60 },
        { path: "/v1/cips/search", method: "POST", latencyMs: 60 },
      ])
      const before = Math.max(0, ...(await sandbox.requests()).map((r) => r.id))
      const ofTheJob = async (route: string) => (await sandbox.requests({ route })).filter((r) => r.id > before)

      await run()
      const gets = await ofTheJob("GET /v1/refunds/{refundId}")
      expect(new Set(gets.map((r) => r.path)).size).toBe(150)
      expect(Math.max(...gets.map((r) => r.concurrent))).toBe(4)
      const searches = await ofTheJob("POST /v1/cips/search")
      expect(searches.map((r) => r.items)).toEqual([100, 30])
      expect((await sandbox.state()).counters.peakInFlight).toMatchObject({ "GET /v1/refunds/{refundId}": 4, "POST /v1/cips/search": 1 })
    })

    it("takes a lock: a second worker that starts while the first is reconciling skips the run", async () => {
      const { orderId, paymentId } = await shop.paidOrder()
      expect((await shop.refund(paymentId, 40)).status).toBe(200)
      const refundId = (await refundOf(orderId)).refund_id
      await sandbox.call("POST", `/__sandbox/refunds/${refundId}/complete`, { notify: false })
      await age("pagoefectivo_refund", "updated_at", 11, "refund_id = ?", [refundId])
      // the first worker's question to PagoEfectivo is held until the second worker is done
      await sandbox.fault({ path: `/v1/refunds/${refundId}`, method: "GET", hold: true, times: 1 })
      const first = run()
      await eventually(async () => (await sandbox.requests({ path: `/v1/refunds/${refundId}` })).some((r) => r.status === null), { what: "the first worker asking" })

      await run() // the second worker: it asked nothing and changed nothing, and said why
      expect(await asked(refundId)).toBe(1)
      expect((await refundOf(orderId)).status).toBe("pending")
      expect(seen.logged.filter((l) => /^pagoefectivo reconcile: skipped/.test(l))).toHaveLength(1)

      await sandbox.call("POST", "/__sandbox/faults/release")
      await first
      expect(await asked(refundId)).toBe(1)
      expect((await refundOf(orderId)).status).toBe("completed")
    })
  },
})
