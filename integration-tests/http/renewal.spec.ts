import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Modules } from "@medusajs/framework/utils"
import { FAILPOINTS, holdAtFailpoint } from "../../src/lib/failpoints"
import { applyNotification } from "../../src/lib/notifications/apply-notification"
import { REPLACED_CIP_WINDOW_DAYS, reconcilePagoEfectivo } from "../../src/lib/reconciliation/reconcile"
import { REPO_ROOT } from "../../scripts/lib/medusa-process"
import { checkoutWithCip, choosePagoEfectivo, completeCart, prepareCart } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"
import { clearSentEmails, sentEmails } from "../helpers/test-email-provider"

/**
 * An expired CIP does not lose the sale (renewExpiredCip on, maxCipRenewals 1): on cip.expired
 * the order gets a fresh CIP (a new payment session on its payment collection), emailed once;
 * paying it captures the order once; the next expiry, renewals used up, cancels the order. The
 * shopper's POST /store/pagoefectivo/orders/:id/renew-cip does the same on demand. A late
 * payment of a replaced CIP captures the order when it is the first CIP paid (the renewed one is
 * deleted at PagoEfectivo), and is an overpayment otherwise, never captured; the reconciliation
 * finds it when its notification is lost.
 */
const sandbox = useSandbox({
  PAGOEFECTIVO_DEV_EMAIL: path.join(REPO_ROOT, "integration-tests", "helpers", "test-email-provider"),
  PAGOEFECTIVO_RENEW_EXPIRED_CIP: "true",
  PAGOEFECTIVO_MAX_CIP_RENEWALS: "1",
})

medusaIntegrationTestRunner({
  testSuite: ({ getContainer, api }) => {
    const shop = useStore(api, getContainer, sandbox)
    beforeEach(() => clearSentEmails())

    const checkout = () => checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
    const renewedEmails = (orderId: string) => sentEmails().filter((e) => (e.data as any)?.order_id === orderId && e.template === "pagoefectivo-cip-renewed")
    /** The order's live PagoEfectivo session (the deleted ones are not listed). */
    const sessionsOf = async (orderId: string) => (await shop.orderOf(orderId)).payment_collections[0].payment_sessions as any[]
    const cipRecords = (orderId: string) => shop.pe().listPagoEfectivoCips({ order_id: orderId }, { order: { sequence: "ASC" } })
    const sandboxCips = async () => (await sandbox.state()).cips

    const shopper = (method: string, p: string, body?: unknown, headers: Record<string, string> = {}) =>
      shop.call(method, p, body, { "x-publishable-api-key": shop.store.publishableKey, ...headers })
    const renew = (orderId: string, headers: Record<string, string> = {}, body: unknown = {}) =>
      shopper("POST", `/store/pagoefectivo/orders/${orderId}/renew-cip`, body, headers)

    /** The fresh CIP's number once the cip.expired notification renewed the order (its record written: the renewal is done). */
    const renewedCip = (orderId: string, old: string) =>
      eventually(async () => {
        const r = await shopper("GET", `/store/pagoefectivo/orders/${orderId}`)
        const code = r.body?.cip?.code && r.body.cip.code !== old && r.body.cip.status === "pending" ? (r.body.cip.code as string) : null
        return code && (await shop.pe().listPagoEfectivoCips({ cip: code })).length ? code : null
      }, { what: "a fresh CIP" })

    /** PagoEfectivo reports an expired CIP paid after all (a late settlement): its records say paid. */
    const settleLate = (cip: string) => {
      const c = sandbox.live.cips.get(Number(cip))!
      c.status = "paid"
      c.datePayment = new Date()
    }
    const cipPaid = (cip: string, transactionCode: string, operationNumber: string) =>
      JSON.stringify({ eventType: "cip.paid", operationNumber, data: { cip, currency: "PEN", amount: 199.9, transactionCode } })
    const recordOf = async (cip: string) => (await shop.pe().listPagoEfectivoCips({ cip }))[0] as any
    const captured = (orderId: string) =>
      eventually(async () => {
        const o = await shop.orderOf(orderId)
        return o.payment_status === "captured" && Number(o.summary.paid_total) > 0 ? o : null
      }, { what: "order captured" })

    /** An order captured with its fresh CIP, whose replaced CIP PagoEfectivo then reports paid: an overpayment. */
    const overpaidOrder = async () => {
      const { order, session } = await checkout()
      await sandbox.expire(session.data.cip)
      const fresh = await renewedCip(order.id, session.data.cip)
      await sandbox.pay(fresh)
      await captured(order.id)
      settleLate(session.data.cip)
      expect((await shop.deliver(cipPaid(session.data.cip, session.id, `LATE-${session.data.cip}`))).status).toBe(200)
      await eventually(async () => ((await recordOf(session.data.cip))?.status === "overpaid" ? true : null), { what: "overpayment recorded" })
      return { order, session, old: session.data.cip as string, fresh }
    }

    /** PagoEfectivo expires the CIP and does not notify (the notification is late): only the shopper's press renews. */
    const expireQuietly = (cip: string) => sandbox.call("POST", `/__sandbox/cips/${cip}/expire`, { notify: false })

    describe("on cip.expired", () => {
      it("a fresh CIP for the same order and amount, emailed once; paying it captures the order once", async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)

        const placed = await shop.orderOf(order.id)
        expect(placed.status).toBe("pending")
        const sessions = await sessionsOf(order.id)
        expect(sessions).toHaveLength(1)
        expect(sessions[0]).toMatchObject({ status: "pending" })
        // one new CIP at PagoEfectivo, for the same amount, with the new session's id as its transactionCode
        const cips = await sandboxCips()
        expect(cips).toHaveLength(2)
        const created = cips.find((c: any) => String(c.cip) === fresh)!
        expect(created).toMatchObject({ amount: 199.9, currency: "PEN" })
        expect(created.transactionCode).not.toBe(session.id)
        expect(created.request).toMatchObject({ userEmail: "rosa@example.pe" })

        // the records: the checkout's CIP expired and replaced, the fresh one pending
        const records = await cipRecords(order.id)
        expect(records.map((r: any) => [r.cip, r.sequence, r.status, !!r.replaced_at, r.renewed_by])).toEqual([
          [session.data.cip, 0, "expired", true, null],
          [fresh, 1, "pending", false, "expiry"],
        ])

        // the email of the fresh CIP, once, even when the notification comes again
        const [email] = await eventually(async () => (renewedEmails(order.id).length ? renewedEmails(order.id) : null), { what: "renewed email" })
        expect(email).toMatchObject({
          to: "rosa@example.pe",
          channel: "email",
          template: "pagoefectivo-cip-renewed",
          data: { kind: "renewed", order_id: order.id, cip: fresh, amount: "199.90", currency: "PEN", amount_formatted: "S/ 199.90" },
        })
        const [stored] = await shop.pe().listPagoEfectivoNotifications({ event_type: "cip.expired" })
        await applyNotification(getContainer(), stored.id)
        expect(renewedEmails(order.id)).toHaveLength(1)
        expect(await sandboxCips()).toHaveLength(2)
        const rows = await getContainer().resolve(Modules.NOTIFICATION).listNotifications({ resource_id: order.id, template: "pagoefectivo-cip-renewed" })
        expect(rows.map((r: any) => r.idempotency_key)).toEqual([`pagoefectivo:cip-renewed:${fresh}`])

        // paying the fresh code captures the order once, for its total
        await sandbox.pay(fresh)
        const paid = await eventually(async () => {
          const o = await shop.orderOf(order.id)
          return o.payment_status === "captured" && Number(o.summary.paid_total) > 0 ? o : null
        }, { what: "order captured" })
        const payments = paid.payment_collections[0].payments
        expect(payments).toHaveLength(1)
        expect(payments[0].captures).toHaveLength(1)
        expect(String(payments[0].data.cip)).toBe(fresh)
        expect(Number(paid.summary.paid_total)).toBe(199.9)
        expect(paid.payment_collections[0].status).toBe("completed")
        expect((await cipRecords(order.id)).map((r: any) => r.status)).toEqual(["expired", "paid"])
        // the order's panel lists both CIPs
        const panel = await shop.call("GET", `/admin/pagoefectivo/orders/${order.id}`)
        expect(panel.status).toBe(200)
        expect(panel.body.cip).toMatchObject({ code: fresh })
        expect(panel.body.cips).toEqual([
          expect.objectContaining({ code: session.data.cip, sequence: 0, status: "expired", renewed: true, renewed_by: null, amount: "199.90", currency_code: "PEN" }),
          expect.objectContaining({ code: fresh, sequence: 1, status: "paid", renewed: false, renewed_by: "expiry", paid_at: expect.any(String) }),
        ])
        const status = await shopper("GET", `/store/pagoefectivo/orders/${order.id}`)
        expect(status.body).toEqual({ cip: expect.objectContaining({ code: fresh, status: "paid" }), cip_emails: true })

        // the Finance tab's counts: two issued, one expired, one renewed and paid
        const day = (offset: number) => new Date(Date.now() - 5 * 3600_000 + offset * 86_400_000).toISOString().slice(0, 10)
        const stats = await shop.call("GET", `/admin/pagoefectivo/cip-stats?from=${day(-1)}&to=${day(1)}`)
        expect(stats.status).toBe(200)
        expect(stats.body).toMatchObject({ issued: 2, paid: 1, expired: 1, renewed: 1, renewed_paid: 1, renewed_conversion: 1 })
        const before = await shop.call("GET", `/admin/pagoefectivo/cip-stats?from=${day(-3)}&to=${day(-2)}`)
        expect(before.body).toMatchObject({ issued: 0, paid: 0, expired: 0, renewed: 0, renewed_conversion: null })
        expect((await shop.call("GET", `/admin/pagoefectivo/cip-stats?from=${day(1)}&to=${day(-1)}`)).status).toBe(400)
        expect((await shop.call("GET", `/admin/pagoefectivo/cip-stats?from=yesterday&to=${day(1)}`)).status).toBe(400)
      })

      it("once the renewals are used up, the next expiry cancels the order as before", async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)
        await sandbox.expire(fresh)
        const canceled = await eventually(async () => {
          const o = await shop.orderOf(order.id)
          return o.status === "canceled" ? o : null
        }, { what: "order canceled" })
        expect(canceled.payment_collections[0].payments).toHaveLength(0)
        expect(await sandboxCips()).toHaveLength(2)
        expect((await cipRecords(order.id)).map((r: any) => r.status)).toEqual(["expired", "expired"])
        // and the shopper's press is refused, clearly
        const r = await renew(order.id)
        expect(r.status).toBe(409)
        expect(r.body.message).toMatch(/cannot be renewed: the order is canceled/)
      })
    })

    describe("POST /store/pagoefectivo/orders/:id/renew-cip", () => {
      it("renews a guest's expired CIP by the order id; two presses at once make one CIP; the status shows it renewable before", async () => {
        const { order, session } = await checkout()
        // while the CIP is payable, a press issues nothing and answers that CIP
        const early = await renew(order.id)
        expect(early.status).toBe(200)
        expect(early.body).toMatchObject({ renewed: false, cip: { code: session.data.cip, status: "pending" } })
        expect(await sandboxCips()).toHaveLength(1)

        await expireQuietly(session.data.cip)
        // the shopper's clock passed the expiry: the stored expiry says so (PagoEfectivo's notification is late)
        const payment = getContainer().resolve(Modules.PAYMENT)
        const live = await payment.retrievePaymentSession(session.id)
        await payment.updatePaymentSession({ id: live.id, amount: live.amount, currency_code: live.currency_code, data: { ...live.data, dateExpiry: new Date(Date.now() - 60_000).toISOString() } })
        const before = await shopper("GET", `/store/pagoefectivo/orders/${order.id}`)
        expect(before.body).toMatchObject({ cip: { code: session.data.cip }, renewable: true })

        const presses = await Promise.all([renew(order.id), renew(order.id), renew(order.id)])
        expect(presses.map((p) => p.status)).toEqual([200, 200, 200])
        expect(presses.filter((p) => p.body.renewed)).toHaveLength(1)
        const codes = new Set(presses.map((p) => p.body.cip.code))
        expect(codes.size).toBe(1)
        const [fresh] = [...codes]
        expect(fresh).not.toBe(session.data.cip)
        expect(presses[0].body).toMatchObject({ cip: { code: fresh, status: "pending", amount: "199.90", currency: "PEN" }, renewals_left: 0 })
        expect(await sandboxCips()).toHaveLength(2)
        expect(await sessionsOf(order.id)).toHaveLength(1)
        expect((await cipRecords(order.id)).map((r: any) => [r.sequence, r.status, r.renewed_by])).toEqual([
          [0, "expired", null],
          [1, "pending", "shopper"],
        ])
        expect(await eventually(async () => renewedEmails(order.id).length === 1, { what: "renewed email" })).toBe(true)

        // the status route now shows the fresh CIP, and nothing about renewal
        const after = await shopper("GET", `/store/pagoefectivo/orders/${order.id}`)
        expect(after.body).toEqual({ cip: expect.objectContaining({ code: fresh, status: "pending" }), cip_emails: true })

        // the late cip.expired of the replaced CIP changes nothing
        const lateExpiry = JSON.stringify({ eventType: "cip.expired", operationNumber: "EXP-1", data: { cip: session.data.cip, currency: "PEN", amount: 199.9, transactionCode: session.id } })
        expect((await shop.deliver(lateExpiry)).status).toBe(200)
        await eventually(async () => {
          const [n] = await shop.pe().listPagoEfectivoNotifications({ event_type: "cip.expired" })
          return n?.status === "ignored" ? n : null
        }, { what: "the late cip.expired ignored" })
        expect((await shop.orderOf(order.id)).status).toBe("pending")

        // renewals used up: the fresh CIP expired too, a press is refused
        await expireQuietly(fresh)
        const spent = await renew(order.id)
        expect(spent.status).toBe(409)
        expect(spent.body.message).toMatch(/all the new payment codes/)
        expect(await sandboxCips()).toHaveLength(2)
      })

      it("a registered customer's order renews for that customer alone; the same 404 for everyone else; 4xx for bad input", async () => {
        const post = async (p: string, body: unknown, token?: string) => {
          const r = await shopper("POST", p, body, token ? { authorization: `Bearer ${token}` } : ({} as Record<string, string>))
          if (r.status >= 300) throw new Error(`POST ${p} → ${r.status} ${JSON.stringify(r.body)}`)
          return r.body
        }
        const register = async (email: string) => {
          const { token: registration } = await post("/auth/customer/emailpass/register", { email, password: "secreto-123" })
          await post("/store/customers", { email, first_name: "Ana", last_name: "Torres" }, registration)
          return (await post("/auth/customer/emailpass", { email, password: "secreto-123" })).token as string
        }
        const owner = await register("ana@example.pe")
        const other = await register("otro@example.pe")
        const { cartId, paymentCollectionId } = await prepareCart(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "ana@example.pe" })
        await post(`/store/carts/${cartId}/customer`, {}, owner)
        const session = await choosePagoEfectivo(shop.store, paymentCollectionId)
        const order = await completeCart(shop.store, cartId)
        await expireQuietly(session.data.cip)

        for (const headers of [{ authorization: `Bearer ${other}` }, {}, { authorization: "Bearer not-a-token" }] as Record<string, string>[]) {
          const r = await renew(order.id, headers)
          expect(r.status).toBe(404)
          expect(JSON.stringify(r.body)).not.toContain(session.data.cip)
        }
        const unknown = await renew("order_01UNKNOWN")
        expect(unknown.status).toBe(404)
        expect(unknown.body.message).toBe((await renew(order.id)).body.message)
        const system = await shop.systemPaidOrder()
        expect((await renew(system.orderId)).status).toBe(404)
        expect((await renew(cartId)).status).toBe(404)
        expect(await sandboxCips()).toHaveLength(1)

        // bad input: clear 400s, nothing issued
        const badId = await renew(encodeURIComponent("order' OR 1=1"))
        expect(badId.status).toBe(400)
        expect(badId.body.message).toMatch(/path\.id/)
        const badBody = await renew(order.id, { authorization: `Bearer ${owner}` }, { cip: "123" })
        expect(badBody.status).toBe(400)
        expect(badBody.body.message).toMatch(/body/)
        const notJson = await fetch(`${shop.baseUrl}/store/pagoefectivo/orders/${order.id}/renew-cip`, {
          method: "POST",
          headers: { "x-publishable-api-key": shop.store.publishableKey, "content-type": "application/json", authorization: `Bearer ${owner}` },
          body: "{not json",
        })
        expect(notJson.status).toBe(400)
        expect(await sandboxCips()).toHaveLength(1)

        const mine = await renew(order.id, { authorization: `Bearer ${owner}` })
        expect(mine.status).toBe(200)
        expect(mine.body).toMatchObject({ renewed: true, cip: { status: "pending" } })
        expect(await sandboxCips()).toHaveLength(2)
      })
    })

    describe("a late payment of a replaced CIP", () => {
      it("is never captured on the order: recorded as an overpayment; the fresh CIP's payment is the one captured", async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)
        await sandbox.pay(fresh)
        await eventually(async () => ((await shop.orderOf(order.id)).payment_status === "captured" ? true : null), { what: "order captured" })

        // PagoEfectivo reports a payment of the old code after all (its records say paid)
        const old = sandbox.live.cips.get(Number(session.data.cip))!
        old.status = "paid"
        old.datePayment = new Date()
        const late = JSON.stringify({ eventType: "cip.paid", operationNumber: "LATE-1", data: { cip: session.data.cip, currency: "PEN", amount: 199.9, transactionCode: session.id } })
        expect((await shop.deliver(late)).status).toBe(200)
        // the CIP record turns overpaid inside the notification's workflow, before the notification is marked
        const n = await eventually(async () => {
          const [x] = await shop.pe().listPagoEfectivoNotifications({ operation_number: "LATE-1" })
          return x && x.status !== "received" ? x : null
        }, { what: "late notification applied" })
        expect(n).toMatchObject({ status: "processed" })
        const [record] = await shop.pe().listPagoEfectivoCips({ cip: session.data.cip })
        expect(record).toMatchObject({ status: "overpaid", order_id: order.id, amount: "199.90", currency_code: "PEN", refund_status: null })

        // applied again (a redelivery, the reconciliation): nothing more
        await applyNotification(getContainer(), n.id)
        expect((await shop.pe().retrievePagoEfectivoNotification(n.id)).status).toBe("ignored")
        expect(await shop.pe().listPagoEfectivoCips({ cip: session.data.cip })).toEqual([expect.objectContaining({ status: "overpaid", paid_at: record.paid_at })])

        const o = await shop.orderOf(order.id)
        const payments = o.payment_collections[0].payments
        expect(payments).toHaveLength(1)
        expect(payments[0].captures).toHaveLength(1)
        expect(String(payments[0].data.cip)).toBe(fresh)
        expect(Number(o.summary.paid_total)).toBe(199.9)

        // in the needs-attention queue, with its one action
        const queue = await shop.call("GET", "/admin/pagoefectivo/attention")
        expect(queue.status).toBe(200)
        const row = queue.body.items.find((i: any) => i.kind === "overpayment")
        expect(row).toMatchObject({ key: `overpayment:${session.data.cip}`, order_id: order.id, cip: session.data.cip, amount: "199.90", currency_code: "PEN", status: "overpaid", actions: ["refund_overpayment"] })

        // refunded with one press; pressed again, also at once: one refund at PagoEfectivo
        const presses = await Promise.all([1, 2, 3].map(() => shop.call("POST", `/admin/pagoefectivo/overpayments/${session.data.cip}/refund`, {})))
        expect(presses.map((p) => p.status)).toEqual([200, 200, 200])
        expect(presses.filter((p) => !p.body.refund.already)).toHaveLength(1)
        expect(presses[0].body.refund).toMatchObject({ status: "pending", refund_id: `peover_${session.data.cip}` })
        const refunds = (await sandbox.state()).refunds
        expect(refunds).toHaveLength(1)
        expect(refunds[0]).toMatchObject({ cip: session.data.cip, amount: 199.9, currency: "PEN", transactionCode: session.id, merchantOrderId: order.id })
        expect((await shop.call("GET", "/admin/pagoefectivo/attention")).body.items.find((i: any) => i.kind === "overpayment")).toMatchObject({ status: "pending", actions: [] })

        // PagoEfectivo completes it: the queue is clear, and Medusa's books never saw it
        await sandbox.call("POST", `/__sandbox/refunds/peover_${session.data.cip}/complete`, { wait: true })
        const refunded = await eventually(async () => {
          const [r] = await shop.pe().listPagoEfectivoCips({ cip: session.data.cip })
          return r?.refund_status === "completed" ? r : null
        }, { what: "overpayment refund completed" })
        expect(refunded.refunded_at).toBeTruthy()
        expect((await shop.call("GET", "/admin/pagoefectivo/attention")).body.items.filter((i: any) => i.kind === "overpayment")).toEqual([])
        const again = await shop.call("POST", `/admin/pagoefectivo/overpayments/${session.data.cip}/refund`, {})
        expect(again).toMatchObject({ status: 200, body: { refund: { status: "completed", already: true } } })
        expect((await sandbox.state()).refunds).toHaveLength(1)
        const after = await shop.orderOf(order.id)
        expect(after.payment_status).toBe("captured")
        expect(after.payment_collections[0].payments[0].refunds ?? []).toHaveLength(0)

        // bad input: 400; a CIP that is no overpayment: 404
        expect((await shop.call("POST", `/admin/pagoefectivo/overpayments/abc/refund`, {})).status).toBe(400)
        expect((await shop.call("POST", `/admin/pagoefectivo/overpayments/${session.data.cip}/refund`, { amount: 5 })).status).toBe(400)
        expect((await shop.call("POST", `/admin/pagoefectivo/overpayments/${fresh}/refund`, {})).status).toBe(404)
      })

      it("PagoEfectivo's final word that arrives while the press is still writing the answer (pending) stands (forced interleaving)", async () => {
        const { old } = await overpaidOrder()
        const answered = holdAtFailpoint(FAILPOINTS.overpaymentRefundAnswered, (c) => c.cip === old)
        let press: Promise<any> | undefined
        try {
          press = shop.call("POST", `/admin/pagoefectivo/overpayments/${old}/refund`, {})
          expect(await answered.reached).toMatchObject({ refund_id: `peover_${old}`, status: "pending" })
          // the answer ("pending") is not written yet; PagoEfectivo completes the refund and notifies
          await sandbox.call("POST", `/__sandbox/refunds/peover_${old}/complete`, { wait: true })
          await eventually(async () => (await shop.pe().listPagoEfectivoNotifications({ event_type: "refund.completed" })).length > 0, { what: "refund.completed stored" })
          // its settlement waits for the press: it is not applied while the press holds the refund
          const settled = await eventually(async () => ((await recordOf(old))?.refund_status === "completed" ? "applied" : null), { what: "settled", timeoutMs: 4_000 }).catch(() => "waiting")
          expect(settled).toBe("waiting")
        } finally {
          answered.release()
        }
        expect((await press!).body.refund).toMatchObject({ status: "pending", refund_id: `peover_${old}`, already: false })
        const record = await eventually(async () => {
          const r = await recordOf(old)
          return r?.refund_status === "completed" ? r : null
        }, { what: "the final word on the record" })
        expect(record.refunded_at).toBeTruthy()
        const [n] = await shop.pe().listPagoEfectivoNotifications({ event_type: "refund.completed" })
        expect(n.status).toBe("processed")
        expect((await sandbox.state()).refunds).toHaveLength(1)
      })

      it("a refund PagoEfectivo rejected is asked for again, only after that final rejection, under a new refundId; never two live refunds", async () => {
        const { old } = await overpaidOrder()
        const press = (body: Record<string, unknown> = {}) => shop.call("POST", `/admin/pagoefectivo/overpayments/${old}/refund`, body)
        const queueRow = async () => (await shop.call("GET", "/admin/pagoefectivo/attention")).body.items.find((i: any) => i.kind === "overpayment")
        const rejectAtPagoEfectivo = async (refundId: string) => {
          await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { wait: true })
          await eventually(async () => ((await recordOf(old))?.refund_status === "rejected" ? true : null), { what: `${refundId} rejected` })
        }

        // no refund to retry yet
        const none = await press({ retry: true })
        expect(none.status).toBe(409)
        expect(none.body.message).toMatch(/only after PagoEfectivo rejects the previous one/)
        expect((await sandbox.state()).refunds).toHaveLength(0)

        expect((await press()).body.refund).toMatchObject({ status: "pending", refund_id: `peover_${old}` })
        // pending at PagoEfectivo: a retry is refused, nothing is asked for
        const early = await press({ retry: true })
        expect(early.status).toBe(409)
        expect(early.body.message).toMatch(new RegExp(`refund peover_${old} is still pending at PagoEfectivo`))
        expect((await sandbox.state()).refunds).toHaveLength(1)

        // rejected (final): the queue offers the retry; a plain press makes no new refund
        await rejectAtPagoEfectivo(`peover_${old}`)
        expect(await queueRow()).toMatchObject({ status: "rejected", actions: ["retry_overpayment_refund"] })
        const plain = await press()
        expect(plain.status).toBe(409)
        expect(plain.body.message).toMatch(/rejected refund .* ask for a new refund with retry/)
        expect((await sandbox.state()).refunds).toHaveLength(1)

        // retried three times at once: one new refund, under the next refundId
        const retries = await Promise.all([1, 2, 3].map(() => press({ retry: true })))
        expect(retries.map((r) => r.status).sort()).toEqual([200, 409, 409])
        expect(retries.find((r) => r.status === 200)!.body.refund).toMatchObject({ status: "pending", refund_id: `peover_${old}_1`, already: false })
        expect((await sandbox.state()).refunds.map((r: any) => [r.refundId, r.status, r.amount])).toEqual([
          [`peover_${old}`, "rejected", 199.9],
          [`peover_${old}_1`, "pending", 199.9],
        ])
        expect(await recordOf(old)).toMatchObject({ refund_id: `peover_${old}_1`, refund_attempt: 1, refund_status: "pending", refund_error: null })
        // the first attempt's rejection, delivered again, changes nothing
        const [firstRejection] = await shop.pe().listPagoEfectivoNotifications({ event_type: "refund.rejected" })
        await applyNotification(getContainer(), firstRejection.id)
        expect(await recordOf(old)).toMatchObject({ refund_id: `peover_${old}_1`, refund_status: "pending" })

        // rejected again, and the retry's call goes unanswered: unconfirmed, so a retry is refused
        // and a plain press asks again under the same refundId
        await rejectAtPagoEfectivo(`peover_${old}_1`)
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 503, times: 20 })
        expect((await press({ retry: true })).status).toBe(502)
        await sandbox.clearFaults()
        expect(await recordOf(old)).toMatchObject({ refund_id: `peover_${old}_2`, refund_attempt: 2, refund_status: "requested" })
        const unconfirmed = await press({ retry: true })
        expect(unconfirmed.status).toBe(409)
        expect(unconfirmed.body.message).toMatch(/is not confirmed yet/)
        expect((await press()).body.refund).toMatchObject({ status: "pending", refund_id: `peover_${old}_2` })

        // completed: the queue is clear, a retry is refused, and PagoEfectivo refunded it once
        await sandbox.call("POST", `/__sandbox/refunds/peover_${old}_2/complete`, { wait: true })
        await eventually(async () => ((await recordOf(old))?.refund_status === "completed" ? true : null), { what: "refund completed" })
        expect(await queueRow()).toBeUndefined()
        expect((await press({ retry: true })).status).toBe(409)
        const refunds = (await sandbox.state()).refunds
        expect(refunds.map((r: any) => [r.refundId, r.status])).toEqual([
          [`peover_${old}`, "rejected"],
          [`peover_${old}_1`, "rejected"],
          [`peover_${old}_2`, "completed"],
        ])
        expect((await press({ retry: "yes" })).status).toBe(400)
      })
    })
    describe("the first CIP to be paid is the one captured", () => {
      /** The order's one payment: captured once, for its total, with this CIP. */
      const expectCapturedOnceWith = async (orderId: string, cip: string) => {
        const o = await captured(orderId)
        const payments = o.payment_collections[0].payments
        expect(payments).toHaveLength(1)
        expect(payments[0].captures).toHaveLength(1)
        expect(String(payments[0].data.cip)).toBe(cip)
        expect(Number(o.summary.paid_total)).toBe(199.9)
        const { data } = await getContainer().resolve("query").graph({ entity: "order", fields: ["payment_collections.amount", "payment_collections.captured_amount"], filters: { id: orderId } })
        expect(data[0].payment_collections.map((c: any) => [Number(c.amount), Number(c.captured_amount)])).toEqual([[199.9, 199.9]])
        expect(o.payment_collections[0].status).toBe("completed")
      }

      it("a late payment of the replaced CIP while the order is unpaid captures the order; the renewed CIP is deleted, and paid after all it is the overpayment", async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)
        const freshSession = (await recordOf(fresh)).session_id

        settleLate(session.data.cip)
        expect((await shop.deliver(cipPaid(session.data.cip, session.id, "LATE-OLD"))).status).toBe(200)
        await expectCapturedOnceWith(order.id, session.data.cip)
        // the renewed CIP can no longer be paid
        expect(sandbox.live.cips.get(Number(fresh))!.status).toBe("deleted")
        expect((await cipRecords(order.id)).map((r: any) => [r.cip, r.status])).toEqual([
          [session.data.cip, "paid"],
          [fresh, "deleted"],
        ])
        const status = await shopper("GET", `/store/pagoefectivo/orders/${order.id}`)
        expect(status.body.cip).toMatchObject({ code: session.data.cip, status: "paid" })
        // applied again: nothing more
        const [n] = await shop.pe().listPagoEfectivoNotifications({ operation_number: "LATE-OLD" })
        await applyNotification(getContainer(), n.id)
        expect((await shop.pe().retrievePagoEfectivoNotification(n.id)).status).toBe("ignored")
        await expectCapturedOnceWith(order.id, session.data.cip)

        // PagoEfectivo reports the renewed CIP paid after all: an overpayment, never captured
        settleLate(fresh)
        expect((await shop.deliver(cipPaid(fresh, freshSession, "LATE-NEW"))).status).toBe(200)
        await eventually(async () => ((await recordOf(fresh))?.status === "overpaid" ? true : null), { what: "the renewed CIP overpaid" })
        await expectCapturedOnceWith(order.id, session.data.cip)
        const row = (await shop.call("GET", "/admin/pagoefectivo/attention")).body.items.find((i: any) => i.kind === "overpayment")
        expect(row).toMatchObject({ cip: fresh, order_id: order.id, amount: "199.90", actions: ["refund_overpayment"] })
        // refunded under its own transactionCode
        expect((await shop.call("POST", `/admin/pagoefectivo/overpayments/${fresh}/refund`, {})).body.refund).toMatchObject({ status: "pending", refund_id: `peover_${fresh}` })
        expect((await sandbox.state()).refunds).toEqual([expect.objectContaining({ cip: fresh, transactionCode: freshSession, amount: 199.9 })])
      })

      it("both CIPs paid and notified at once: the replaced CIP's payment holds the order, the renewed one waits for it and is the overpayment (forced interleaving)", async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)

        // the replaced CIP's payment is applied first; PagoEfectivo does not confirm the renewed
        // CIP's deletion, and the payment stops before the capture, holding the order
        await sandbox.fault({ path: `/v1/cips/${fresh}`, method: "DELETE", status: 503, times: 20 })
        const old = holdAtFailpoint(FAILPOINTS.latePaymentCapturing, (c) => c.cip === session.data.cip)
        const renewedResolved = holdAtFailpoint(FAILPOINTS.notificationResolved, (c) => c.cip === fresh)
        try {
          settleLate(session.data.cip)
          expect((await shop.deliver(cipPaid(session.data.cip, session.id, "BOTH-OLD"))).status).toBe(200)
          await old.reached
          // meanwhile the shopper pays the renewed CIP, and PagoEfectivo notifies it
          await sandbox.pay(fresh)
          await eventually(async () => (await shop.pe().listPagoEfectivoNotifications({ cip: fresh, event_type: "cip.paid" })).length > 0, { what: "the renewed CIP's cip.paid stored" })
          // its notification waits for the order: it is not even resolved while the first holds it
          const first = await Promise.race([renewedResolved.reached.then(() => "resolved"), new Promise((r) => setTimeout(() => r("waiting"), 5_000))])
          expect(first).toBe("waiting")
        } finally {
          old.release()
        }
        await eventually(async () => ((await recordOf(session.data.cip))?.status === "paid" ? true : null), { what: "the replaced CIP captured" })
        renewedResolved.release()
        await sandbox.clearFaults()
        await eventually(async () => ((await recordOf(fresh))?.status === "overpaid" ? true : null), { what: "the renewed CIP overpaid" })
        await expectCapturedOnceWith(order.id, session.data.cip)
        const [n] = await shop.pe().listPagoEfectivoNotifications({ cip: fresh, event_type: "cip.paid" })
        expect(n.status).toBe("processed")
      })

      it("the renewed CIP paid first captures the order; the replaced one, paid late, is the overpayment", async () => {
        const { order, old, fresh } = await overpaidOrder()
        await expectCapturedOnceWith(order.id, fresh)
        expect((await cipRecords(order.id)).map((r: any) => [r.cip, r.status])).toEqual([
          [old, "overpaid"],
          [fresh, "paid"],
        ])
        expect(sandbox.live.cips.get(Number(fresh))!.status).toBe("paid")
      })
    })

    describe("the reconciliation", () => {
      const reconcile = () => reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
      const lostLatePayment = async () => {
        const { order, session } = await checkout()
        await sandbox.expire(session.data.cip)
        const fresh = await renewedCip(order.id, session.data.cip)
        // the replaced CIP is paid late and its notification is lost
        settleLate(session.data.cip)
        return { order, session, old: session.data.cip as string, fresh }
      }

      it(`finds a late payment of a replaced CIP whose notification was lost (for ${REPLACED_CIP_WINDOW_DAYS} days after its replacement): the unpaid order is captured with it, once, also when the notification arrives later`, async () => {
        const { order, session, old, fresh } = await lostLatePayment()
        // replaced longer ago than the window: not asked about
        await shop.pe().updatePagoEfectivoCips({ id: (await recordOf(old)).id, replaced_at: new Date(Date.now() - (REPLACED_CIP_WINDOW_DAYS + 1) * 86_400_000) })
        await reconcile()
        expect((await recordOf(old)).status).toBe("expired")
        expect((await shop.orderOf(order.id)).payment_status).not.toBe("captured")

        await shop.pe().updatePagoEfectivoCips({ id: (await recordOf(old)).id, replaced_at: new Date(Date.now() - (REPLACED_CIP_WINDOW_DAYS - 1) * 86_400_000) })
        const summary = await reconcile()
        expect(summary.cips.paid).toBe(1)
        expect((await recordOf(old)).status).toBe("paid")
        expect((await recordOf(fresh)).status).toBe("deleted")
        const o = await captured(order.id)
        expect(o.payment_collections[0].payments).toHaveLength(1)
        expect(String(o.payment_collections[0].payments[0].data.cip)).toBe(old)
        expect(Number(o.summary.paid_total)).toBe(199.9)

        // the lost notification arrives after all, and the next run: nothing more
        expect((await shop.deliver(cipPaid(old, session.id, "LATE-AFTER"))).status).toBe(200)
        expect((await reconcile()).cips.paid).toBe(0)
        const notifications = await shop.pe().listPagoEfectivoNotifications({ cip: old, event_type: "cip.paid" })
        expect(notifications).toHaveLength(1)
        const again = await shop.orderOf(order.id)
        expect(again.payment_collections[0].payments).toHaveLength(1)
        expect(again.payment_collections[0].payments[0].captures).toHaveLength(1)
      })

      it("finds a late payment of a replaced CIP of an order already paid: recorded as an overpayment, once", async () => {
        const { order, old, fresh } = await lostLatePayment()
        await sandbox.pay(fresh)
        await captured(order.id)
        expect((await reconcile()).cips.paid).toBe(1)
        const record = await recordOf(old)
        expect(record).toMatchObject({ status: "overpaid", refund_status: null })
        expect((await reconcile()).cips.paid).toBe(0)
        expect(await recordOf(old)).toMatchObject({ status: "overpaid", paid_at: record.paid_at })
        const o = await shop.orderOf(order.id)
        expect(o.payment_collections[0].payments).toHaveLength(1)
        expect(String(o.payment_collections[0].payments[0].data.cip)).toBe(fresh)
        expect((await shop.call("GET", "/admin/pagoefectivo/attention")).body.items.find((i: any) => i.kind === "overpayment")).toMatchObject({ cip: old })
      })
    })
  },
})
