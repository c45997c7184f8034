/**
 * The PagoEfectivo page in the admin's sidebar (src/admin/routes/pagoefectivo), in a real browser:
 * Debian's Chromium driven by playwright-core against a store built with its admin and served by
 * `medusa start`, with the PagoEfectivo sandbox (lib/stack.ts), as the order-panel spec does.
 *
 *   PAGOEFECTIVO_E2E_DB=… npm test -- integration-tests/e2e/operations-page
 *
 * - the queue lists a refund still verifying (asked for more than reconcileAfterMinutes ago: the
 *   spec ages its record in the database instead of waiting ten minutes) and an anomaly; Check now
 *   settles the refund;
 * - Reprocess applies a notification that failed (PagoEfectivo's CIP search answered 503 while it
 *   was applied, a sandbox fault);
 * - Test connection shows success against the sandbox, and an error when the sandbox refuses the
 *   credentials (a 401 fault on /v1/authorizations).
 * The reconciliation job does not interfere: it looks only at what is untouched for 10 minutes.
 * Screenshots: integration-tests/e2e/artifacts/ops-*.png.
 */
import type { Browser, BrowserContext, Page } from "playwright-core"
import { Client } from "pg"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { apis, closeAll, describeInChromium, launchChromium, loginToAdmin, screenshots, until } from "./lib/browser"
import { type Stack, startStack } from "./lib/stack"

const UI_TIMEOUT = 20_000
const describeE2e = describeInChromium("integration-tests/e2e/operations-page.spec.ts")

describeE2e("admin: the PagoEfectivo page (headless Chromium)", () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let page: Page
  const { adminApi, sandboxCall, deliverSigned } = apis(() => stack)
  const { screenshot, step } = screenshots(() => page, "ops")

  /** An order paid by CIP (PEN 199.90), or one whose CIP PagoEfectivo has paid without telling the store (`notify: false`). */
  const orderPaidByCip = async ({ notify = true } = {}) => {
    const store = { baseUrl: stack.medusaUrl, publishableKey: stack.seeded.publishableKey }
    const checkout = await checkoutWithCip(store, { regionId: stack.seeded.regionId, variantId: stack.seeded.variantId, email: "rosa@example.pe" })
    const cip = String(checkout.session.data.cip)
    await sandboxCall("POST", `/__sandbox/cips/${cip}/pay`, { wait: true, notify })
    const orderId = checkout.order.id as string
    // the notification is applied in the background: the order is paid once its capture is booked
    if (notify) await until(async () => {
      const order = await orderOf(orderId)
      return order.payment_status === "captured" && Number(order.summary.paid_total) > 0
    }, `order ${orderId} to be captured`)
    return { orderId, cip }
  }
  /** The page, at one of its tabs. */
  const openPage = async (tab: "attention" | "notifications" | "health") => {
    await page.goto(`${stack.medusaUrl}/app/pagoefectivo`)
    await page.getByTestId(`pagoefectivo-ops-tab-${tab}`).click()
    await page.getByTestId(`pagoefectivo-ops-${tab}`).waitFor()
  }
  const orderOf = async (orderId: string) =>
    (await adminApi(`/admin/orders/${orderId}?fields=id,payment_status,summary.*,payment_collections.payments.id,payment_collections.payments.refunds.amount`)).order
  const recordOf = async (orderId: string, index: number) => (await adminApi(`/admin/pagoefectivo/orders/${orderId}`)).refunds[index]
  const queueRow = (refundId: string) => page.locator(`[data-testid="pagoefectivo-ops-attention-row"][data-refund-id="${refundId}"]`)
  const sql = async (text: string, params: unknown[]) => {
    const db = new Client({ connectionString: stack.databaseUrl })
    await db.connect()
    try {
      return await db.query(text, params)
    } finally {
      await db.end()
    }
  }

  beforeAll(async () => {
    stack = await startStack()
    ;({ browser, context, page } = await launchChromium())
    page.setDefaultTimeout(UI_TIMEOUT)
    await loginToAdmin(page, stack.medusaUrl, UI_TIMEOUT)
  }, 15 * 60_000)

  afterAll(() => closeAll(context, browser, stack), 60_000)

  it("is in the sidebar; the queue lists a refund verifying for long and an anomaly; Check now settles the refund", async () => {
    const { orderId, cip } = await orderPaidByCip()
    const paymentId = (await orderOf(orderId)).payment_collections[0].payments[0].id as string
    const refund = (amount: number) => adminApi(`/admin/payments/${paymentId}/refund`, { method: "POST", body: JSON.stringify({ amount }) })

    // 1. an anomaly: PagoEfectivo completes a refund, then says it rejected it
    await refund(10)
    const completed = await recordOf(orderId, 0)
    await sandboxCall("POST", `/__sandbox/refunds/${completed.refund_id}/complete`, { wait: true })
    await until(async () => (await recordOf(orderId, 0)).status === "completed", "the first refund to complete")
    await deliverSigned({ eventType: "refund.rejected", operationNumber: "e2e-anomaly", data: { refundId: completed.refund_id, referenceId: "RF-X", cip, amount: 10, currency: "PEN", status: "rejected", reason: "tarde" } })

    // 2. a refund still verifying: PagoEfectivo takes it but the answer never comes back (every attempt dropped after committing)
    await sandboxCall("PUT", "/__sandbox/faults", { path: "/v1/refunds", method: "POST", dropConnection: "after-commit", times: 4 })
    await refund(20)
    await sandboxCall("DELETE", "/__sandbox/faults")
    const verifying = await recordOf(orderId, 1)
    expect(verifying.status).toBe("verifying")
    // …asked for 11 minutes ago (reconcileAfterMinutes is 10), its call long over
    await sql(`UPDATE pagoefectivo_refund SET requested_at = now() - interval '11 minutes', call_lease_until = now() - interval '10 minutes' WHERE refund_id = $1`, [verifying.refund_id])

    await step("queue", async () => {
      await page.goto(`${stack.medusaUrl}/app/orders`)
      await page.getByRole("link", { name: "PagoEfectivo" }).first().click()
      await page.waitForURL((url) => url.pathname.endsWith("/pagoefectivo"))
      await page.getByTestId("pagoefectivo-ops-attention").waitFor()
      const anomaly = queueRow(completed.refund_id)
      await anomaly.waitFor()
      await expect(anomaly.getAttribute("data-kind")).resolves.toBe("anomaly")
      await expect(anomaly.getByTestId("pagoefectivo-ops-attention-kind").textContent()).resolves.toBe("Anomaly")
      await expect(anomaly.getByTestId("pagoefectivo-ops-attention-detail").textContent()).resolves.toMatch(/is completed but the notification says rejected; not applied/)
      await expect(anomaly.getByTestId("pagoefectivo-ops-attention-order").getAttribute("href")).resolves.toMatch(new RegExp(`/orders/${orderId}$`))
      const row = queueRow(verifying.refund_id)
      await expect(row.getAttribute("data-kind")).resolves.toBe("unconfirmed")
      await expect(row.getByTestId("pagoefectivo-ops-attention-kind").textContent()).resolves.toBe("Unconfirmed for long")
      await row.getByText("Verifying").waitFor()
      await screenshot("queue")

      // PagoEfectivo did complete it; nobody told the store. Check now asks, and settles it.
      await sandboxCall("POST", `/__sandbox/refunds/${verifying.refund_id}/complete`, { notify: false })
      await row.getByRole("button", { name: "Check now" }).click()
      await page.getByText("PagoEfectivo completed the refund.").waitFor()
      await row.waitFor({ state: "detached" })
      await expect(queueRow(completed.refund_id).count()).resolves.toBe(1)
      await screenshot("checked")
    })
    expect((await recordOf(orderId, 1)).status).toBe("completed")
    const order = await orderOf(orderId)
    expect(Number(order.summary.refunded_total)).toBe(30)
    expect(order.payment_collections[0].payments[0].refunds.map((r: any) => Number(r.amount)).sort()).toEqual([10, 20])
  })

  it("Reprocess applies a notification that failed", async () => {
    // PagoEfectivo's cip.paid arrives without its transactionCode while its CIP search answers 503
    const { orderId, cip } = await orderPaidByCip({ notify: false })
    await sandboxCall("PUT", "/__sandbox/faults", { path: "/v1/cips/search", status: 503 })
    await deliverSigned({ eventType: "cip.paid", operationNumber: "e2e-failed", data: { cip, currency: "PEN", amount: 199.9 } })
    const failed = await until(async () => {
      const { items } = await adminApi("/admin/pagoefectivo/notifications?status=failed")
      return items.find((n: any) => n.cip === cip)
    }, "the notification to fail")
    await sandboxCall("DELETE", "/__sandbox/faults")
    expect((await orderOf(orderId)).payment_status).not.toBe("captured")

    await step("reprocess", async () => {
      await openPage("notifications")
      const row = page.locator(`[data-testid="pagoefectivo-ops-notification"][data-id="${failed.id}"]`)
      await row.waitFor()
      await expect(row.getByTestId("pagoefectivo-ops-notification-status").textContent()).resolves.toBe("Failed")
      await expect(row.getByTestId("pagoefectivo-ops-notification-error").textContent()).resolves.toMatch(/HTTP 503/)
      await row.locator("summary").click()
      await expect(row.getByTestId("pagoefectivo-ops-notification-payload").textContent()).resolves.toContain(`"cip": "${cip}"`)
      await screenshot("notification-failed")
      await row.getByRole("button", { name: "Reprocess" }).click()
      await page.getByText("Reprocessed: Processed.").waitFor()
      await row.waitFor({ state: "detached" })
      await screenshot("notification-reprocessed")
    })
    await until(async () => (await orderOf(orderId)).payment_status === "captured", "the order to be captured")
  })

  it("Test connection: success against the sandbox, an error when it refuses the credentials; never a credential", async () => {
    await step("health", async () => {
      await openPage("health")
      await expect(page.getByTestId("pagoefectivo-ops-health-base-url").textContent()).resolves.toBe(stack.sandbox.apiUrl)
      await expect(page.getByTestId("pagoefectivo-ops-health-environment").textContent()).resolves.toBe("sandbox")
      await expect(page.getByTestId("pagoefectivo-ops-health-notification-url").textContent()).resolves.toBe(`${stack.medusaUrl}/webhooks/pagoefectivo`)
      await expect(page.getByTestId("pagoefectivo-ops-health-last-notification").textContent()).resolves.not.toBe("—")

      const before = (await sandboxCall("GET", "/__sandbox/state")).counters.requests["POST /v1/authorizations"] ?? 0
      await page.getByRole("button", { name: "Test connection" }).click()
      const result = page.getByTestId("pagoefectivo-ops-test-result")
      await page.locator(`[data-testid="pagoefectivo-ops-test-result"][data-ok="true"]`).waitFor()
      await expect(result.textContent()).resolves.toMatch(new RegExp(`^Connected to ${stack.sandbox.apiUrl} in \\d+ ms: PagoEfectivo issued a token valid until`))
      expect((await sandboxCall("GET", "/__sandbox/state")).counters.requests["POST /v1/authorizations"]).toBe(before + 1)
      await screenshot("test-connection-ok")

      await sandboxCall("PUT", "/__sandbox/faults", { path: "/v1/authorizations", status: 401, times: 1 })
      await page.getByRole("button", { name: "Test connection" }).click()
      await page.locator(`[data-testid="pagoefectivo-ops-test-result"][data-ok="false"]`).waitFor()
      await expect(result.textContent()).resolves.toContain(`${stack.sandbox.apiUrl} refused the test (http, HTTP 401):`)
      await expect(page.getByTestId("pagoefectivo-ops-test-message").textContent()).resolves.toMatch(/^PagoEfectivo authorize failed: HTTP 401 code 401 "Sandbox fault: HTTP 401\."/)
      const html = await page.content()
      for (const secret of [SANDBOX_DEFAULTS.secretKey, SANDBOX_DEFAULTS.accessKey]) expect(html).not.toContain(secret)
      await screenshot("test-connection-refused")
    })
  })

  it("follows the admin's language: Spanish labels after switching to español", async () => {
    await step("spanish", async () => {
      await page.evaluate(() => window.localStorage.setItem("lng", "es"))
      await context.addCookies([{ name: "lng", value: "es", url: stack.medusaUrl }])
      await openPage("attention")
      await page.getByTestId("pagoefectivo-ops-tab-attention").getByText("Requiere atención").waitFor()
      await expect(page.getByTestId("pagoefectivo-ops-attention-kind").first().textContent()).resolves.toBe("Anomalía")
      await screenshot("spanish")
    })
  })
})
