import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { Modules } from "@medusajs/framework/utils"
import { createApiKeysWorkflow, createSalesChannelsWorkflow, linkSalesChannelsToApiKeyWorkflow } from "@medusajs/medusa/core-flows"
import orderPlacedHandler from "../../src/subscribers/pagoefectivo-order-placed"
import { emailCip } from "../../src/lib/cip-emails/email-cip"
import { sendCipReminders } from "../../src/lib/cip-emails/reminders"
import { REPO_ROOT } from "../../scripts/lib/medusa-process"
import { checkoutWithCip, choosePagoEfectivo, completeCart, prepareCart } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"
import { clearSentEmails, sentEmails } from "../helpers/test-email-provider"

/**
 * The shopper's side: the CIP status route the storefront kit polls (GET /store/pagoefectivo/…),
 * the CIP by email (order.placed and the reminder job, through Medusa's Notification module with
 * a recording email provider), and the shopper's phone on the CIP.
 */
const sandbox = useSandbox({
  PAGOEFECTIVO_DEV_EMAIL: path.join(REPO_ROOT, "integration-tests", "helpers", "test-email-provider"),
  PAGOEFECTIVO_CIP_REMINDER_HOURS: "6",
})

const CIP_KEYS = ["amount", "code", "currency", "expires_at", "status", "voucher_url"]
/** What must never be in a status answer: the shopper's email, phone, names, address, internal ids. */
const PERSONAL = ["rosa@example.pe", "ana@example.pe", "987654321", "Rosa", "Quispe", "Unión", "payses_", "cus_", "pay_"]

medusaIntegrationTestRunner({
  testSuite: ({ getContainer, api }) => {
    const shop = useStore(api, getContainer, sandbox)

    beforeEach(() => clearSentEmails())

    const status = async (p: string, headers: Record<string, string> = {}, key = shop.store.publishableKey) => {
      const res = await fetch(shop.baseUrl + p, { headers: { "x-publishable-api-key": key, ...headers } })
      const text = await res.text()
      return { status: res.status, text, body: text ? JSON.parse(text) : null, cacheControl: res.headers.get("cache-control") }
    }

    const post = async (p: string, body: unknown, token?: string) => {
      const res = await fetch(shop.baseUrl + p, {
        method: "POST",
        headers: { "content-type": "application/json", "x-publishable-api-key": shop.store.publishableKey, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify(body),
      })
      const json: any = await res.json().catch(() => null)
      if (!res.ok) throw new Error(`POST ${p} → ${res.status} ${JSON.stringify(json)}`)
      return json
    }

    /** A registered customer (has_account), logged in: answers their bearer token. */
    const customer = async (email: string) => {
      const { token: registration } = await post("/auth/customer/emailpass/register", { email, password: "secreto-123" })
      await post("/store/customers", { email, first_name: "Ana", last_name: "Torres" }, registration)
      const { token } = await post("/auth/customer/emailpass", { email, password: "secreto-123" })
      return token as string
    }

    /** A CIP order placed by a logged-in customer. */
    const customerOrder = async (token: string) => {
      const { cartId, paymentCollectionId } = await prepareCart(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "ana@example.pe" })
      await post(`/store/carts/${cartId}/customer`, {}, token)
      const session = await choosePagoEfectivo(shop.store, paymentCollectionId)
      const order = await completeCart(shop.store, cartId)
      return { cartId, order, session }
    }

    describe("GET /store/pagoefectivo/carts/:id and /orders/:id", () => {
      it("answers a guest's CIP by cart and by order id, with the CIP's fields alone, and turns paid through the cip.paid notification", async () => {
        const { cartId, order, session } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })

        const byCart = await status(`/store/pagoefectivo/carts/${cartId}`)
        expect(byCart.status).toBe(200)
        expect(byCart.cacheControl).toBe("no-store")
        expect(Object.keys(byCart.body)).toEqual(["cip", "cip_emails"])
        // this store has an email provider and cipEmails on: the voucher may promise the email
        expect(byCart.body.cip_emails).toBe(true)
        expect(Object.keys(byCart.body.cip).sort()).toEqual(CIP_KEYS)
        expect(byCart.body.cip).toEqual({
          code: session.data.cip,
          amount: "199.90",
          currency: "PEN",
          expires_at: session.data.dateExpiry,
          voucher_url: session.data.cipUrl,
          status: "pending",
        })
        for (const word of PERSONAL) expect(byCart.text).not.toContain(word)

        const byOrder = await status(`/store/pagoefectivo/orders/${order.id}`)
        expect(byOrder.status).toBe(200)
        expect(byOrder.body).toEqual(byCart.body)
        for (const word of PERSONAL) expect(byOrder.text).not.toContain(word)

        // polling costs PagoEfectivo nothing: no call per poll
        const before = (await sandbox.state()).counters.requests
        for (let i = 0; i < 5; i++) await status(`/store/pagoefectivo/orders/${order.id}`)
        expect((await sandbox.state()).counters.requests).toEqual(before)

        await sandbox.pay(session.data.cip)
        const paid = await eventually(async () => {
          const r = await status(`/store/pagoefectivo/orders/${order.id}`)
          return r.body?.cip?.status === "paid" ? r : null
        }, { what: "status paid" })
        expect(paid.body.cip.code).toBe(session.data.cip)
        for (const word of PERSONAL) expect(paid.text).not.toContain(word)
        expect((await status(`/store/pagoefectivo/carts/${cartId}`)).body.cip.status).toBe("paid")
      })

      it("a registered customer's order answers to that customer alone: another customer and nobody get 404", async () => {
        const owner = await customer("ana@example.pe")
        const other = await customer("otro@example.pe")
        const { cartId, order, session } = await customerOrder(owner)

        const mine = await status(`/store/pagoefectivo/orders/${order.id}`, { authorization: `Bearer ${owner}` })
        expect(mine.status).toBe(200)
        expect(mine.body.cip.code).toBe(session.data.cip)

        const strangers: Record<string, string>[] = [{ authorization: `Bearer ${other}` }, {}, { authorization: "Bearer not-a-token" }]
        for (const headers of strangers) {
          for (const p of [`/store/pagoefectivo/orders/${order.id}`, `/store/pagoefectivo/carts/${cartId}`]) {
            const r = await status(p, headers)
            expect({ p, status: r.status }).toEqual({ p, status: 404 })
            expect(r.text).not.toContain(session.data.cip)
          }
        }
        // and the other customer's own order is theirs
        const { order: theirs } = await customerOrder(other)
        expect((await status(`/store/pagoefectivo/orders/${theirs.id}`, { authorization: `Bearer ${other}` })).status).toBe(200)
        expect((await status(`/store/pagoefectivo/orders/${theirs.id}`, { authorization: `Bearer ${owner}` })).status).toBe(404)
      })

      it("404 for an unknown id, an order paid another way, another sales channel's key; 400 for a malformed id or a query", async () => {
        const { cartId, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        expect((await status(`/store/pagoefectivo/orders/order_01UNKNOWN`)).status).toBe(404)
        expect((await status(`/store/pagoefectivo/carts/cart_01UNKNOWN`)).status).toBe(404)
        // a cart id is not an order id
        expect((await status(`/store/pagoefectivo/orders/${cartId}`)).status).toBe(404)

        const system = await shop.systemPaidOrder()
        const r = await status(`/store/pagoefectivo/orders/${system.orderId}`)
        expect(r.status).toBe(404)
        expect(r.text).not.toContain("ana@example.pe")

        const bad = await status(`/store/pagoefectivo/orders/${encodeURIComponent("order' OR 1=1")}`)
        expect(bad.status).toBe(400)
        expect(bad.body.message).toMatch(/path\.id/)
        expect((await status(`/store/pagoefectivo/orders/${order.id}?fields=*customer`)).status).toBe(400)

        // no publishable key: Medusa's own refusal; another sales channel's key: not found
        const none = await fetch(`${shop.baseUrl}/store/pagoefectivo/orders/${order.id}`)
        expect(none.status).toBeGreaterThanOrEqual(400)
        expect(none.status).toBeLessThan(500)
        const container = getContainer()
        const { result: channels } = await createSalesChannelsWorkflow(container).run({ input: { salesChannelsData: [{ name: "Otra tienda" }] } })
        const { result: keys } = await createApiKeysWorkflow(container).run({
          input: { api_keys: [{ title: "Otra tienda", type: "publishable", created_by: "" }] },
        })
        await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: keys[0].id, add: [channels[0].id] } })
        expect((await status(`/store/pagoefectivo/orders/${order.id}`, {}, keys[0].token)).status).toBe(404)
        expect((await status(`/store/pagoefectivo/carts/${cartId}`, {}, keys[0].token)).status).toBe(404)
      })
    })

    describe("the shopper's phone on the CIP", () => {
      it("sends the address's phone as userPhone and userCodeCountry, so PagoEfectivo's own SMS reaches the shopper", async () => {
        await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        const { cips } = await sandbox.state()
        expect(cips[0].request).toMatchObject({ userPhone: "987654321", userCodeCountry: "+51", userEmail: "rosa@example.pe" })
      })
    })

    describe("the CIP by email", () => {
      const emailsFor = (orderId: string, template?: string) =>
        sentEmails().filter((e) => (e.data as any)?.order_id === orderId && (!template || e.template === template))
      const notificationRows = (orderId: string) => getContainer().resolve(Modules.NOTIFICATION).listNotifications({ resource_id: orderId })

      it("order.placed sends the instructions once, with the order's CIP, whatever the redeliveries and workers", async () => {
        const { order, session } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        const [email] = await eventually(async () => (emailsFor(order.id).length ? emailsFor(order.id) : null), { what: "instructions email" })
        expect(email).toMatchObject({
          to: "rosa@example.pe",
          channel: "email",
          template: "pagoefectivo-cip-instructions",
          data: {
            kind: "instructions",
            order_id: order.id,
            order_display_id: order.display_id,
            cip: session.data.cip,
            amount: "199.90",
            currency: "PEN",
            amount_formatted: "S/ 199.90",
            expires_at: session.data.dateExpiry,
            expires_at_lima: expect.stringMatching(/^\d{1,2} [a-z]+\.? \d{4}, \d{2}:\d{2}$/),
            voucher_url: session.data.cipUrl,
          },
        })

        // the event again, twice at once (two workers), and once more: nothing more goes out
        const container = getContainer()
        const event = { name: "order.placed", data: { id: order.id } }
        await Promise.all([orderPlacedHandler({ event, container } as any), orderPlacedHandler({ event, container } as any)])
        const again = await emailCip(container, order.id, "instructions")
        expect(again).toMatchObject({ sent: false, duplicate: true })
        expect(emailsFor(order.id)).toHaveLength(1)
        const rows = await notificationRows(order.id)
        expect(rows).toHaveLength(1)
        expect(rows[0]).toMatchObject({ idempotency_key: `pagoefectivo:cip-instructions:${session.data.cip}`, status: "success" })
      })

      it("two workers claiming the same email at the same moment send it once", async () => {
        const { order, session } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        await eventually(async () => emailsFor(order.id).length > 0, { what: "instructions email" })
        // an email not claimed yet, raced from scratch by four workers: the reminder at its due time
        const due = Date.parse(session.data.dateExpiry) - 4 * 3600_000
        const results = await Promise.all([1, 2, 3, 4].map(() => emailCip(getContainer(), order.id, "reminder", due)))
        expect(results.filter((r) => r.sent)).toHaveLength(1)
        expect(results.filter((r) => !r.sent).every((r) => r.duplicate)).toBe(true)
        expect(emailsFor(order.id, "pagoefectivo-cip-reminder")).toHaveLength(1)
      })

      it("nothing goes out for an order paid another way", async () => {
        const system = await shop.systemPaidOrder()
        const result = await emailCip(getContainer(), system.orderId, "instructions")
        expect(result).toMatchObject({ sent: false, reason: "paid another way" })
        expect(emailsFor(system.orderId)).toHaveLength(0)
        expect(await notificationRows(system.orderId)).toHaveLength(0)
      })

      it("the reminder job: once per CIP within cipReminderHours of the expiry, never for paid or other orders", async () => {
        const unpaid = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
        const paid = await shop.paidOrder()
        const system = await shop.systemPaidOrder()
        await eventually(async () => emailsFor(unpaid.order.id).length > 0, { what: "instructions email" })
        const expiry = Date.parse(unpaid.session.data.dateExpiry)
        const container = getContainer()

        // 8 hours before the expiry: outside the 6-hour window
        expect(await sendCipReminders(container, { now: expiry - 8 * 3600_000 })).toMatchObject({ sent: 0 })
        expect(emailsFor(unpaid.order.id, "pagoefectivo-cip-reminder")).toHaveLength(0)

        // 4 hours before: two workers run the job at once, then it runs again
        const now = expiry - 4 * 3600_000
        const runs = await Promise.all([sendCipReminders(container, { now }), sendCipReminders(container, { now })])
        expect(runs[0].sent + runs[1].sent).toBe(1)
        expect(await sendCipReminders(container, { now: now + 60_000 })).toMatchObject({ sent: 0, already: 1 })

        const reminders = emailsFor(unpaid.order.id, "pagoefectivo-cip-reminder")
        expect(reminders).toHaveLength(1)
        expect(reminders[0]).toMatchObject({
          to: "rosa@example.pe",
          channel: "email",
          data: { kind: "reminder", cip: unpaid.session.data.cip, order_display_id: unpaid.order.display_id, hours_left: 4, amount: "199.90", currency: "PEN" },
        })
        expect(emailsFor(paid.orderId, "pagoefectivo-cip-reminder")).toHaveLength(0)
        expect(emailsFor(system.orderId)).toHaveLength(0)

        // once expired, nothing
        expect(await sendCipReminders(container, { now: expiry + 60_000 })).toMatchObject({ sent: 0 })
      })
    })
  },
})
