import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys, Modules, PaymentActions } from "@medusajs/framework/utils"
import { createRegionsWorkflow } from "@medusajs/medusa/core-flows"
import { sign } from "../../src/lib/pagoefectivo/wire"
import { PAGOEFECTIVO_MODULE } from "../../src/modules/pagoefectivo"
import { seedPeruStore, type SeededStore } from "../../src/scripts/seed-peru-store"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import {
  type StoreApi,
  StoreApiError,
  checkoutWithCip,
  choosePagoEfectivo,
  prepareCart,
} from "../../scripts/lib/storefront"
import { REPO_ROOT, runMedusa } from "../../scripts/lib/medusa-process"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    const notifications = () => shop.pe().listPagoEfectivoNotifications({}, { take: 100 })

    describe("checkout with a CIP", () => {
      it.each(["pen", "usd"] as const)("places the order in %s with the payment pending, then cip.paid makes it paid", async (currency) => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: currency === "pen" ? shop.seeded.regionId : shop.seeded.usdRegionId,
          countryCode: currency === "pen" ? "pe" : "cl",
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        // the storefront gets what it needs to send the shopper to pay
        expect(session.data).toMatchObject({
          cip: expect.stringMatching(/^\d+$/),
          cipUrl: expect.stringContaining("/voucher/"),
          dateExpiry: expect.stringMatching(/-05:00$/),
          currency: currency.toUpperCase(),
          transactionCode: session.id,
        })
        const expected = currency === "pen" ? "199.90" : "52.50" // product + shipping
        expect(session.data.amount).toBe(expected)

        const { cips } = await sandbox.state()
        expect(cips).toHaveLength(1)
        expect(cips[0]).toMatchObject({ transactionCode: session.id, currency: currency.toUpperCase() })
        expect(Number(cips[0].amount)).toBe(Number(expected))

        const placed = await shop.orderOf(order.id)
        // Medusa's word for a payment whose authorization is deferred
        expect(placed.payment_status).toBe("awaiting")
        expect(placed.payment_collections[0].payment_sessions[0].status).toBe("pending_authorization")
        expect(placed.payment_collections[0].payments).toHaveLength(0)

        await sandbox.pay(session.data.cip)
        const paid = await eventually(async () => {
          const o = await shop.orderOf(order.id)
          return o.payment_status === "captured" ? o : null
        }, { what: "order paid" })
        expect(paid.payment_collections[0].status).toBe("completed")
        expect(paid.payment_collections[0].payments).toHaveLength(1)
        expect(paid.payment_collections[0].payments[0].captured_at).toBeTruthy()
        expect(paid.payment_collections[0].payments[0].captures).toHaveLength(1)

        const { deliveries } = await sandbox.state()
        expect(deliveries).toEqual([expect.objectContaining({ eventType: "cip.paid", status: 200, outcome: "delivered" })])
        // the notification is marked processed when its workflow ends, just after the capture
        const stored = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "processed" ? all : null
        }, { what: "notification processed" })
        expect(stored).toEqual([expect.objectContaining({ event_type: "cip.paid", status: "processed", deliveries: 1 })])
      })

      it("fills a guest's email from the cart, so an unmodified storefront works", async () => {
        const { paymentCollectionId } = await prepareCart(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "guest@example.pe",
        })
        await choosePagoEfectivo(shop.store, paymentCollectionId)
        const { cips } = await sandbox.state()
        expect(cips[0].request.userEmail).toBe("guest@example.pe")
      })

      it("refuses a EUR cart with a clear message, before calling PagoEfectivo", async () => {
        // a store owner who enabled PagoEfectivo in a EUR region by mistake
        const {
          result: [euro],
        } = await createRegionsWorkflow(getContainer()).run({
          input: { regions: [{ name: "España", currency_code: "eur", countries: ["es"], payment_providers: ["pp_pagoefectivo_pagoefectivo"] }] },
        })
        const { paymentCollectionId } = await prepareCart(shop.store, {
          regionId: euro.id,
          countryCode: "es",
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
          skipShipping: true,
        })
        const err: StoreApiError = await choosePagoEfectivo(shop.store, paymentCollectionId).catch((e) => e)
        expect(err).toBeInstanceOf(StoreApiError)
        expect(err.status).toBe(400)
        expect(err.body.message).toMatch(/PagoEfectivo accepts PEN and USD only; this payment is in EUR/)
        const state = await sandbox.state()
        expect(state.cips).toHaveLength(0)
        expect(state.counters.requests["POST /v1/cips"] ?? 0).toBe(0)
        const { data } = await getContainer()
          .resolve(ContainerRegistrationKeys.QUERY)
          .graph({ entity: "payment_collection", fields: ["payment_sessions.id"], filters: { id: paymentCollectionId } })
        expect(data[0].payment_sessions).toHaveLength(0)
      })

      it.each([
        ["a 500", { status: 500, times: 5 }, /PagoEfectivo: could not create a CIP\. PagoEfectivo createCip failed: HTTP 500 code 166 .*please try again/],
        ["a timeout", { latencyMs: 4000, times: 1 }, /PagoEfectivo: could not create a CIP\. PagoEfectivo createCip failed: no answer before the timeout\..*please try again/],
      ])("turns %s during CIP creation into a clear checkout error with no orphan session", async (_, fault, message) => {
        const { cartId, paymentCollectionId } = await prepareCart(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        await sandbox.fault({ path: "/v1/cips", method: "POST", ...fault })
        const err: StoreApiError = await choosePagoEfectivo(shop.store, paymentCollectionId).catch((e) => e)
        expect(err).toBeInstanceOf(StoreApiError)
        expect(err.status).toBe(500)
        expect(err.body.message).toMatch(message)
        // a non-idempotent create is never repeated after an ambiguous failure
        expect((await sandbox.state()).counters.requests["POST /v1/cips"]).toBe(1)
        const query = getContainer().resolve(ContainerRegistrationKeys.QUERY)
        const { data } = await query.graph({
          entity: "payment_collection",
          fields: ["payment_sessions.id"],
          filters: { id: paymentCollectionId },
        })
        expect(data[0].payment_sessions).toHaveLength(0)
        // and the shopper can simply try again
        await sandbox.clearFaults()
        const session = await choosePagoEfectivo(shop.store, paymentCollectionId)
        expect(session.data.cip).toBeTruthy()
        expect(cartId).toBeTruthy()
      })

      it("waits out a 429 per Retry-After and then issues the CIP", async () => {
        const { paymentCollectionId } = await prepareCart(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        await sandbox.fault({ path: "/v1/cips", method: "POST", status: 429, retryAfter: 1, times: 1 })
        const started = Date.now()
        const session = await choosePagoEfectivo(shop.store, paymentCollectionId)
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
        expect(session.data.cip).toBeTruthy()
        const state = await sandbox.state()
        expect(state.counters.requests["POST /v1/cips"]).toBe(2)
        expect(state.cips).toHaveLength(1)
      })
    })

    describe("notifications", () => {
      it("applies a duplicated cip.paid once: one payment, one capture", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        await sandbox.fault({ path: "notifications", duplicate: 3 })
        await sandbox.pay(session.data.cip)
        await eventually(async () => (await shop.orderOf(order.id)).payment_status === "captured", { what: "order paid" })
        const { deliveries } = await sandbox.state()
        expect(deliveries).toHaveLength(4)
        expect(deliveries.every((d) => d.status === 200)).toBe(true)
        // a late redelivery after processing changes nothing either
        const again = await shop.deliver(deliveries[0].body)
        expect(again.status).toBe(200)
        expect(await again.json()).toMatchObject({ duplicate: true })

        const o = await shop.orderOf(order.id)
        expect(o.payment_collections[0].payments).toHaveLength(1)
        expect(o.payment_collections[0].payments[0].captures).toHaveLength(1)
        const stored = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "processed" ? all : null
        }, { what: "notification processed" })
        expect(stored).toHaveLength(1)
        expect(stored[0]).toMatchObject({ status: "processed", deliveries: 5 })
      })

      it("processes again a redelivery of a notification whose processing failed", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        // PagoEfectivo's documented cip.paid carries no transactionCode: the plugin asks
        // PagoEfectivo (/cips/search) whose CIP it is. While it cannot be asked, applying fails and
        // the notification is recorded as failed.
        await sandbox.call("POST", `/__sandbox/cips/${session.data.cip}/pay`, { notify: false })
        await sandbox.fault({ path: "/v1/cips/search", method: "POST", status: 500 })
        const body = JSON.stringify({ eventType: "cip.paid", operationNumber: "8001", data: { cip: session.data.cip, currency: "PEN", amount: Number(session.data.amount) } })
        const first = await shop.deliver(body)
        expect(first.status).toBe(200)
        const [failed] = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "failed" ? all : null
        }, { what: "notification failed" })
        expect(failed.error).toMatch(/HTTP 500/)
        expect((await shop.orderOf(order.id)).payment_status).toBe("awaiting")

        // PagoEfectivo delivers it again once it is back: stored once, processed this time
        await sandbox.clearFaults()
        const again = await shop.deliver(body)
        expect(again.status).toBe(200)
        expect(await again.json()).toMatchObject({ duplicate: true, id: failed.id })
        await eventually(async () => (await shop.orderOf(order.id)).payment_status === "captured", { what: "order paid by the redelivery" })
        const stored = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "processed" ? all : null
        }, { what: "notification processed" })
        expect(stored).toEqual([expect.objectContaining({ id: failed.id, status: "processed", deliveries: 2 })])
      })

      it("acknowledges a burst of notifications, stores each once and applies every one", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        // 60 at once (far above the 80/s at which applying waits for the acknowledgements): 59
        // results of refunds made in PagoEfectivo's panel, and the real cip.paid in the middle
        await sandbox.call("POST", `/__sandbox/cips/${session.data.cip}/pay`, { notify: false })
        const paid = JSON.stringify({
          eventType: "cip.paid",
          operationNumber: "7000",
          data: { cip: session.data.cip, currency: "PEN", amount: Number(session.data.amount), transactionCode: session.id },
        })
        const bodies = Array.from({ length: 60 }, (_, i) =>
          i === 30
            ? paid
            : JSON.stringify({
                eventType: "refund.completed",
                operationNumber: String(7000 + i),
                data: { refundId: `panel_${i}`, referenceId: `RFP${i}`, cip: "99", amount: 1, currency: "PEN", status: "completed" },
              })
        )
        const answers = await Promise.all(bodies.map((b) => shop.deliver(b)))
        expect(answers.map((a) => a.status)).toEqual(Array(60).fill(200))
        expect((await Promise.all(answers.map((a) => a.json()))).filter((j) => j.duplicate)).toEqual([])

        const stored = await eventually(async () => {
          const all = await shop.pe().listPagoEfectivoNotifications({}, { take: 200 })
          return all.length === 60 && all.every((n: any) => n.status !== "received") ? all : null
        }, { what: "every notification applied", timeoutMs: 60_000 })
        expect(new Set(stored.map((n: any) => n.key)).size).toBe(60)
        expect(stored.filter((n: any) => n.status === "unmatched")).toHaveLength(59)
        expect(stored.find((n: any) => n.event_type === "cip.paid")).toMatchObject({ status: "processed", deliveries: 1 })
        expect((await shop.orderOf(order.id)).payment_status).toBe("captured")
      })

      it("refuses forged, tampered and unsigned notifications with 401 and changes nothing", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        const body = JSON.stringify({
          eventType: "cip.paid",
          operationNumber: "9001",
          data: { cip: session.data.cip, currency: "PEN", amount: Number(session.data.amount), transactionCode: session.id },
        })
        const forged = await shop.deliver(body, sign("not-the-secret", body))
        const tampered = await shop.deliver(body.replace('"9001"', '"9002"'), sign(SANDBOX_DEFAULTS.secretKey, body))
        const unsigned = await shop.deliver(body, null)
        const garbage = await shop.deliver(body, "zz")
        for (const res of [forged, tampered, unsigned, garbage]) {
          expect(res.status).toBe(401)
          expect(await res.json()).toEqual({ type: "unauthorized", message: "missing or invalid PE-Signature" })
        }
        // the same on Medusa's own hooks route: answered 200 there (core always does), never applied.
        // Core hands the hook to the provider 5 s later; its answer is what decides, so wait for it.
        const payment = getContainer().resolve(Modules.PAYMENT)
        const asked = jest.spyOn(payment, "getWebhookActionAndData")
        try {
          const hook = await shop.deliver(body, sign("not-the-secret", body), "/hooks/payment/pp_pagoefectivo_pagoefectivo")
          expect(hook.status).toBe(200)
          await eventually(async () => asked.mock.results.length > 0, { what: "core's webhook subscriber asking the provider", timeoutMs: 20_000 })
          expect(asked).toHaveBeenCalledTimes(1)
          expect(asked.mock.calls[0][0]).toMatchObject({ provider: "pp_pagoefectivo_pagoefectivo" })
          // no session id and not_supported: core's subscriber stops there and runs no workflow
          await expect(asked.mock.results[0].value).resolves.toEqual({ action: PaymentActions.NOT_SUPPORTED })
        } finally {
          asked.mockRestore()
        }
        expect(await notifications()).toHaveLength(0)
        expect((await shop.orderOf(order.id)).payment_status).toBe("awaiting")
      })

      it("answers 400 to signed malformed JSON or unknown events, and 413 to oversized bodies", async () => {
        const malformed = await shop.deliver('{"eventType":"cip.paid",')
        expect(malformed.status).toBe(400)
        expect(await malformed.json()).toMatchObject({ type: "malformed_json" })
        const unknown = await shop.deliver('{"eventType":"cip.refunded","data":{}}')
        expect(unknown.status).toBe(400)
        expect((await unknown.json()).message).toMatch(/unknown eventType "cip.refunded"/)
        const badFields = await shop.deliver('{"eventType":"cip.paid","data":{"cip":"1","currency":"EUR","amount":1}}')
        expect(badFields.status).toBe(400)
        expect(await badFields.json()).toMatchObject({ type: "invalid_fields" })
        const huge = await shop.deliver(JSON.stringify({ eventType: "cip.paid", pad: "x".repeat(70 * 1024) }))
        expect(huge.status).toBe(413)
        expect(await notifications()).toHaveLength(0)
      })

      it("answers 400 naming the field to a signed notification with a field over its bound (an 8,000-character refundId), logs it without the signature, stores nothing", async () => {
        const logger = getContainer().resolve(ContainerRegistrationKeys.LOGGER) as any
        const warned = jest.spyOn(logger, "warn")
        try {
          const body = JSON.stringify({ eventType: "refund.completed", operationNumber: "7", data: { refundId: "r".repeat(8000), cip: "2523136", amount: 10, currency: "PEN", status: "completed" } })
          const res = await shop.deliver(body)
          expect(res.status).toBe(400)
          expect(await res.json()).toEqual({ type: "invalid_fields", message: "refund.completed: data.refundId must be at most 64 characters, got 8000" })
          const lines = warned.mock.calls.map((c) => String(c[0]))
          expect(lines).toContain("pagoefectivo: rejected a signed notification: refund.completed: data.refundId must be at most 64 characters, got 8000")
          expect(lines.join("\n")).not.toContain(sign(SANDBOX_DEFAULTS.secretKey, body))
        } finally {
          warned.mockRestore()
        }
        expect(await notifications()).toHaveLength(0)
      })

      it("keeps a signed notification about an unknown CIP as unmatched", async () => {
        const res = await shop.deliver(
          JSON.stringify({ eventType: "cip.paid", operationNumber: "1", data: { cip: "99", currency: "PEN", amount: 5, transactionCode: "payses_unknown" } })
        )
        expect(res.status).toBe(200)
        const [stored] = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "unmatched" ? all : null
        }, { what: "unmatched notification" })
        expect(stored.error).toMatch(/no PagoEfectivo payment session payses_unknown/)
      })

      it("pays the order through Medusa's built-in /hooks/payment route too, with the same verification", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        await sandbox.config({ notifyUrl: `${shop.baseUrl}/hooks/payment/pp_pagoefectivo_pagoefectivo` })
        await sandbox.pay(session.data.cip)
        const paid = await eventually(async () => {
          const o = await shop.orderOf(order.id)
          return o.payment_status === "captured" ? o : null
        }, { what: "order paid through /hooks/payment", timeoutMs: 20_000 })
        expect(paid.payment_collections[0].payments[0].captures).toHaveLength(1)
      })

      it("cancels the payment and the unpaid order when the CIP expires", async () => {
        const { session, order } = await checkoutWithCip(shop.store, {
          regionId: shop.seeded.regionId,
          variantId: shop.seeded.variantId,
          email: "rosa@example.pe",
        })
        await sandbox.expire(session.data.cip)
        const canceled = await eventually(async () => {
          const o = await shop.orderOf(order.id)
          return o.status === "canceled" ? o : null
        }, { what: "order canceled" })
        expect(canceled.payment_collections[0].status).toBe("canceled")
        expect(canceled.payment_collections[0].payment_sessions[0].status).toBe("canceled")
        expect(canceled.payment_collections[0].payments).toHaveLength(0)
        const [stored] = await eventually(async () => {
          const all = await notifications()
          return all[0]?.status === "processed" ? all : null
        }, { what: "notification processed" })
        expect(stored).toMatchObject({ event_type: "cip.expired", status: "processed" })
      })
    })

    describe("boot", () => {
      /** `medusa start` on this spec's database with some options changed; killed after 90 s. */
      const boot = async (env: Record<string, string>) => {
        const { databaseUrl } = getContainer().resolve(ContainerRegistrationKeys.CONFIG_MODULE).projectConfig
        let timer: NodeJS.Timeout | undefined
        const result = await runMedusa(
          {
            args: ["start"],
            cwd: REPO_ROOT,
            env: { ...process.env, DATABASE_URL: databaseUrl!, MEDUSA_ADMIN_DISABLED: "true", PORT: "0", NODE_ENV: "development", ...env },
            logFile: path.join(REPO_ROOT, ".data", "boot-spec.log"),
          },
          (child) => {
            clearTimeout(timer)
            if (child) timer = setTimeout(() => void child.stop(), 90_000)
          }
        )
        return { code: result.code, output: result.output }
      }

      it.each([
        [{ PAGOEFECTIVO_SECRET_KEY: "" }, "option `secretKey` is missing"],
        [{ PAGOEFECTIVO_SERVICE_ID: "12345" }, "option `serviceId` must be between 1 and 9999"],
      ])("refuses to start with %j and names the option", async (env, message) => {
        const { code, output } = await boot(env)
        expect(code).not.toBe(0)
        expect(output).toContain(message)
        expect(output).not.toContain(SANDBOX_DEFAULTS.secretKey)
      })
    })
  },
})
