import { cipOf, isPagoEfectivo, readPagoEfectivoCip } from "../../../src/lib/cip/read"
import { countdown, formatCipAmount, formatCountdown, formatLimaDateTime } from "../../../src/lib/cip/format"
import { VOUCHER_LABELS } from "../src/labels"
import { fetchPagoEfectivoStatus, renewPagoEfectivoCip } from "../src/status"

const PE = "pp_pagoefectivo_pagoefectivo"

/** A session's data as the provider keeps it, with the personal data a session may also hold. */
const sessionData = (over: Record<string, unknown> = {}) => ({
  session_id: "payses_01",
  cip: "2523136",
  cipUrl: "http://localhost:4010/voucher/6f1c.html",
  dateExpiry: "2026-11-27T23:59:59-05:00",
  amount: "199.9",
  currency: "PEN",
  transactionCode: "payses_01",
  cipStatus: "pending",
  email: "rosa@example.pe",
  phone: "987654321",
  ...over,
})

describe("isPagoEfectivo", () => {
  it("knows the plugin's provider ids, whatever the id given in medusa-config", () => {
    expect(isPagoEfectivo(PE)).toBe(true)
    expect(isPagoEfectivo("pp_pagoefectivo_pe")).toBe(true)
    expect(isPagoEfectivo("pp_system_default")).toBe(false)
    expect(isPagoEfectivo("pp_stripe_stripe")).toBe(false)
    expect(isPagoEfectivo(undefined)).toBe(false)
    expect(isPagoEfectivo(null)).toBe(false)
  })
})

describe("readPagoEfectivoCip", () => {
  it("reads the CIP of a cart's payment session, and only the CIP's fields", () => {
    const cart = { payment_collection: { payment_sessions: [{ provider_id: PE, status: "pending", data: sessionData() }] } }
    expect(readPagoEfectivoCip(cart)).toEqual({
      code: "2523136",
      amount: "199.90",
      currency: "PEN",
      expires_at: "2026-11-27T23:59:59-05:00",
      voucher_url: "http://localhost:4010/voucher/6f1c.html",
      status: "pending",
    })
  })

  it("reads an order awaiting payment from its session, and a paid one from its captured payment", () => {
    const awaiting = {
      payment_collections: [{ payments: [], payment_sessions: [{ provider_id: PE, status: "pending_authorization", data: sessionData() }] }],
    }
    expect(readPagoEfectivoCip(awaiting)?.status).toBe("pending")

    const paid = {
      payment_collections: [
        {
          payments: [{ provider_id: PE, data: sessionData({ cipStatus: "paid" }), captured_at: "2026-11-27T10:00:00Z" }],
          payment_sessions: [{ provider_id: PE, status: "authorized", data: sessionData({ cipStatus: "paid" }) }],
        },
      ],
    }
    expect(readPagoEfectivoCip(paid)).toMatchObject({ code: "2523136", status: "paid" })
  })

  it("a session Medusa authorized counts as paid even before its data says so", () => {
    expect(cipOf({ provider_id: PE, status: "authorized", data: sessionData() })?.status).toBe("paid")
  })

  it("expired and replaced CIPs; a newer session in force wins over a replaced one", () => {
    expect(cipOf({ provider_id: PE, status: "canceled", data: sessionData({ cipStatus: "expired" }) })?.status).toBe("expired")
    expect(cipOf({ provider_id: PE, status: "pending", data: sessionData({ cipStatus: "deleted" }) })?.status).toBe("canceled")
    const cart = {
      payment_collection: {
        payment_sessions: [
          { provider_id: PE, status: "pending", data: sessionData({ cip: "111", cipStatus: "deleted" }), created_at: "2026-11-27T09:00:00Z" },
          { provider_id: PE, status: "pending", data: sessionData({ cip: "222" }), created_at: "2026-11-27T08:00:00Z" },
        ],
      },
    }
    expect(readPagoEfectivoCip(cart)?.code).toBe("222")
  })

  it("answers null for other providers, no CIP yet, or data that is not a CIP", () => {
    expect(readPagoEfectivoCip({ payment_collection: { payment_sessions: [{ provider_id: "pp_system_default", data: sessionData() }] } })).toBeNull()
    expect(readPagoEfectivoCip({ payment_collection: null })).toBeNull()
    expect(readPagoEfectivoCip({ payment_collections: [{ payments: [], payment_sessions: [] }] })).toBeNull()
    expect(cipOf({ provider_id: PE, data: { cip: "<script>" } })).toBeNull()
    expect(readPagoEfectivoCip(null)).toBeNull()
  })

  it("never turns a non-http voucher URL into a link", () => {
    expect(cipOf({ provider_id: PE, data: sessionData({ cipUrl: "javascript:alert(1)" }) })?.voucher_url).toBeNull()
  })
})

describe("formatCipAmount", () => {
  it("PEN with S/ and USD with US$, two decimals, thousands with commas", () => {
    expect(formatCipAmount("199.9", "PEN")).toBe("S/ 199.90")
    expect(formatCipAmount(49.5, "USD")).toBe("US$ 49.50")
    expect(formatCipAmount("1234567.05", "pen")).toBe("S/ 1,234,567.05")
    expect(formatCipAmount("0.5", "USD")).toBe("US$ 0.50")
    expect(formatCipAmount("10", "PEN")).toBe("S/ 10.00")
  })

  it("an unknown currency is written as its code; a non-amount is left as given", () => {
    expect(formatCipAmount("10", "EUR")).toBe("EUR 10.00")
    expect(formatCipAmount("abc", "PEN")).toBe("S/ abc")
    expect(formatCipAmount(null, "PEN")).toBe("S/")
  })
})

describe("formatLimaDateTime", () => {
  it("writes the expiry in Lima time (UTC-5) in Spanish and English", () => {
    expect(formatLimaDateTime("2026-11-27T23:59:59-05:00", "es")).toBe("27 nov. 2026, 23:59")
    expect(formatLimaDateTime("2026-11-28T04:59:59Z", "en")).toBe("27 Nov 2026, 23:59")
    expect(formatLimaDateTime("2027-01-01T03:00:00Z", "es")).toBe("31 dic. 2026, 22:00")
    expect(formatLimaDateTime("not a date")).toBeNull()
    expect(formatLimaDateTime(null)).toBeNull()
  })
})

describe("countdown", () => {
  const expiry = "2026-11-27T23:59:59-05:00"
  const at = (iso: string) => Date.parse(iso)

  it("counts days, hours, minutes and seconds left", () => {
    const c = countdown(expiry, at("2026-11-26T22:58:58-05:00"))
    expect(c).toEqual({ expired: false, totalSeconds: 86_400 + 3661, days: 1, hours: 1, minutes: 1, seconds: 1 })
    expect(formatCountdown(c)).toBe("1 d 01:01:01")
    // whole seconds, rounded down: half a second later it already reads one second less
    expect(countdown(expiry, at("2026-11-26T22:58:58-05:00") + 500).totalSeconds).toBe(86_400 + 3660)
    expect(formatCountdown(countdown(expiry, at("2026-11-27T23:59:49-05:00")))).toBe("00:00:10")
  })

  it("goes down as time passes and stops at zero once expired", () => {
    const a = countdown(expiry, at("2026-11-27T23:00:00-05:00")).totalSeconds!
    const b = countdown(expiry, at("2026-11-27T23:00:01-05:00")).totalSeconds!
    expect(a - b).toBe(1)
    const past = countdown(expiry, at("2026-11-28T00:00:00-05:00"))
    expect(past).toMatchObject({ expired: true, totalSeconds: 0 })
    expect(formatCountdown(past)).toBe("00:00:00")
  })

  it("without an expiry there is nothing to count", () => {
    expect(countdown(null, Date.now())).toMatchObject({ expired: false, totalSeconds: null })
    expect(formatCountdown(countdown(undefined, Date.now()))).toBe("")
  })
})

describe("labels", () => {
  it("Spanish and English say the same things", () => {
    const keys = (o: object) => Object.keys(o).sort()
    expect(keys(VOUCHER_LABELS.en)).toEqual(keys(VOUCHER_LABELS.es))
    expect(keys(VOUCHER_LABELS.en.statuses)).toEqual(keys(VOUCHER_LABELS.es.statuses))
    expect(VOUCHER_LABELS.es.steps).toHaveLength(VOUCHER_LABELS.en.steps.length)
  })
})

describe("fetchPagoEfectivoStatus and renewPagoEfectivoCip", () => {
  const cip = { code: "2523137", amount: "199.90", currency: "PEN", expires_at: "2026-11-28T23:59:59-05:00", voucher_url: null, status: "pending" }
  const fake = (status: number, body: unknown) => {
    const calls: { url: string; init: RequestInit }[] = []
    const fetch = (async (url: string, init: RequestInit) => {
      calls.push({ url, init })
      return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
    }) as unknown as typeof globalThis.fetch
    return { calls, fetch }
  }

  it("passes on whether an order's expired CIP is renewable", async () => {
    const f = fake(200, { cip: { ...cip, status: "expired" }, renewable: true })
    await expect(fetchPagoEfectivoStatus({ baseUrl: "http://m/", publishableKey: "pk", orderId: "order_1", fetch: f.fetch })).resolves.toEqual({ cip: { ...cip, status: "expired" }, cip_emails: false, renewable: true })
    expect(f.calls[0].url).toBe("http://m/store/pagoefectivo/orders/order_1")
    const plain = fake(200, { cip })
    await expect(fetchPagoEfectivoStatus({ baseUrl: "http://m", publishableKey: "pk", cartId: "cart_1", fetch: plain.fetch })).resolves.toEqual({ cip, cip_emails: false })
  })

  it("asks for the fresh CIP with an empty body and the publishable key; the store's refusal is thrown with its message", async () => {
    const ok = fake(200, { cip, renewed: true, renewals_left: 0 })
    await expect(renewPagoEfectivoCip({ baseUrl: "http://m", publishableKey: "pk", orderId: "order_1", headers: { authorization: "Bearer t" }, fetch: ok.fetch })).resolves.toEqual({ cip, renewed: true, renewals_left: 0 })
    expect(ok.calls[0].url).toBe("http://m/store/pagoefectivo/orders/order_1/renew-cip")
    expect(ok.calls[0].init).toMatchObject({ method: "POST", body: "{}", headers: { "x-publishable-api-key": "pk", authorization: "Bearer t", "content-type": "application/json" } })
    const refused = fake(409, { message: "This order has had all the new payment codes it may have" })
    await expect(renewPagoEfectivoCip({ baseUrl: "http://m", publishableKey: "pk", orderId: "order_1", fetch: refused.fetch })).rejects.toMatchObject({ status: 409, message: expect.stringMatching(/all the new payment codes/) })
  })
})
