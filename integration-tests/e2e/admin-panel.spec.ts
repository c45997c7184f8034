/**
 * The PagoEfectivo panel on the admin's order page, in a real browser: Debian's Chromium
 * (/usr/bin/chromium) driven by playwright-core, against a Medusa built with its admin
 * (`medusa build`) and served by `medusa start`, with the PagoEfectivo sandbox running
 * (integration-tests/e2e/lib/stack.ts). Staff use Medusa's own Refund button; the panel must show
 * what PagoEfectivo did with each refund.
 *
 *   npm test -- integration-tests/e2e      (or: TEST_TYPE=e2e via scripts/test.js only)
 *
 * Screenshots and logs: integration-tests/e2e/artifacts/ (git-ignored). Without Chromium the spec
 * is skipped with the reason on a developer's machine, and fails in CI (CI=true), where .ci/run
 * installs it.
 */
import type { Browser, BrowserContext, Locator, Page } from "playwright-core"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { CHROMIUM, apis, closeAll, describeInChromium, haveChromium, launchChromium, screenshots } from "./lib/browser"
import { ADMIN_EMAIL, ADMIN_PASSWORD, type Stack, startStack } from "./lib/stack"

const describeE2e = describeInChromium("integration-tests/e2e/admin-panel.spec.ts")

/** Waits for the UI: refund results arrive in the background and the panel polls every 3 s. */
const UI_TIMEOUT = 20_000

describeE2e("admin order page: PagoEfectivo panel (headless Chromium)", () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let page: Page
  let orderId: string
  let paymentId: string
  let cip: string

  /**
   * NN-name.png: the window, scrolled to the panel when there is one (the admin scrolls inside its
   * own container, so a "full page" shot would stop at the first screen); NN-name-panel.png: the
   * panel alone.
   */
  const { screenshot, step } = screenshots(() => page, "", async (file) => {
    const hasPanel = await panel().isVisible().catch(() => false)
    if (hasPanel) await panel().scrollIntoViewIfNeeded().catch(() => undefined)
    await page.screenshot({ path: file }).catch(() => undefined)
    if (hasPanel) await panel().screenshot({ path: file.replace(/\.png$/, "-panel.png") }).catch(() => undefined)
  })

  const { adminApi, sandboxCall } = apis(() => stack)
  const orderTotals = async () => {
    const { order } = await adminApi(`/admin/orders/${orderId}?fields=id,payment_status,summary.*,payment_collections.refunded_amount`)
    return { refunded: Number(order.summary.refunded_total), paymentStatus: order.payment_status as string }
  }
  /** The order's latest refund record (its refund_id is Medusa's Refund id), from the panel's route. */
  const lastRecord = async () => {
    const { refunds } = await adminApi(`/admin/pagoefectivo/orders/${orderId}`)
    return (refunds[refunds.length - 1] ?? null) as { refund_id: string; status: string } | null
  }

  const panel = () => page.getByTestId("pagoefectivo-panel")
  const refundRow = (refundId: string) => panel().locator(`[data-testid="pagoefectivo-refund"][data-refund-id="${refundId}"]`)
  const badgeOf = (row: Locator) => row.getByTestId("pagoefectivo-refund-status")
  const paymentsSection = () => page.locator("div.shadow-elevation-card-rest").filter({ has: page.getByRole("heading", { name: "Payments" }) })

  /** Medusa's own Refund button (the payment's action menu → Refund), an amount, Save. */
  const refundThroughMedusa = async (amount: string) => {
    const before = await lastRecord()
    const section = paymentsSection()
    await section.locator("button[aria-haspopup='menu']").first().click()
    await page.getByRole("menuitem", { name: "Refund" }).click()
    const drawer = page.getByRole("dialog")
    await drawer.getByRole("heading", { name: "Create Refund" }).waitFor({ timeout: UI_TIMEOUT })
    const input = drawer.getByLabel("Amount")
    await input.fill("")
    await input.fill(amount)
    await screenshot(`refund-drawer-${amount}`)
    await drawer.getByRole("button", { name: "Save" }).click()
    // Medusa's own toast for this amount (an earlier refund's may still be on screen)
    await page.getByText(new RegExp(`Refund of amount \\D*${amount}\\.00 successful`)).first().waitFor({ timeout: UI_TIMEOUT })
    await drawer.waitFor({ state: "detached", timeout: UI_TIMEOUT })
    const refundId = (await lastRecord())!.refund_id
    expect(refundId).not.toBe(before?.refund_id)
    return refundId
  }

  beforeAll(async () => {
    if (!haveChromium) {
      throw new Error(`${CHROMIUM} is missing and CI is set: .ci/run should have installed Debian's chromium (apt-get install -y chromium)`)
    }
    // PagoEfectivo's "refunds not enabled" (403, 601) then leaves a refund awaiting a bank
    // transfer by staff, as manual refund mode does: the panel's manual actions are tested so.
    stack = await startStack({ env: { PAGOEFECTIVO_MANUAL_REFUND_FALLBACK: "true" } })

    // A shopper buys through the store API and pays the CIP at the sandbox.
    const store = { baseUrl: stack.medusaUrl, publishableKey: stack.seeded.publishableKey }
    const checkout = await checkoutWithCip(store, { regionId: stack.seeded.regionId, variantId: stack.seeded.variantId, email: "rosa@example.pe" })
    orderId = checkout.order.id
    cip = String(checkout.session.data.cip)
    await sandboxCall("POST", `/__sandbox/cips/${cip}/pay`, { wait: true })
    const deadline = Date.now() + 60_000
    for (;;) {
      const { order } = await adminApi(`/admin/orders/${orderId}?fields=id,payment_status,summary.*,payment_collections.payments.id`)
      if (order.payment_status === "captured" && Number(order.summary.paid_total) > 0) {
        paymentId = order.payment_collections[0].payments[0].id
        break
      }
      if (Date.now() > deadline) throw new Error(`order ${orderId} not captured 60 s after the CIP was paid (${order.payment_status})`)
      await new Promise((r) => setTimeout(r, 250))
    }

    ;({ browser, context, page } = await launchChromium())
    page.setDefaultTimeout(UI_TIMEOUT)
  }, 15 * 60_000)

  afterAll(() => closeAll(context, browser, stack), 60_000)

  it("logs in through the admin's login page", async () => {
    await step("login", async () => {
      await page.goto(`${stack.medusaUrl}/app/login`)
      await page.getByPlaceholder("Email").fill(ADMIN_EMAIL)
      await page.getByPlaceholder("Password").fill(ADMIN_PASSWORD)
      await screenshot("login")
      await page.getByRole("button", { name: "Continue with Email" }).click()
      await page.waitForURL((url) => !url.pathname.endsWith("/login"), { timeout: UI_TIMEOUT })
      // the session cookie, not a token in the page, is what authenticates the panel's calls
      const cookies = await context.cookies(stack.medusaUrl)
      expect(cookies.map((c) => c.name)).toContain("connect.sid")
    })
  })

  it("shows the CIP of an order paid by CIP", async () => {
    await step("cip", async () => {
      await page.goto(`${stack.medusaUrl}/app/orders/${orderId}`)
      await panel().waitFor()
      await expect(panel().getByTestId("pagoefectivo-cip-code").textContent()).resolves.toBe(cip)
      await expect(panel().getByTestId("pagoefectivo-cip-status").textContent()).resolves.toBe("Paid")
      await expect(panel().getByTestId("pagoefectivo-cip-amount").textContent()).resolves.toMatch(/199\.90/)
      const voucher = await panel().getByTestId("pagoefectivo-voucher-link").getAttribute("href")
      expect(voucher).toMatch(new RegExp(`^${stack.sandbox.url}/voucher/`))
      await expect(panel().getByTestId("pagoefectivo-no-refunds").isVisible()).resolves.toBe(true)
      await screenshot("order-paid")
    })
  })

  it("a partial refund with Medusa's Refund button shows pending, then completed when PagoEfectivo says so", async () => {
    await step("refund-completed", async () => {
      const refundId = await refundThroughMedusa("40")
      const row = refundRow(refundId)
      await row.waitFor()
      await expect(badgeOf(row).textContent()).resolves.toBe("Pending")
      await expect(row.getByTestId("pagoefectivo-refund-amount").textContent()).resolves.toMatch(/40\.00/)
      const [gateway] = (await sandboxCall("GET", "/__sandbox/state")).refunds
      await expect(row.getByTestId("pagoefectivo-refund-reference").textContent()).resolves.toBe(gateway.referenceId)
      await expect(row.getByTestId("pagoefectivo-refund-trace").textContent()).resolves.toBe(gateway.traceId)
      await expect(row.getByRole("button", { name: "Check status now" }).isVisible()).resolves.toBe(true)
      await screenshot("refund-pending")
      expect(await orderTotals()).toEqual({ refunded: 40, paymentStatus: "partially_refunded" })

      // PagoEfectivo settles it and notifies the store; the panel follows without a reload
      await sandboxCall("POST", `/__sandbox/refunds/${refundId}/complete`, { wait: true })
      await row.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Completed")`).waitFor()
      await expect(row.getByTestId("pagoefectivo-refund-settled").textContent()).resolves.not.toBe("—")
      await expect(row.getByRole("button", { name: "Check status now" }).count()).resolves.toBe(0)
      await screenshot("refund-completed")
      expect((await orderTotals()).refunded).toBe(40)
    })
  })

  it("a second refund PagoEfectivo rejects shows rejected with the reason, and the order's refunded total returns", async () => {
    await step("refund-rejected", async () => {
      const refundId = await refundThroughMedusa("30")
      const row = refundRow(refundId)
      await row.waitFor()
      await expect(badgeOf(row).textContent()).resolves.toBe("Pending")
      expect((await orderTotals()).refunded).toBe(70)
      // Medusa's own payment section counts it meanwhile: 199.90 - 70.00 paid by the customer
      await paymentsSection().getByText(/129\.90/).first().waitFor()
      await screenshot("second-refund-pending")

      await sandboxCall("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta destino cerrada", wait: true })
      await row.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Rejected")`).waitFor()
      await expect(row.getByTestId("pagoefectivo-refund-reason").textContent()).resolves.toBe("cuenta destino cerrada")
      await expect(row.getByTestId("pagoefectivo-refund-not-counted").textContent()).resolves.toBe("No longer counted by Medusa")
      // the first refund is untouched
      const rows = panel().getByTestId("pagoefectivo-refund")
      await expect(rows.count()).resolves.toBe(2)
      await expect(badgeOf(rows.first()).textContent()).resolves.toBe("Completed")

      // the refunded total is back to the first refund only, in the API and on the page
      expect(await orderTotals()).toEqual({ refunded: 40, paymentStatus: "partially_refunded" })
      await paymentsSection().getByText(/159\.90/).first().waitFor()
      await screenshot("second-refund-rejected")
    })
  })

  it("“Check status now” settles a refund whose result PagoEfectivo never notified", async () => {
    await step("check-now", async () => {
      const refundId = await refundThroughMedusa("25")
      const row = refundRow(refundId)
      await row.waitFor()
      await expect(badgeOf(row).textContent()).resolves.toBe("Pending")
      expect((await orderTotals()).refunded).toBe(65)

      // rejected at PagoEfectivo, but the notification never comes
      await sandboxCall("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "saldo insuficiente", notify: false })
      await new Promise((r) => setTimeout(r, 4000)) // more than a polling round: nothing changes by itself
      await expect(badgeOf(row).textContent()).resolves.toBe("Pending")

      await row.getByRole("button", { name: "Check status now" }).click()
      await page.getByText("PagoEfectivo did not make the refund; Medusa no longer counts it.").waitFor()
      await row.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Rejected")`).waitFor()
      await expect(row.getByTestId("pagoefectivo-refund-reason").textContent()).resolves.toBe("saldo insuficiente")
      expect((await orderTotals()).refunded).toBe(40)
      await screenshot("check-status-now")
    })
  })

  it("a refund awaiting a bank transfer is marked transferred, another marked failed (manual refunds)", async () => {
    await step("manual", async () => {
      await sandboxCall("PUT", "/__sandbox/config", { refundsEnabled: false })
      try {
        // 1. transferred
        const first = await refundThroughMedusa("20")
        const row = refundRow(first)
        await row.waitFor()
        await expect(badgeOf(row).textContent()).resolves.toBe("Awaiting transfer")
        await expect(row.getByRole("button", { name: "Check status now" }).count()).resolves.toBe(0)
        expect((await orderTotals()).refunded).toBe(60)
        await screenshot("awaiting-transfer")

        await row.getByRole("button", { name: "Mark as transferred" }).click()
        const drawer = page.getByRole("dialog")
        await drawer.getByRole("heading", { name: "Mark the refund as transferred" }).waitFor()
        await drawer.getByLabel("Bank transfer reference").fill("BCP-000123")
        await screenshot("mark-transferred")
        await drawer.getByRole("button", { name: "Save" }).click()
        await page.getByText("Refund marked as transferred.").waitFor()
        await row.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Completed")`).waitFor()
        await row.getByText("Bank reference: BCP-000123").waitFor()
        expect((await orderTotals()).refunded).toBe(60)

        // 2. failed: Medusa stops counting it
        const second = await refundThroughMedusa("15")
        const row2 = refundRow(second)
        await row2.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Awaiting transfer")`).waitFor()
        expect((await orderTotals()).refunded).toBe(75)
        await row2.getByRole("button", { name: "Mark as failed" }).click()
        const drawer2 = page.getByRole("dialog")
        await drawer2.getByRole("heading", { name: "Mark the refund as failed" }).waitFor()
        await drawer2.getByLabel("Reason").fill("cuenta de destino inválida")
        await drawer2.getByRole("button", { name: "Save" }).click()
        await page.getByText("Refund marked as failed.").waitFor()
        await row2.locator(`[data-testid="pagoefectivo-refund-status"]:text-is("Failed")`).waitFor()
        await expect(row2.getByTestId("pagoefectivo-refund-reason").textContent()).resolves.toBe("cuenta de destino inválida")
        await row2.getByTestId("pagoefectivo-refund-not-counted").waitFor()
        expect((await orderTotals()).refunded).toBe(60)
        await screenshot("manual-settled")
      } finally {
        await sandboxCall("PUT", "/__sandbox/config", { refundsEnabled: true })
      }
    })
  })

  it("follows the admin's language: Spanish labels after switching to español", async () => {
    await step("spanish", async () => {
      // what Profile → Language stores (i18next's `lng` cookie and localStorage key)
      await page.evaluate(() => window.localStorage.setItem("lng", "es"))
      await context.addCookies([{ name: "lng", value: "es", url: stack.medusaUrl }])
      await page.reload()
      await panel().waitFor()
      await panel().getByRole("heading", { name: "Reembolsos" }).waitFor()
      const badges = await panel().getByTestId("pagoefectivo-refund-status").allTextContents()
      expect(badges).toEqual(["Completado", "Rechazado", "Rechazado", "Completado", "Fallido"])
      await expect(panel().getByTestId("pagoefectivo-cip-status").textContent()).resolves.toBe("Pagado")
      await expect(panel().getByText("Medusa ya no lo cuenta").count()).resolves.toBe(3)
      await panel().getByText("Referencia bancaria: BCP-000123").waitFor()
      await screenshot("spanish")
    })
  })
})
