import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { WireAmount, serializeBody, sign } from "../../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { reconcileRefund } from "../../src/lib/reconciliation/reconcile"
import { FAILPOINTS, holdAtFailpoint } from "../../src/lib/failpoints"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

// The provider allows 180 days; the sandbox (PagoEfectivo) is configured per test where needed.
const sandbox = useSandbox({ PAGOEFECTIVO_MAX_RETRIES: "3" })

const DAY = 24 * 3600_000

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    const records = async (orderId: string) =>
      (await shop.pe().listPagoEfectivoRefunds({ order_id: orderId }, { order: { requested_at: "ASC" } })) as any[]

    const refundsOf = async (orderId: string) => (await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds as any[]

    describe("through the admin's Refund button", () => {
      it("refunds in full: one refund at PagoEfectivo, the record pending, the order refunded", async () => {
        const { orderId, paymentId, cip } = await shop.paidOrder()
        const res = await shop.refund(paymentId, 199.9)
        expect(res.status).toBe(200)

        const { refunds, counters } = await sandbox.state()
        expect(counters.refundsCreated).toBe(1)
        const medusaRefunds = await refundsOf(orderId)
        expect(medusaRefunds).toHaveLength(1)
        expect(refunds[0]).toMatchObject({ refundId: medusaRefunds[0].id, cip, amount: 199.9, currency: "PEN", merchantOrderId: orderId })

        const [record] = await records(orderId)
        expect(record).toMatchObject({
          refund_id: medusaRefunds[0].id,
          payment_id: paymentId,
          order_id: orderId,
          cip,
          currency_code: "PEN",
          status: "pending",
          reference_id: refunds[0].referenceId,
          trace_id: refunds[0].traceId,
        })
        expect(Number(record.amount)).toBe(199.9)
        expect(record.attempts).toHaveLength(1)
        expect(record.attempts[0]).toMatchObject({ status: 201, code: "100", request: { amount: "199.90", refundId: medusaRefunds[0].id } })

        // the record is linked to the payment
        const { data: payments } = await getContainer()
          .resolve(ContainerRegistrationKeys.QUERY)
          .graph({ entity: "payment", fields: ["id", "pagoefectivo_refunds.refund_id"], filters: { id: paymentId } })
        expect((payments[0] as any).pagoefectivo_refunds).toEqual([expect.objectContaining({ refund_id: medusaRefunds[0].id })])

        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("refunded")
        expect(order.payment_collections[0].payments[0].data.refunds[medusaRefunds[0].id]).toMatchObject({
          status: "pending",
          amount: "199.90",
          referenceId: refunds[0].referenceId,
        })
      })

      it("refunds partially twice, then refuses an over-refund with a clear 400", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 50)).status).toBe(200)
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")
        // a second, different amount is not a double click
        expect((await shop.refund(paymentId, 49.9)).status).toBe(200)
        expect((await shop.orderOf(orderId)).payment_status).toBe("partially_refunded")

        // one cent over: Medusa lets it through (its check allows a currency epsilon), the provider does not
        const over = await shop.refund(paymentId, 100.01)
        expect(over.status).toBe(400)
        expect(over.body.message).toMatch(/PagoEfectivo: PEN 100.01 is above what is still refundable on CIP \d+: PEN 100.00 of PEN 199.90 paid/)
        // further over, Medusa refuses first
        const far = await shop.refund(paymentId, 120)
        expect(far.status).toBe(400)
        expect(far.body.message).toMatch(/You cannot refund more than what is captured on the payment|not allowed to refund more than the captured amount/)

        const { refunds } = await sandbox.state()
        expect(refunds.map((r) => r.amount).sort()).toEqual([49.9, 50])
        expect((await records(orderId)).map((r) => r.status)).toEqual(["pending", "pending"])
        expect(await refundsOf(orderId)).toHaveLength(2)
      })

      it("refuses an amount with three decimals before any call", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        const res = await shop.refund(paymentId, 10.555)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/the amount 10.555 has more than 2 decimals/)
        expect((await sandbox.state()).counters.requests["POST /v1/refunds"] ?? 0).toBe(0)
        expect(await records(orderId)).toHaveLength(0)
        expect(await refundsOf(orderId)).toHaveLength(0)
      })

      it("refuses a refund outside the plugin's 180-day window before any call", async () => {
        const { orderId, paymentId } = await shop.paidOrder({ paidAt: new Date(Date.now() - 200 * DAY).toISOString() })
        const res = await shop.refund(paymentId, 20)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/refund window of 180 days after payment has passed/)
        expect((await sandbox.state()).counters.requests["POST /v1/refunds"] ?? 0).toBe(0)
        expect(await records(orderId)).toHaveLength(0)
        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("captured")
        expect(order.payment_collections[0].payments[0].refunds).toHaveLength(0)
      })

      it.each([
        [
          "refund window exceeded at PagoEfectivo (422 613)",
          async () => {
            await sandbox.config({ refundWindowDays: 30 })
            return { paidAt: new Date(Date.now() - 60 * DAY).toISOString() }
          },
          "613",
          /refund window for CIP \d+ has passed/,
        ],
        ["refunds not enabled (403 601)", async () => void (await sandbox.config({ refundsEnabled: false })), "601", /has not enabled refunds for this merchant account/],
        ["caller IP not allowed (403 602)", async () => void (await sandbox.config({ allowedIps: ["203.0.113.7"] })), "602", /IP address/],
        ["merchant balance insufficient (422 614)", async () => void (await sandbox.config({ merchantBalance: 5 })), "614", /balance cannot cover this refund/],
      ])("fails cleanly when %s: clear 400, record failed, nothing counted", async (_, arrange, code, message) => {
        const payBody = (await arrange()) ?? {}
        const { orderId, paymentId } = await shop.paidOrder(payBody)
        const res = await shop.refund(paymentId, 20)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(message)
        expect((await sandbox.state()).refunds).toHaveLength(0)
        const [record] = await records(orderId)
        expect(record).toMatchObject({ status: "failed", failure_code: code })
        expect(record.failure_reason).toMatch(message)
        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("captured")
        expect(order.payment_collections[0].payments[0].refunds).toHaveLength(0)
      })

      it("fails cleanly when PagoEfectivo says the CIP is not paid (422 611) or unknown (404)", async () => {
        const first = await shop.paidOrder()
        sandbox.live.cips.get(Number(first.cip))!.status = "pending" // PagoEfectivo reversed the payment
        const notPaid = await shop.refund(first.paymentId, 20)
        expect(notPaid.status).toBe(400)
        expect(notPaid.body.message).toMatch(/says CIP \d+ is not paid/)
        expect((await records(first.orderId))[0]).toMatchObject({ status: "failed", failure_code: "611" })

        const second = await shop.paidOrder()
        sandbox.live.cips.delete(Number(second.cip)) // PagoEfectivo no longer knows it
        const unknown = await shop.refund(second.paymentId, 20)
        expect(unknown.status).toBe(400)
        expect(unknown.body.message).toMatch(/does not know CIP \d+/)
        expect((await records(second.orderId))[0]).toMatchObject({ status: "failed", failure_code: "404" })
        expect((await sandbox.state()).refunds).toHaveLength(0)
        expect((await shop.orderOf(first.orderId)).payment_status).toBe("captured")
        expect((await shop.orderOf(second.orderId)).payment_status).toBe("captured")
      })
    })

    describe("the provider's own checks", () => {
      it("refuses what Medusa would allow but PagoEfectivo already refunded: a refund Medusa lost still counts", async () => {
        const { orderId, paymentId, cip, order } = await shop.paidOrder()
        // PagoEfectivo refunded 150.00 that Medusa does not count (its workflow failed after the call)
        const transactionCode = (await sandbox.state()).cips[0].transactionCode
        await shop.pe().ledger().begin(
          { refund_id: "ref_medusa_lost_it", payment_id: paymentId, payment_session_id: null, payment_collection_id: order.payment_collections[0].id, order_id: orderId, merchant_order_id: orderId, cip, transaction_code: transactionCode, amount: "150.00", currency_code: "PEN", reason: null },
          { paid: "199.90", duplicateGuardSeconds: 0, leaseSeconds: 60 }
        )
        await shop.pe().client().createRefund({ cip, transactionCode, merchantOrderId: orderId, refundId: "ref_medusa_lost_it", amount: new WireAmount("150.00"), currency: "PEN" })
        await shop.pe().ledger().settleAnswer("ref_medusa_lost_it", { status: "pending" })
        expect(await refundsOf(orderId)).toHaveLength(0) // Medusa would let 199.90 go again

        const res = await shop.refund(paymentId, 60)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/PEN 60.00 is above what is still refundable on CIP \d+: PEN 49.90 of PEN 199.90 paid/)
        // and while Medusa does not count it, no other refund of the CIP is made (staff clicking
        // again after Medusa's error would refund twice)
        const within = await shop.refund(paymentId, 49.9)
        expect(within.status).toBe(400)
        expect(within.body.message).toMatch(/refund ref_medusa_lost_it of CIP \d+ \(pending\) is not booked in Medusa yet .*nothing was refunded now/)
        expect((await sandbox.state()).refunds).toHaveLength(1)
      })

      it("refuses a second click of the same amount within duplicateRefundGuardSeconds (10 s), then allows it", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        expect((await shop.refund(paymentId, 30)).status).toBe(200)
        const again = await shop.refund(paymentId, 30)
        expect(again.status).toBe(400)
        expect(again.body.message).toMatch(/a refund of PEN 30.00 on CIP \d+ was requested \d+ s ago .*looks like a double click; if you mean a second refund of the same amount, try again in 10 s/)
        expect((await sandbox.state()).refunds).toHaveLength(1)
        // past its window it lets the same amount go (a second refund of the same amount, on purpose)
        const [first] = await records(orderId)
        await new Promise((r) => setTimeout(r, Math.max(0, new Date(first.requested_at).getTime() + 10_500 - Date.now())))
        expect((await shop.refund(paymentId, 30)).status).toBe(200)
        // and 0 turns it off (the check is the ledger's, atomic with writing the record)
        const fresh = { ...first, refund_id: "ref_guard_off", payment_session_id: null }
        expect((await shop.pe().ledger().begin(fresh, { paid: "199.90", duplicateGuardSeconds: 0, leaseSeconds: 1 })).kind).toBe("created")
        expect((await shop.pe().ledger().begin({ ...fresh, refund_id: "ref_guard_on" }, { paid: "199.90", duplicateGuardSeconds: 10, leaseSeconds: 1 })).kind).toBe("double_click")
      })

      it("refuses a currency other than the CIP's before any call", async () => {
        const { orderId, paymentId, cip } = await shop.paidOrder()
        sandbox.live.cips.get(Number(cip))!.currency = "USD" // PagoEfectivo's CIP says USD
        await getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION).raw(`UPDATE payment SET data = data - 'cipStatus' WHERE id = ?`, [paymentId])
        const res = await shop.refund(paymentId, 20)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/the payment is in PEN but CIP \d+ is in USD; nothing was refunded/)
        expect((await sandbox.state()).counters.requests["POST /v1/refunds"] ?? 0).toBe(0)
        expect(await records(orderId)).toHaveLength(0)
      })
    })

    describe("exactly once under faults", () => {
      it("two concurrent clicks for the same amount make one refund", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        const [a, b] = await Promise.all([shop.refund(paymentId, 30), shop.refund(paymentId, 30)])
        expect([a.status, b.status].sort()).toEqual([200, 400])
        const refused = a.status === 400 ? a : b
        expect(refused.body.message).toMatch(/looks like a double click/)
        expect((await sandbox.state()).counters.refundsCreated).toBe(1)
        expect(await refundsOf(orderId)).toHaveLength(1)
        expect(await records(orderId)).toHaveLength(1)
      })

      it("a connection dropped after PagoEfectivo committed is retried with the same refundId: one refund", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", dropConnection: "after-commit", times: 1 })
        expect((await shop.refund(paymentId, 25)).status).toBe(200)
        const state = await sandbox.state()
        expect(state.counters.requests["POST /v1/refunds"]).toBe(2)
        expect(state.counters.refundsCreated).toBe(1)
        const [record] = await records(orderId)
        expect(record.status).toBe("pending")
        expect(record.attempts.map((a: any) => a.status)).toEqual([null, 200]) // the replay answers 200
        expect(record.refund_id).toBe(state.refunds[0].refundId)
      })

      it("500 twice then success: one refund, three attempts", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 500, times: 2 })
        expect((await shop.refund(paymentId, 25)).status).toBe(200)
        expect((await sandbox.state()).counters.refundsCreated).toBe(1)
        const [record] = await records(orderId)
        expect(record.attempts.map((a: any) => a.status)).toEqual([500, 500, 201])
        expect(record.status).toBe("pending")
      })

      it("waits out a 429 per Retry-After, then refunds once", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 429, retryAfter: 1, times: 1 })
        const started = Date.now()
        expect((await shop.refund(paymentId, 25)).status).toBe(200)
        expect(Date.now() - started).toBeGreaterThanOrEqual(1000)
        expect((await sandbox.state()).counters.refundsCreated).toBe(1)
        expect((await records(orderId))[0].attempts.map((a: any) => a.status)).toEqual([429, 201])
      })

      it.each([
        ["committed then every answer lost", "after-commit", 1, "pending"],
        ["never received", "before", 0, "failed"],
      ] as const)(
        "PagoEfectivo unreachable past the retries (%s): no error, record verifying, then a status query settles it",
        async (_, dropConnection, expectedAtGateway, settled) => {
          const { orderId, paymentId } = await shop.paidOrder()
          await sandbox.fault({ path: "/v1/refunds", method: "POST", dropConnection, times: 10 })
          const res = await shop.refund(paymentId, 25)
          expect(res.status).toBe(200)
          const [record] = await records(orderId)
          expect(record.status).toBe("verifying")
          expect(record.attempts).toHaveLength(4) // first try + 3 retries
          expect(record.attempts.every((a: any) => a.ambiguous)).toBe(true)
          // Medusa keeps its refund: the gateway may have made it
          expect(await refundsOf(orderId)).toHaveLength(1)
          expect((await sandbox.state()).counters.refundsCreated).toBe(expectedAtGateway)

          await sandbox.clearFaults()
          // nobody judges it while PagoEfectivo may still be processing it (its call lease)
          await reconcileRefund(getContainer(), await shop.afterLease(record.refund_id))
          const [checked] = await records(orderId)
          expect(checked.status).toBe(settled)
          expect((await sandbox.state()).refunds).toHaveLength(expectedAtGateway)
        }
      )

      it("a 500 through every retry: no error, record verifying (PagoEfectivo may have refunded)", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 500, times: 10 })
        expect((await shop.refund(paymentId, 25)).status).toBe(200)
        const [record] = await records(orderId)
        expect(record.status).toBe("verifying")
        expect(record.attempts.map((a: any) => a.status)).toEqual([500, 500, 500, 500])
        expect(await refundsOf(orderId)).toHaveLength(1)
      })

      it("a revoked token: refreshed once and the same refund sent again, one refund", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        const before = (await sandbox.state()).counters.authorizations
        await sandbox.call("POST", "/__sandbox/tokens/revoke")
        expect((await shop.refund(paymentId, 25)).status).toBe(200)
        const [record] = await records(orderId)
        expect(record.attempts.map((a: any) => a.status)).toEqual([401, 201])
        const state = await sandbox.state()
        expect(state.counters.authorizations).toBe(before + 1)
        expect(state.counters.refundsCreated).toBe(1)
      })

      it("401 again after the refresh: a clear error naming the credentials, nothing counted", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 401, times: 2 })
        const res = await shop.refund(paymentId, 25)
        expect(res.status).toBe(500)
        expect(res.body.message).toMatch(/refused the plugin's credentials or signature\. Check accessKey, secretKey and serviceId/)
        expect((await records(orderId))[0]).toMatchObject({ status: "failed" })
        expect((await sandbox.state()).refunds).toHaveLength(0)
        await shop.booksAgree(orderId)
      })

      it("409/603 (PagoEfectivo holds this refund id with another payload) is asked about: kept as it says, flagged for staff", async () => {
        const { orderId, paymentId, cip } = await shop.paidOrder()
        const held = holdAtFailpoint(FAILPOINTS.providerRefundCalling)
        const refunding = shop.refund(paymentId, 25)
        const { refund_id } = (await held.reached) as { refund_id: string }
        const transactionCode = (await sandbox.state()).cips[0].transactionCode
        await shop.pe().client().createRefund({ cip, transactionCode, merchantOrderId: orderId, refundId: refund_id, amount: new WireAmount("10.00"), currency: "PEN" })
        held.release()
        expect((await refunding).status).toBe(200)
        const [record] = await records(orderId)
        expect(record.attempts.map((a: any) => [a.status, a.code])).toEqual([[409, "603"]])
        expect(record.status).toBe("pending")
        expect(record.anomaly).toMatch(/holds refund .* as PEN 10 on CIP \d+, not PEN 25.00/)
        expect((await sandbox.state()).refunds).toHaveLength(1)
      })

      it("PagoEfectivo down before anything was sent: a clear error and nothing counted", async () => {
        const { orderId, paymentId } = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 503, times: 10 })
        const res = await shop.refund(paymentId, 25)
        expect(res.status).toBe(500)
        expect(res.body.message).toMatch(/nothing was refunded/)
        expect(await refundsOf(orderId)).toHaveLength(0)
        const [record] = await records(orderId)
        expect(record).toMatchObject({ status: "failed", failure_code: "503" })
        expect(record.attempts).toHaveLength(4)
      })

      it("malformed answers: a 2xx it cannot read is retried, a 4xx it cannot read is a clear error", async () => {
        const first = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 201, body: "<html>oops</html>", times: 1 })
        expect((await shop.refund(first.paymentId, 25)).status).toBe(200)
        const [r1] = await records(first.orderId)
        expect(r1.attempts[0].error).toMatch(/unexpected answer.*not JSON/)
        expect(r1.status).toBe("pending")

        const second = await shop.paidOrder()
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 400, body: "<html>bad gateway page</html>", times: 1 })
        const res = await shop.refund(second.paymentId, 25)
        expect(res.status).toBe(400)
        expect(res.body.message).toMatch(/refused the refund request as invalid/)
        expect((await records(second.orderId))[0].status).toBe("failed")
        expect((await sandbox.state()).counters.refundsCreated).toBe(1)
      })
    })

    describe("secrets", () => {
      it("no key, token or signature reaches a log line, an error or a stored payload during refunds", async () => {
        const logger = getContainer().resolve(ContainerRegistrationKeys.LOGGER) as any
        const lines: string[] = []
        const capture = (...args: unknown[]) => {
          lines.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(" "))
        }
        const spies = [
          ...["info", "warn", "error", "debug", "log", "http", "verbose"].filter((m) => typeof logger[m] === "function").map((m) => jest.spyOn(logger, m).mockImplementation(capture as any)),
          ...(["log", "info", "warn", "error", "debug"] as const).map((m) => jest.spyOn(console, m).mockImplementation(capture)),
          jest.spyOn(process.stdout, "write").mockImplementation(((chunk: any) => (capture(String(chunk)), true)) as any),
          jest.spyOn(process.stderr, "write").mockImplementation(((chunk: any) => (capture(String(chunk)), true)) as any),
        ]
        const errors: string[] = []
        const tokens: string[] = []
        const client = shop.pe().client() as any
        let orderId = ""
        try {
          const paid = await shop.paidOrder()
          orderId = paid.orderId
          // success, a retried failure, a definite failure, an over-refund and a verifying one
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 20)).body))
          await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 500, times: 1 })
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 21)).body))
          await sandbox.config({ refundsEnabled: false })
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 22)).body))
          await sandbox.config({ refundsEnabled: true })
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 500)).body))
          await sandbox.fault({ path: "/v1/refunds", method: "POST", dropConnection: "after-commit", times: 10 })
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 23)).body))
          await sandbox.clearFaults()
          // one refund of a CIP at a time: the unconfirmed one holds its lease a while
          const unconfirmed = (await records(orderId)).find((r) => r.status === "verifying")
          await shop.afterLease(unconfirmed.refund_id)
          tokens.push(client.token?.value)
          await sandbox.call("POST", "/__sandbox/tokens/revoke") // forces a 401 and a token refresh
          errors.push(JSON.stringify((await shop.refund(paid.paymentId, 24)).body))
          tokens.push(client.token?.value)
        } finally {
          spies.forEach((s) => s.mockRestore())
        }
        expect(lines.some((l) => l.includes('"op":"createRefund"'))).toBe(true)
        expect(lines.some((l) => l.includes('"op":"authorize"'))).toBe(true)

        const stored = await records(orderId)
        expect(stored.map((r) => r.status).sort()).toEqual(["failed", "pending", "pending", "pending", "verifying"])
        const notifications = await shop.pe().listPagoEfectivoNotifications({})
        // every token the client held and every signature that was sent
        expect(tokens.filter(Boolean)).toHaveLength(2)
        expect(tokens[0]).not.toBe(tokens[1])
        const secrets = [SANDBOX_DEFAULTS.secretKey, SANDBOX_DEFAULTS.accessKey, ...tokens]
        for (const r of stored) {
          for (const a of r.attempts) {
            // the request as sent: same keys in the same order, the amount with its two decimals
            const { amount, cip, transactionCode, merchantOrderId, refundId, currency, reason } = a.request
            const body = { cip, transactionCode, merchantOrderId, refundId, amount: new WireAmount(amount), currency, reason }
            secrets.push(sign(SANDBOX_DEFAULTS.secretKey, serializeBody(body)))
          }
        }
        for (const d of (await sandbox.state()).deliveries) secrets.push(sign(SANDBOX_DEFAULTS.secretKey, d.body))
        const haystacks = { logs: lines.join("\n"), errors: errors.join("\n"), records: JSON.stringify(stored), notifications: JSON.stringify(notifications) }
        for (const secret of secrets) {
          for (const [where, text] of Object.entries(haystacks)) {
            expect({ where, leaked: text.includes(secret) }).toEqual({ where, leaked: false })
          }
        }
      })
    })
  },
})
