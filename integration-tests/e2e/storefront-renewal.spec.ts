/**
 * An expired CIP on the demo's storefront page, in a real browser (as storefront.spec.ts, on a
 * stack of its own with renewExpiredCip on and CIPs that expire 30 s after they are issued):
 * the countdown runs out before PagoEfectivo's cip.expired arrives (the sandbox's notifications
 * are held back), the voucher shows the code expired and "Obtener un nuevo código"; pressing it
 * shows the fresh CIP with its running countdown, without a reload; paying it captures the order.
 *
 *   npm test -- integration-tests/e2e/storefront-renewal
 *
 * Screenshots: integration-tests/e2e/artifacts/storefront-renewal-NN-*.png. Skipped without Chromium
 * outside CI.
 */
import type { Browser, Page } from "playwright-core"
import { CHROMIUM, haveChromium, screenshots } from "./lib/browser"
import { type Stack, startStack } from "./lib/stack"

const inCi = !!process.env.CI && process.env.CI !== "false"
if (!haveChromium && !inCi) {
  process.stderr.write(`[e2e] SKIPPED integration-tests/e2e/storefront-renewal.spec.ts: ${CHROMIUM} is missing (apt-get install -y chromium).\n`)
}
const describeE2e = haveChromium || inCi ? describe : describe.skip

const EXPIRY_SECONDS = 30

describeE2e("storefront: an expired CIP gets a new code from the voucher (headless Chromium)", () => {
  let stack: Stack
  let browser: Browser
  let page: Page
  const voucher = () => page.getByTestId("pagoefectivo-voucher")
  const text = (testId: string) => voucher().getByTestId(testId).textContent()
  const sandbox = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(stack.sandbox.url + p, { method, headers: body ? { "content-type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined })
    if (!res.ok) throw new Error(`sandbox ${method} ${p} → ${res.status} ${await res.text()}`)
    return res.json()
  }
  // full-page shots: the voucher sits below the order summary
  const { screenshot: shot, step } = screenshots(() => page, "storefront-renewal", (file) => page.screenshot({ path: file, fullPage: true }).then(() => undefined))

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI is set: .ci/run should have installed Debian's chromium`)
    stack = await startStack({
      storefront: true,
      env: { PAGOEFECTIVO_RENEW_EXPIRED_CIP: "true", PAGOEFECTIVO_CIP_EXPIRY_HOURS: String(EXPIRY_SECONDS / 3600) },
    })
    // PagoEfectivo's cip.expired is late: nothing reaches the store until the spec says so
    await sandbox("PUT", "/__sandbox/config", { notifyUrl: "http://127.0.0.1:9/late" })
    const { chromium } = await import("playwright-core")
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] })
    const context = await browser.newContext({ viewport: { width: 900, height: 1200 }, locale: "es-PE" })
    page = await context.newPage()
    page.setDefaultTimeout(20_000)
  }, 15 * 60_000)

  afterAll(async () => {
    await browser?.close().catch(() => undefined)
    await stack?.stop()
  }, 60_000)

  it("the countdown runs out: 'Obtener un nuevo código', then the fresh CIP with its countdown, without a reload; paying it captures the order", async () => {
    const first = await step("checkout", async () => {
      await page.goto(stack.storefrontUrl!)
      await page.getByTestId("demo-price").waitFor()
      await page.getByRole("button", { name: "Comprar con PagoEfectivo" }).click()
      await voucher().waitFor()
      const { cips } = await sandbox("GET", "/__sandbox/state")
      expect(cips).toHaveLength(1)
      await expect(text("pagoefectivo-cip-code")).resolves.toBe(String(cips[0].cip))
      await expect(voucher().getByTestId("pagoefectivo-renew").count()).resolves.toBe(0)
      await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true))
      return String(cips[0].cip)
    })

    await step("expired", async () => {
      await page.locator('[data-testid="pagoefectivo-voucher"][data-status="expired"]').waitFor({ timeout: (EXPIRY_SECONDS + 20) * 1000 })
      const renew = voucher().getByTestId("pagoefectivo-renew")
      await renew.waitFor({ timeout: 15_000 })
      await expect(renew.textContent()).resolves.toBe("Obtener un nuevo código")
      await expect(text("pagoefectivo-status")).resolves.toBe("Vencido")
      await expect(text("pagoefectivo-message")).resolves.toMatch(/Tu pedido sigue reservado/)
      await shot("expired")
    })

    const fresh = await step("renewed", async () => {
      // the sandbox has expired the CIP by now (its sweeper): the store confirms that before issuing
      await voucher().getByTestId("pagoefectivo-renew").click()
      await page.waitForFunction((old) => {
        const code = document.querySelector('[data-testid="pagoefectivo-cip-code"]')?.textContent
        return !!code && code !== old
      }, first)
      const { cips } = await sandbox("GET", "/__sandbox/state")
      expect(cips).toHaveLength(2)
      const code = (await text("pagoefectivo-cip-code"))!
      expect(cips.map((c: { cip: number }) => String(c.cip))).toEqual(expect.arrayContaining([first, code]))
      await expect(voucher().getAttribute("data-status")).resolves.toBe("pending")
      await expect(voucher().getByTestId("pagoefectivo-renew").count()).resolves.toBe(0)
      const before = (await text("pagoefectivo-countdown"))!
      expect(before).toMatch(/^\d{2}:\d{2}:\d{2}$/)
      await page.waitForFunction((b) => document.querySelector('[data-testid="pagoefectivo-countdown"]')?.textContent !== b, before, { timeout: 5_000 })
      await expect(page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).resolves.toBe(true)
      await shot("renewed")
      return code
    })

    await step("paid", async () => {
      await sandbox("PUT", "/__sandbox/config", { notifyUrl: `${stack.medusaUrl}/webhooks/pagoefectivo` })
      await sandbox("POST", `/__sandbox/cips/${fresh}/pay`, { wait: true })
      await voucher().locator('[data-testid="pagoefectivo-status"]:text-is("Pagado")').waitFor({ timeout: 10_000 })
      const orderId = new URL(page.url()).searchParams.get("order")
      const { order } = await (
        await fetch(`${stack.medusaUrl}/admin/orders/${orderId}?fields=payment_status,*payment_collections.payments`, { headers: { authorization: `Bearer ${stack.token}` } })
      ).json()
      expect(order.payment_status).toBe("captured")
      expect(order.payment_collections[0].payments).toHaveLength(1)
      expect(String(order.payment_collections[0].payments[0].data.cip)).toBe(fresh)
      await shot("paid")
    })
  })
})
