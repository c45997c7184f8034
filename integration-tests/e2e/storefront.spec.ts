/**
 * The shopper's side in a real browser: the demo's storefront page (scripts/lib/demo-storefront.ts,
 * the storefront kit on the real store API) in Debian's Chromium through playwright-core, against
 * the built Medusa and the PagoEfectivo sandbox (integration-tests/e2e/lib/stack.ts, which reuses
 * the admin spec's `medusa build` when it ran first). A shopper buys with PagoEfectivo, sees the
 * voucher with the sandbox's CIP, pays it on the sandbox's voucher page ("Simulate payment"), and
 * the page turns to paid without a reload.
 *
 *   npm test -- integration-tests/e2e/storefront
 *
 * Screenshots: integration-tests/e2e/artifacts/storefront-*.png. Skipped without Chromium outside
 * CI, as the admin spec is.
 */
import fs from "fs"
import path from "path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { ARTIFACTS, type Stack, startStack } from "./lib/stack"

const CHROMIUM = "/usr/bin/chromium"
const haveChromium = fs.existsSync(CHROMIUM)
const inCi = !!process.env.CI && process.env.CI !== "false"

if (!haveChromium && !inCi) {
  process.stderr.write(`[e2e] SKIPPED integration-tests/e2e/storefront.spec.ts: ${CHROMIUM} is missing (apt-get install -y chromium).\n`)
}

const describeE2e = haveChromium || inCi ? describe : describe.skip

describeE2e("storefront: the PagoEfectivo voucher on the demo's shopper page (headless Chromium)", () => {
  let stack: Stack
  let browser: Browser
  let context: BrowserContext
  let page: Page

  /** storefront-NAME.png: the page; storefront-NAME-voucher.png: the voucher alone (README's picture). */
  const shot = async (name: string) => {
    await page.screenshot({ path: path.join(ARTIFACTS, `storefront-${name}.png`), fullPage: true }).catch(() => undefined)
    if (await voucher().isVisible().catch(() => false)) {
      await voucher().screenshot({ path: path.join(ARTIFACTS, `storefront-${name}-voucher.png`) }).catch(() => undefined)
    }
  }
  const voucher = () => page.getByTestId("pagoefectivo-voucher")
  const text = (testId: string) => voucher().getByTestId(testId).textContent()

  /** A step that leaves a screenshot behind when it fails. */
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      await shot(`FAILED-${name}`)
      throw e
    }
  }

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI is set: .ci/run should have installed Debian's chromium`)
    stack = await startStack({ storefront: true })
    const { chromium } = await import("playwright-core")
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
    })
    context = await browser.newContext({ viewport: { width: 900, height: 1200 }, locale: "es-PE" })
    page = await context.newPage()
    page.setDefaultTimeout(20_000)
  }, 15 * 60_000)

  afterAll(async () => {
    await context?.close().catch(() => undefined)
    await browser?.close().catch(() => undefined)
    if (stack) {
      process.stderr.write(`[e2e] storefront timings: ${JSON.stringify(stack.timings)}\n`)
      await stack.stop()
    }
  }, 60_000)

  let cip: string

  it("checks out with PagoEfectivo and shows the sandbox's CIP, the amount and a running countdown, in Spanish", async () => {
    await step("checkout", async () => {
      await page.goto(stack.storefrontUrl!)
      await page.getByTestId("demo-price").waitFor()
      await page.getByRole("button", { name: "Comprar con PagoEfectivo" }).click()
      await voucher().waitFor()

      // the CIP the sandbox issued for this order
      const { cips } = await (await fetch(`${stack.sandbox.url}/__sandbox/state`)).json()
      expect(cips).toHaveLength(1)
      cip = String(cips[0].cip)
      await expect(text("pagoefectivo-cip-code")).resolves.toBe(cip)
      await expect(text("pagoefectivo-amount")).resolves.toBe("S/ 199.90")
      expect(Number(cips[0].amount)).toBe(199.9)
      await expect(voucher().getAttribute("data-status")).resolves.toBe("pending")

      // the countdown runs: it reads less a moment later
      const first = (await text("pagoefectivo-countdown"))!
      expect(first).toMatch(/^(\d+ d )?\d{2}:\d{2}:\d{2}$/)
      await page.waitForFunction(
        (before) => document.querySelector('[data-testid="pagoefectivo-countdown"]')?.textContent !== before,
        first,
        { timeout: 5_000 }
      )
      const toSeconds = (s: string) => s.split(":").reduce((acc, n) => acc * 60 + Number(n), 0)
      const second = (await text("pagoefectivo-countdown"))!
      expect(toSeconds(second.replace(/^\d+ d /, ""))).toBeLessThan(toSeconds(first.replace(/^\d+ d /, "")))

      // a QR code of the voucher URL, and the link to it
      await expect(voucher().getByTestId("pagoefectivo-qr").locator("svg").count()).resolves.toBe(1)
      await expect(voucher().getByTestId("pagoefectivo-voucher-link").getAttribute("href")).resolves.toBe(cips[0].cipUrl)

      // Spanish labels
      await expect(text("pagoefectivo-status")).resolves.toBe("Pendiente de pago")
      for (const label of ["Paga con PagoEfectivo", "Código de pago (CIP)", "Monto a pagar", "Vence el", "Tiempo restante", "Cómo pagar", "Copiar"]) {
        await voucher().getByText(label, { exact: true }).first().waitFor()
      }
      await expect(text("pagoefectivo-expires")).resolves.toMatch(/\(hora de Lima\)$/)
      await expect(voucher().getByTestId("pagoefectivo-steps").locator("li").count()).resolves.toBe(3)
      await voucher().getByText(/agente o bodega/).waitFor()
      await voucher().getByText(/banca por internet o app móvil/).waitFor()
      await shot("voucher")
    })
  })

  it("paying on the sandbox's voucher page turns the page to paid within 5 s, without a reload", async () => {
    await step("paid", async () => {
      // a mark on the page: a reload would wipe it
      await page.evaluate(() => ((window as unknown as { __notReloaded: boolean }).__notReloaded = true))

      const [sandboxPage] = await Promise.all([context.waitForEvent("page"), voucher().getByTestId("pagoefectivo-voucher-link").click()])
      await sandboxPage.waitForLoadState()
      await sandboxPage.getByText(cip, { exact: true }).waitFor()
      await sandboxPage.getByRole("button", { name: /Simulate payment/ }).click()
      // the sandbox's page reloads itself, paid, without the button
      await sandboxPage.getByRole("button", { name: /Simulate payment/ }).waitFor({ state: "detached" })

      await page.bringToFront()
      await voucher().locator('[data-testid="pagoefectivo-status"]:text-is("Pagado")').waitFor({ timeout: 5_000 })
      await expect(voucher().getAttribute("data-status")).resolves.toBe("paid")
      await expect(text("pagoefectivo-message")).resolves.toBe("¡Recibimos tu pago! Tu pedido está confirmado.")
      await expect(page.evaluate(() => (window as unknown as { __notReloaded?: boolean }).__notReloaded)).resolves.toBe(true)
      // the paid status came through the store: the order is captured
      const { order } = await (
        await fetch(`${stack.medusaUrl}/admin/orders/${new URL(page.url()).searchParams.get("order")}?fields=payment_status`, {
          headers: { authorization: `Bearer ${stack.token}` },
        })
      ).json()
      expect(order.payment_status).toBe("captured")
      await shot("paid")
      await sandboxPage.close()
    })
  })

  it("speaks English when the shopper switches", async () => {
    await step("english", async () => {
      await page.getByTestId("lang-en").click()
      await expect(text("pagoefectivo-status")).resolves.toBe("Paid")
      await voucher().getByText("Amount paid", { exact: true }).waitFor()
    })
  })
})
