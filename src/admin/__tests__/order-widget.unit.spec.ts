/**
 * The order panel never breaks an order page: rendered (react-test-renderer) the way the
 * dashboard renders a widget, but without the dashboard's providers where a store may lack them
 * (a react-router-dom or react-query that is not the dashboard's copy has no context to offer).
 */
import { QueryClient, QueryClientProvider } from "@tanstack/react-query"
import { createElement, type ReactElement } from "react"
import { MemoryRouter } from "react-router-dom"
import { act, create, type ReactTestRenderer } from "react-test-renderer"

// What the admin bundler defines at build time (src/admin/lib/sdk.ts reads them when loaded).
Object.assign(globalThis, { __BACKEND_URL__: "http://localhost:9000", __AUTH_TYPE__: "session", __JWT_TOKEN_STORAGE_KEY__: "" })
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { default: Widget } = require("../widgets/pagoefectivo-order") as { default: (p: { data: unknown }) => ReactElement | null }
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { sdk } = require("../lib/sdk") as typeof import("../lib/sdk")
// eslint-disable-next-line @typescript-eslint/no-var-requires
const { PanelBoundary, isPagoEfectivoOrder } = require("../lib/guard") as typeof import("../lib/guard")

const order = (providerId: string, where: "payments" | "payment_sessions" = "payments") => ({
  id: "order_1",
  payment_collections: [{ id: "pc_1", payments: [], payment_sessions: [], [where]: [{ id: "x_1", provider_id: providerId }] }],
})

const PANEL = {
  order_id: "order_1",
  pagoefectivo: true,
  refund_mode: "api",
  cip: { code: "2523136", status: "paid", amount: 199.9, currency: "PEN", expires_at: null, paid_at: null, voucher_url: null },
  refunds: [],
  return_refunds: [],
}

const textOf = (r: ReactTestRenderer) => JSON.stringify(r.toJSON())
const byTestId = (r: ReactTestRenderer, id: string) => r.root.findAll((n) => n.props["data-testid"] === id && typeof n.type === "string")

function render(element: ReactElement): ReactTestRenderer {
  let r!: ReactTestRenderer
  act(() => {
    r = create(element)
  })
  return r
}

const withQueryClient = (child: ReactElement) =>
  createElement(QueryClientProvider, { client: new QueryClient({ defaultOptions: { queries: { retry: false } } }) }, child)

describe("order panel widget", () => {
  let errors: jest.SpyInstance
  let warnings: jest.SpyInstance
  let fetchSpy: jest.SpyInstance

  beforeEach(() => {
    errors = jest.spyOn(console, "error").mockImplementation(() => undefined)
    warnings = jest.spyOn(console, "warn").mockImplementation(() => undefined)
    fetchSpy = jest.spyOn(sdk.client, "fetch").mockImplementation((async () => PANEL) as any)
  })
  afterEach(() => jest.restoreAllMocks())

  it("renders nothing, and runs no hook, for orders paid another way: no router, no query client needed", () => {
    for (const data of [order("pp_system_default"), order("pp_stripe_stripe", "payment_sessions"), { id: "order_2" }, { id: "order_3", payment_collections: null }, null]) {
      const r = render(createElement(Widget, { data }))
      expect(r.toJSON()).toBeNull()
    }
    expect(fetchSpy).not.toHaveBeenCalled()
    expect(errors).not.toHaveBeenCalled()
  })

  it("recognises a PagoEfectivo order by its payment or its payment session", () => {
    expect(isPagoEfectivoOrder(order("pp_pagoefectivo_pagoefectivo"))).toBe(true)
    expect(isPagoEfectivoOrder(order("pp_pagoefectivo_pagoefectivo", "payment_sessions"))).toBe(true)
    expect(isPagoEfectivoOrder(order("pp_system_default"))).toBe(false)
    expect(isPagoEfectivoOrder({ payment_collections: [null, { payments: null, payment_sessions: [null] }] } as any)).toBe(false)
  })

  it("shows the panel of a PagoEfectivo order even without the dashboard's router (only the route listener gives up)", async () => {
    const r = render(withQueryClient(createElement(Widget, { data: order("pp_pagoefectivo_pagoefectivo") })))
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
    })
    expect(byTestId(r, "pagoefectivo-panel")).toHaveLength(1)
    expect(textOf(r)).toContain("2523136")
    expect(fetchSpy).toHaveBeenCalledWith("/admin/pagoefectivo/orders/order_1")
    expect(warnings.mock.calls.flat().join(" ")).toContain("no refetch on route changes")
  })

  it("with the router, shows the panel and warns of nothing", async () => {
    const r = render(withQueryClient(createElement(MemoryRouter, null, createElement(Widget, { data: order("pp_pagoefectivo_pagoefectivo") }))))
    await act(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20))
    })
    expect(byTestId(r, "pagoefectivo-panel")).toHaveLength(1)
    expect(warnings.mock.calls.flat().join(" ")).not.toContain("no refetch on route changes")
  })

  it("a panel that throws (no query client here) becomes a one-line notice, and the page renders on", () => {
    const r = render(createElement("main", null, createElement(Widget, { data: order("pp_pagoefectivo_pagoefectivo") }), createElement("section", { id: "rest-of-page" })))
    expect(byTestId(r, "pagoefectivo-panel-failed")).toHaveLength(1)
    expect(textOf(r)).toContain("No QueryClient set")
    expect(r.root.findAll((n) => n.props.id === "rest-of-page")).toHaveLength(1)
    expect(errors.mock.calls.flat().join(" ")).toContain("[pagoefectivo] the order panel failed")
  })

  it("a fallback that throws renders nothing rather than break the page", () => {
    const Boom = () => {
      throw new Error("boom")
    }
    const r = render(
      createElement(
        "main",
        null,
        createElement(PanelBoundary, {
          fallback: () => {
            throw new Error("fallback boom")
          },
          children: createElement(Boom),
        })
      )
    )
    expect(r.toJSON()).toMatchObject({ type: "main", children: null })
  })
})
