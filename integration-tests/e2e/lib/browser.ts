/**
 * What a browser spec needs beside the stack (lib/stack.ts): Debian's Chromium through
 * playwright-core, the admin's login page, screenshots that name the step that failed, and the
 * store's and the sandbox's APIs over HTTP.
 */
import fs from "fs"
import path from "path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { sign } from "../../../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS } from "../../../sandbox/server"
import { ADMIN_EMAIL, ADMIN_PASSWORD, ARTIFACTS, type Stack } from "./stack"

export const CHROMIUM = "/usr/bin/chromium"
export const haveChromium = fs.existsSync(CHROMIUM)
const inCi = !!process.env.CI && process.env.CI !== "false"

/** `describe` where Chromium is (or must be: CI), else `describe.skip` with the reason printed. */
export function describeInChromium(spec: string) {
  if (!haveChromium && !inCi) {
    process.stderr.write(
      `[e2e] SKIPPED ${spec}: ${CHROMIUM} is missing. Install Debian's Chromium (apt-get install -y chromium) to run it; in CI it is installed by .ci/run and required.\n`
    )
  }
  return haveChromium || inCi ? describe : describe.skip
}

export async function launchChromium(): Promise<{ browser: Browser; context: BrowserContext; page: Page }> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is missing and CI is set: .ci/run should have installed Debian's chromium (apt-get install -y chromium)`)
  const { chromium } = await import("playwright-core")
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"],
  })
  const context = await browser.newContext({ viewport: { width: 1440, height: 1600 }, locale: "en-US" })
  return { browser, context, page: await context.newPage() }
}

/** Closes the browser and stops the stack (printing its timings), whatever started. */
export async function closeAll(context: BrowserContext | undefined, browser: Browser | undefined, stack: Stack | undefined) {
  await context?.close().catch(() => undefined)
  await browser?.close().catch(() => undefined)
  if (stack) {
    process.stderr.write(`[e2e] timings: ${JSON.stringify(stack.timings)}\n`)
    await stack.stop()
  }
}

/** The admin's own login page, as staff log in. */
export async function loginToAdmin(page: Page, medusaUrl: string, timeout: number) {
  await page.goto(`${medusaUrl}/app/login`)
  await page.getByPlaceholder("Email").fill(ADMIN_EMAIL)
  await page.getByPlaceholder("Password").fill(ADMIN_PASSWORD)
  await page.getByRole("button", { name: "Continue with Email" }).click()
  await page.waitForURL((url) => !url.pathname.endsWith("/login"), { timeout })
}

/**
 * [<prefix>-]NN-name.png of the window (or what `shoot` makes of that file name), and a step that
 * leaves one behind when it fails.
 */
export function screenshots(page: () => Page, prefix: string, shoot?: (file: string) => Promise<void>) {
  let shot = 0
  const screenshot = async (name: string) => {
    shot++
    const file = path.join(ARTIFACTS, `${prefix ? `${prefix}-` : ""}${String(shot).padStart(2, "0")}-${name}.png`)
    await (shoot ? shoot(file) : page().screenshot({ path: file }).then(() => undefined)).catch(() => undefined)
    return file
  }
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn()
    } catch (e) {
      const file = await screenshot(`FAILED-${name}`)
      throw Object.assign(e as Error, { message: `${(e as Error).message}\n(screenshot: ${path.relative(process.cwd(), file)})` })
    }
  }
  return { screenshot, step }
}

/** The store's admin API with the stack's admin token, and the sandbox's control API. */
export function apis(stack: () => Stack) {
  const adminApi = async (p: string, init: RequestInit = {}) => {
    const res = await fetch(stack().medusaUrl + p, {
      ...init,
      headers: { authorization: `Bearer ${stack().token}`, "content-type": "application/json", ...(init.headers ?? {}) },
    })
    const body: any = await res.json().catch(() => ({}))
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${p} → ${res.status} ${JSON.stringify(body)}`)
    return body
  }
  const sandboxCall = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(stack().sandbox.url + p, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    if (!res.ok) throw new Error(`sandbox ${method} ${p} → ${res.status} ${await res.text()}`)
    return res.json().catch(() => undefined)
  }
  /** A notification to the store's URL, signed as PagoEfectivo signs it (the sandbox's secret). */
  const deliverSigned = async (notification: unknown) => {
    const body = JSON.stringify(notification)
    const res = await fetch(`${stack().medusaUrl}/webhooks/pagoefectivo`, {
      method: "POST",
      headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) },
      body,
    })
    if (!res.ok) throw new Error(`POST /webhooks/pagoefectivo → ${res.status} ${await res.text()}`)
  }
  return { adminApi, sandboxCall, deliverSigned }
}

/** Polls until `probe` answers something truthy (a condition, not a timing assertion). */
export async function until<T>(probe: () => Promise<T>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await probe()
    if (last) return last
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`)
    await new Promise((r) => setTimeout(r, 250))
  }
}
