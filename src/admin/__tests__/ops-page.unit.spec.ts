/**
 * The PagoEfectivo page never breaks when the plugin's routes answer errors: each tab shows the
 * route's message where its content would be (react-test-renderer, with the dashboard's router
 * and query client). The page in a real browser: integration-tests/e2e/operations-page.spec.ts.
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query"
import { createElement, type ReactElement } from "react"
import { MemoryRouter } from "react-router-dom"
import { act, create, type ReactTestRenderer } from "react-test-renderer"

Object.assign(globalThis, { __BACKEND_URL__: "http://localhost:9000", __AUTH_TYPE__: "session", __JWT_TOKEN_STORAGE_KEY__: "" })
// Radix's tabs schedule with requestAnimationFrame, which the node test environment lacks
globalThis.requestAnimationFrame ??= ((cb: FrameRequestCallback) => setTimeout(() => cb(Date.now()), 0)) as any
globalThis.cancelAnimationFrame ??= ((id: number) => clearTimeout(id)) as any
/* eslint-disable @typescript-eslint/no-var-requires */
const { default: Page, config } = require("../routes/pagoefectivo/page") as { default: () => ReactElement; config: { label: string; translationNs: string } }
const { AttentionQueue } = require("../components/ops/attention") as typeof import("../components/ops/attention")
const { Health } = require("../components/ops/health") as typeof import("../components/ops/health")
const { Finance } = require("../components/ops/finance") as typeof import("../components/ops/finance")
const { sdk } = require("../lib/sdk") as typeof import("../lib/sdk")
const resources = require("../i18n").default
const i18next = require("i18next").default ?? require("i18next")
const { initReactI18next } = require("react-i18next")
const en = require("../i18n/json/en.json")
const es = require("../i18n/json/es.json")
/* eslint-enable @typescript-eslint/no-var-requires */

const textOf = (r: ReactTestRenderer) => JSON.stringify(r.toJSON())
const byTestId = (r: ReactTestRenderer, id: string) => r.root.findAll((n) => n.props["data-testid"] === id && typeof n.type === "string")
const settle = () => act(async () => void (await new Promise((resolve) => setTimeout(resolve, 30))))

function render(element: ReactElement): ReactTestRenderer {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } })
  let r!: ReactTestRenderer
  act(() => {
    r = create(createElement(QueryClientProvider, { client }, createElement(MemoryRouter, null, element)))
  })
  return r
}

// the dashboard's i18next with the plugin's resources merged in, in English (src/admin/i18n)
beforeAll(() => i18next.use(initReactI18next).init({ resources, lng: "en", fallbackLng: "en", interpolation: { escapeValue: false } }))

describe("PagoEfectivo page", () => {
  beforeEach(() => jest.spyOn(console, "error").mockImplementation(() => undefined))
  afterEach(() => jest.restoreAllMocks())

  it("is in the sidebar with a translated label, in English and Spanish", () => {
    expect(config).toMatchObject({ label: "pagoefectivo.ops.menu", translationNs: "translation" })
    expect(en.pagoefectivo.ops.menu).toBe("PagoEfectivo")
    expect(es.pagoefectivo.ops.tabs.attention).toBe("Requiere atención")
  })

  it("when every route answers an error, each tab shows it in place and the page renders on", async () => {
    jest.spyOn(sdk.client, "fetch").mockImplementation((async () => {
      throw new Error("Internal Server Error")
    }) as any)
    const page = render(createElement(Page))
    await settle()
    expect(byTestId(page, "pagoefectivo-ops")).toHaveLength(1)
    expect(byTestId(page, "pagoefectivo-ops-error")).toHaveLength(1)
    expect(textOf(page)).toContain("Internal Server Error")
    // (the notifications tab's filters are Radix checkboxes, which need a DOM: it is driven in Chromium instead)
    for (const tab of [Health, Finance]) {
      const r = render(createElement(tab))
      await settle()
      expect(byTestId(r, "pagoefectivo-ops-tab-failed")).toHaveLength(0)
      if (tab !== Finance) expect(textOf(r)).toContain("Internal Server Error")
    }
  })

  it("Health says when the installed Medusa differs from the tables the plugin writes, and what differs", async () => {
    const health = (medusa: Record<string, unknown>) => ({
      refund_mode: "api", environment: "sandbox", base_url: "http://localhost:4010/v1", notification_url: "http://localhost:9000/webhooks/pagoefectivo",
      record_outside_refunds: false, auto_refund_on_return: false, last_notification_at: null,
      reconciliation: { every_minutes: 5, after_minutes: 10, last_run: null, overdue: false }, medusa,
    })
    const answer = (medusa: Record<string, unknown>) =>
      jest.spyOn(sdk.client, "fetch").mockImplementation((async (path: string) => (path === "/admin/pagoefectivo/health" ? health(medusa) : { items: [], next_cursor: null })) as any)
    answer({ version: "2.22.0", books_written: false, differences: ["order_credit_line.reference_id is missing"], checked_at: "2026-12-07T10:00:00.000Z" })
    const r = render(createElement(Health))
    await settle()
    expect(byTestId(r, "pagoefectivo-ops-health-medusa-differs")).toHaveLength(1)
    expect(textOf(r)).toContain("Medusa 2.22.0 differs from the tables this plugin writes")
    expect(textOf(r)).toContain("order_credit_line.reference_id is missing")

    jest.restoreAllMocks()
    answer({ version: "2.21.2", books_written: true, differences: [], checked_at: "2026-12-07T10:00:00.000Z" })
    const ok = render(createElement(Health))
    await settle()
    expect(byTestId(ok, "pagoefectivo-ops-health-medusa-differs")).toHaveLength(0)
    expect(textOf(ok)).toContain("2.21.2: its tables are the ones the plugin writes")
  })

  it("an answer of an unexpected shape does not break the queue", async () => {
    jest.spyOn(sdk.client, "fetch").mockImplementation((async () => ({ unexpected: true })) as any)
    const r = render(createElement(AttentionQueue))
    await settle()
    expect(byTestId(r, "pagoefectivo-ops-attention")).toHaveLength(1)
  })

  it("lists the queue's rows with their order link and their actions", async () => {
    const row = (kind: string, actions: string[], extra: Record<string, unknown> = {}) => ({
      kind, key: `refund:${kind}`, at: "2026-12-01T10:00:00.000Z", order_id: "order_1", refund_id: `ref_${kind}`, return_id: null, notification_id: null,
      cip: "2523136", amount: "40.00", currency_code: "PEN", status: "verifying", detail: null, anomaly: null, actions, ...extra,
    })
    jest.spyOn(sdk.client, "fetch").mockImplementation((async () => ({
      items: [row("unconfirmed", ["check"]), row("awaiting_transfer", ["mark_transferred", "mark_failed"]), row("outside", ["record"], { notification_id: "penotif_1" })],
      next_cursor: "abc",
      unconfirmed_after_minutes: 10,
    })) as any)
    const r = render(createElement(AttentionQueue))
    await settle()
    expect(byTestId(r, "pagoefectivo-ops-attention-row")).toHaveLength(3)
    const text = textOf(r)
    for (const label of ["Check now", "Mark transferred", "Mark failed", "Record in Medusa", "Load more", "Made in PagoEfectivo's panel"]) expect(text).toContain(label)
    expect(r.root.findAll((n) => n.props.href === "/orders/order_1" && typeof n.type === "string")).toHaveLength(3)
  })
})
