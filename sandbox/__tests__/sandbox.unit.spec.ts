import http from "node:http"
import type { AddressInfo } from "node:net"
import { SANDBOX_DEFAULTS, SandboxHandle, startSandbox } from "../server"
import {
  authHash,
  CIP_CODES,
  CIP_STATUS,
  CODES,
  formatLimaDate,
  parseNotification,
  REFUND_CODES,
  serializeBody,
  sign,
  verifySignature,
  WireAmount,
} from "../../src/lib/pagoefectivo/wire"

const ACCESS_KEY = "TESTACCESSKEY0000042"
const SECRET_KEY = "test-secret-key-abcdefghijklmnopqrstuvwx"
const SERVICE_ID = 4321

// ---------------------------------------------------------------------------
// A tiny notification receiver
// ---------------------------------------------------------------------------

interface Received {
  headers: http.IncomingHttpHeaders
  raw: Buffer
}

function startReceiver() {
  const received: Received[] = []
  const statuses: number[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on("data", (c) => chunks.push(c))
    req.on("end", () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) })
      res.statusCode = statuses.length ? statuses.shift()! : 200
      res.end("ok")
    })
  })
  return new Promise<{
    url: string
    received: Received[]
    statuses: number[]
    close: () => Promise<void>
  }>((resolve) => {
    server.listen(0, "localhost", () => {
      const port = (server.address() as AddressInfo).port
      resolve({
        url: `http://localhost:${port}/hooks/pagoefectivo`,
        received,
        statuses,
        close: () =>
          new Promise<void>((r) => {
            server.close(() => r())
            server.closeAllConnections()
          }),
      })
    })
  })
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

let sb: SandboxHandle
let receiver: Awaited<ReturnType<typeof startReceiver>>
const logs: string[] = []
const secretsSeen = new Set<string>()

interface Answer {
  status: number
  headers: Headers
  body: any
  text: string
}

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string | null; headers?: Record<string, string> } = {}
): Promise<Answer> {
  const headers: Record<string, string> = { "Content-Type": "application/json", ...(opts.headers ?? {}) }
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`
  const raw = opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined)
  const res = await fetch(sb.url + path, { method, headers, body: raw })
  const text = await res.text()
  let body: any = null
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    body = null
  }
  return { status: res.status, headers: res.headers, body, text }
}

const control = (method: string, path: string, body?: unknown) => call(method, `/__sandbox${path}`, { body })

function authBody(overrides: Record<string, unknown> = {}, date = new Date()) {
  const dateRequest = formatLimaDate(date)
  const hashString = authHash(SERVICE_ID, ACCESS_KEY, SECRET_KEY, dateRequest)
  secretsSeen.add(hashString)
  return { accessKey: ACCESS_KEY, idService: SERVICE_ID, dateRequest, hashString, ...overrides }
}

async function getToken(): Promise<string> {
  const res = await call("POST", "/v1/authorizations", { body: authBody() })
  expect(res.status).toBe(201)
  secretsSeen.add(res.body.data.token)
  return res.body.data.token
}

/** An A2-style call: token and Origin. */
function api(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  return call(method, `/v1${path}`, { body, token, headers: { Origin: "web", "Accept-Language": "es-PE", ...headers } })
}

let txn = 0
function cipBody(overrides: Record<string, unknown> = {}) {
  return {
    currency: "PEN",
    amount: 50,
    transactionCode: `order-${++txn}`,
    userEmail: "shopper@example.com",
    paymentConcept: "Test order",
    ...overrides,
  }
}

async function createCip(token: string, overrides: Record<string, unknown> = {}) {
  const res = await api("POST", "/cips", token, cipBody(overrides))
  expect(res.status).toBe(201)
  return res.body.data as { cip: number; amount: number; transactionCode: string; currency: string }
}

async function paidCip(token: string, overrides: Record<string, unknown> = {}, pay: Record<string, unknown> = {}) {
  const cip = await createCip(token, overrides)
  const res = await control("POST", `/cips/${cip.cip}/pay`, { notify: false, ...pay })
  expect(res.status).toBe(200)
  return cip
}

/** POST /v1/refunds with a correct PE-Signature over the exact bytes (amount written with 2 decimals). */
function refund(
  token: string,
  fields: { cip: number | string; transactionCode: string; amount: string; refundId: string; currency?: string; merchantOrderId?: string; reason?: string },
  opts: { signature?: string | null } = {}
) {
  const raw = serializeBody({
    cip: String(fields.cip),
    transactionCode: fields.transactionCode,
    merchantOrderId: fields.merchantOrderId ?? "order_01",
    refundId: fields.refundId,
    amount: new WireAmount(fields.amount),
    currency: fields.currency ?? "PEN",
    ...(fields.reason ? { reason: fields.reason } : {}),
  })
  const signature = opts.signature === undefined ? sign(SECRET_KEY, raw) : opts.signature
  if (signature) secretsSeen.add(signature)
  const headers: Record<string, string> = { Origin: "web" }
  if (signature) headers["PE-Signature"] = signature
  return call("POST", "/v1/refunds", { raw, token, headers })
}

async function waitFor<T>(fn: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> {
  const start = Date.now()
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() - start > timeoutMs) throw new Error("waitFor timed out")
    await new Promise((r) => setTimeout(r, 10))
  }
}

const expectA3 = (res: Answer, status: number, code: string) => {
  expect(res.status).toBe(status)
  expect(res.body).toEqual(expect.objectContaining({ code, message: expect.any(String) }))
}

const expectFieldError = (res: Answer, code: string, field: string) => {
  expectA3(res, 400, CODES.INVALID_REQUEST)
  expect(res.body.data).toEqual(expect.arrayContaining([expect.objectContaining({ code, field })]))
}

// ---------------------------------------------------------------------------

beforeAll(async () => {
  receiver = await startReceiver()
  sb = await startSandbox({
    port: 0,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    serviceId: SERVICE_ID,
    notifyUrl: receiver.url,
    config: { notificationRetryDelayMs: 20, refunds: { settleDelayMs: 20 } },
    log: (line) => logs.push(line),
  })
})

afterAll(async () => {
  await sb?.close()
  await receiver?.close()
})

beforeEach(async () => {
  const res = await control("POST", "/reset")
  expect(res.status).toBe(200)
  receiver.received.length = 0
  receiver.statuses.length = 0
})

describe("defaults", () => {
  it("has demo credentials of PagoEfectivo's lengths", () => {
    expect(SANDBOX_DEFAULTS.accessKey).toHaveLength(20)
    expect(SANDBOX_DEFAULTS.secretKey).toHaveLength(40)
    expect(SANDBOX_DEFAULTS.port).toBe(4010)
    expect(sb.url).toMatch(/^http:\/\/localhost:\d+$/)
  })
})

describe("POST /v1/authorizations", () => {
  it("issues a JWT-looking token of 200-205 characters valid 2 hours", async () => {
    const res = await call("POST", "/v1/authorizations", { body: authBody() })
    expect(res.status).toBe(201)
    expect(res.body.code).toBe("100")
    expect(res.body.message).toBe("Solicitud exitosa.")
    const { token, tokenStart, tokenExpires } = res.body.data
    secretsSeen.add(token)
    expect(token.length).toBeGreaterThanOrEqual(200)
    expect(token.length).toBeLessThanOrEqual(205)
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
    expect(Date.parse(tokenExpires) - Date.parse(tokenStart)).toBe(2 * 3600 * 1000)
    expect(res.headers.get("x-correlation-id")).toBeTruthy()
    expect(sb.snapshot().counters.authorizations).toBe(1)
  })

  it("accepts idService as a string", async () => {
    const res = await call("POST", "/v1/authorizations", { body: authBody({ idService: String(SERVICE_ID) }) })
    expect(res.status).toBe(201)
  })

  it("answers 401 on a wrong hash, access key or service", async () => {
    const wrongHash = await call("POST", "/v1/authorizations", { body: authBody({ hashString: "0".repeat(64) }) })
    expect(wrongHash.status).toBe(401)
    expect(wrongHash.body).toEqual({ code: "401", message: expect.any(String) })
    const wrongKey = await call("POST", "/v1/authorizations", { body: authBody({ accessKey: "X".repeat(20) }) })
    expect(wrongKey.status).toBe(401)
    const wrongService = await call("POST", "/v1/authorizations", { body: authBody({ idService: 9 }) })
    expect(wrongService.status).toBe(401)
    const state = (await control("GET", "/state")).body
    expect(state.counters.authorizations).toBe(0)
    expect(state.counters.requests["POST /v1/authorizations"]).toBe(3)
  })

  it("answers 400/111 with 113 dateRequest when the date is stale", async () => {
    const res = await call("POST", "/v1/authorizations", { body: authBody({}, new Date(Date.now() - 301_000)) })
    expectFieldError(res, CODES.INVALID_VALUE, "dateRequest")
  })

  it("answers 400/111 with 112 on a missing field", async () => {
    const { hashString, ...rest } = authBody()
    void hashString
    const res = await call("POST", "/v1/authorizations", { body: rest })
    expectFieldError(res, CODES.REQUIRED_FIELD, "hashString")
  })
})

describe("bearer token and Origin", () => {
  it("answers 401 without, with a forged, an expired or a revoked token", async () => {
    expect((await api("POST", "/cips", "", cipBody())).status).toBe(401)
    const token = await getToken()
    const forged = token.slice(0, -3) + (token.endsWith("AAA") ? "BBB" : "AAA")
    expect((await api("POST", "/cips", forged, cipBody())).status).toBe(401)
    expect((await call("POST", "/v1/cips", { body: cipBody(), headers: { Authorization: "Basic x", Origin: "web" } })).status).toBe(401)

    await control("PUT", "/config", { tokenTtlSeconds: 0 })
    const expired = await getToken()
    const res = await api("POST", "/cips", expired, cipBody())
    expect(res.status).toBe(401)
    expect(res.body.code).toBe("401")

    expect((await api("POST", "/cips", token, cipBody())).status).toBe(201)
    expect((await control("POST", "/tokens/revoke")).status).toBe(200)
    expect((await api("POST", "/cips", token, cipBody())).status).toBe(401)
  })

  it("requires the Origin header (400/111, 112 Origin) with a valid value (113)", async () => {
    const token = await getToken()
    const missing = await call("POST", "/v1/cips", { body: cipBody(), token })
    expectFieldError(missing, CODES.REQUIRED_FIELD, "Origin")
    const bad = await api("POST", "/cips", token, cipBody(), { Origin: "desktop" })
    expectFieldError(bad, CODES.INVALID_VALUE, "Origin")
    expect((await api("POST", "/cips", token, cipBody(), { Origin: "android" })).status).toBe(201)
  })
})

describe("CIPs", () => {
  it("creates a CIP (201, code 100 number) and serves its voucher", async () => {
    const token = await getToken()
    const before = Date.now()
    const res = await call("POST", "/v1/cips", {
      raw: serializeBody({ ...cipBody({ transactionCode: "txn-1" }), amount: new WireAmount("22.50") }),
      token,
      headers: { Origin: "web" },
    })
    expect(res.status).toBe(201)
    expect(res.body.code).toBe(100)
    const data = res.body.data
    expect(data).toEqual({
      cip: expect.any(Number),
      currency: "PEN",
      amount: 22.5,
      transactionCode: "txn-1",
      dateExpiry: expect.stringMatching(/-05:00$/),
      cipUrl: expect.stringMatching(new RegExp(`^${sb.url}/voucher/[0-9a-f-]+\\.html$`)),
    })
    expect(data.cip).toBeGreaterThanOrEqual(2523136)
    const expiry = Date.parse(data.dateExpiry) - before
    expect(expiry).toBeGreaterThan(24 * 3600_000 - 5000)
    expect(expiry).toBeLessThan(24 * 3600_000 + 5000)

    const second = await createCip(token)
    expect(second.cip).toBe(data.cip + 1)

    const page = await fetch(data.cipUrl)
    expect(page.status).toBe(200)
    const html = await page.text()
    expect(html).toContain(String(data.cip))
    expect(html).toContain("22.50")
    expect(html).toContain(`/__sandbox/cips/${data.cip}/pay`)
    expect((await fetch(`${sb.url}/voucher/nope.html`)).status).toBe(404)
  })

  it("uses dateExpiry when given", async () => {
    const token = await getToken()
    const dateExpiry = formatLimaDate(new Date(Date.now() + 3 * 3600_000))
    const res = await api("POST", "/cips", token, cipBody({ dateExpiry }))
    expect(res.body.data.dateExpiry).toBe(dateExpiry)
  })

  it("answers 112 for a missing field, 113 for an invalid value, 511 above the maximum", async () => {
    const token = await getToken()
    const { userEmail, ...noEmail } = cipBody()
    void userEmail
    expectFieldError(await api("POST", "/cips", token, noEmail), CODES.REQUIRED_FIELD, "userEmail")
    expectFieldError(await api("POST", "/cips", token, cipBody({ currency: "EUR" })), CODES.INVALID_VALUE, "currency")
    expectFieldError(await api("POST", "/cips", token, cipBody({ amount: "50.00" })), CODES.INVALID_VALUE, "amount")
    expectFieldError(
      await api("POST", "/cips", token, cipBody({ transactionCode: "x".repeat(37) })),
      CODES.INVALID_VALUE,
      "transactionCode"
    )
    expectFieldError(
      await api("POST", "/cips", token, cipBody({ dateExpiry: "2030-01-01T00:00:00Z" })),
      CODES.INVALID_VALUE,
      "dateExpiry"
    )
    expectFieldError(
      await api("POST", "/cips", token, cipBody({ dateExpiry: formatLimaDate(new Date(Date.now() - 60_000)) })),
      CODES.INVALID_VALUE,
      "dateExpiry"
    )
    // Three decimals in the raw JSON.
    const raw = JSON.stringify(cipBody()).replace('"amount":50', '"amount":10.125')
    expectFieldError(
      await call("POST", "/v1/cips", { raw, token, headers: { Origin: "web" } }),
      CODES.INVALID_VALUE,
      "amount"
    )
    expectFieldError(
      await call("POST", "/v1/cips", { raw: "{not json", token, headers: { Origin: "web" } }),
      CODES.INVALID_VALUE,
      "body"
    )
    const above = await api("POST", "/cips", token, cipBody({ amount: 10000.01 }))
    expectA3(above, 400, CODES.ABOVE_MAX_AMOUNT)
    expect((await api("POST", "/cips", token, cipBody({ amount: 10000 }))).status).toBe(201)
    await control("PUT", "/config", { maxCipAmount: 100 })
    expectA3(await api("POST", "/cips", token, cipBody({ amount: 100.5 })), 400, CODES.ABOVE_MAX_AMOUNT)
  })

  it("searches CIPs, whatever the casing, and reports expiry by time", async () => {
    const token = await getToken()
    const a = await createCip(token)
    const b = await createCip(token, { currency: "USD", amount: 12.3 })
    await control("POST", `/cips/${b.cip}/pay`, { notify: false })

    const res = await api("POST", "/cips/search", token, { Data: [{ CIP: a.cip }, { cip: String(b.cip) }, { cip: 1 }] })
    expect(res.status).toBe(200)
    expect(res.body.code).toBe(100)
    expect(res.body.data).toHaveLength(2)
    const [ra, rb] = res.body.data
    expect(ra).toEqual({
      cip: a.cip,
      transactionCode: a.transactionCode,
      amount: 50,
      currency: "PEN",
      status: CIP_STATUS.PENDING,
      statusName: "Pendiente",
      dateCreation: expect.stringMatching(/-05:00$/),
      dateExpiry: expect.stringMatching(/-05:00$/),
      datePayment: null,
      dateRemoval: null,
    })
    expect(rb).toEqual(expect.objectContaining({ status: CIP_STATUS.PAID, statusName: "Cancelado", amount: 12.3 }))
    expect(rb.datePayment).toMatch(/-05:00$/)

    expectA3(await api("POST", "/cips/search", token, { data: [{ cip: 1 }, { cip: 2 }] }), 404, REFUND_CODES.CIP_NOT_FOUND)
    expectFieldError(await api("POST", "/cips/search", token, { data: [] }), CODES.INVALID_VALUE, "data")
    expectFieldError(await api("POST", "/cips/search", token, {}), CODES.REQUIRED_FIELD, "data")

    // Expired by time: the search reports it expired, and cip.expired is sent.
    sb.state.cips.get(a.cip)!.dateExpiry = new Date(Date.now() - 1000)
    const again = await api("POST", "/cips/search", token, { data: [{ cip: a.cip }] })
    expect(again.body.data[0]).toEqual(expect.objectContaining({ status: CIP_STATUS.EXPIRED, statusName: "Expirado" }))
    const note = await waitFor(() => receiver.received.find((r) => r.raw.toString().includes('"cip.expired"')))
    expect(JSON.parse(note.raw.toString()).data).toEqual({
      cip: String(a.cip),
      currency: "PEN",
      amount: 50,
      transactionCode: a.transactionCode,
    })
  })

  it("extends a pending CIP (PATCH), 404 unknown, 422 once not pending", async () => {
    const token = await getToken()
    const cip = await createCip(token)
    const dateExpiry = formatLimaDate(new Date(Date.now() + 48 * 3600_000))
    const res = await api("PATCH", `/cips/${cip.cip}`, token, { dateExpiry })
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual(expect.objectContaining({ cip: cip.cip, dateExpiry }))
    expectA3(await api("PATCH", "/cips/999", token, { dateExpiry }), 404, CIP_CODES.CIP_NOT_FOUND)
    expectFieldError(await api("PATCH", `/cips/${cip.cip}`, token, {}), CODES.REQUIRED_FIELD, "dateExpiry")
    await control("POST", `/cips/${cip.cip}/pay`, { notify: false })
    expectA3(await api("PATCH", `/cips/${cip.cip}`, token, { dateExpiry }), 422, CIP_CODES.CIP_NOT_PENDING)
  })

  it("deletes an unpaid CIP (logically), 422 when paid, 404 unknown", async () => {
    const token = await getToken()
    const cip = await createCip(token)
    const res = await api("DELETE", `/cips/${cip.cip}`, token)
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual(expect.objectContaining({ status: CIP_STATUS.DELETED, statusName: "Eliminado" }))
    expect(res.body.data.dateRemoval).toMatch(/-05:00$/)
    expect((await api("DELETE", `/cips/${cip.cip}`, token)).status).toBe(200)
    expect((await control("POST", `/cips/${cip.cip}/pay`)).status).toBe(409)

    const paid = await paidCip(token)
    expectA3(await api("DELETE", `/cips/${paid.cip}`, token), 422, CIP_CODES.CIP_ALREADY_PAID)
    expectA3(await api("DELETE", "/cips/42", token), 404, CIP_CODES.CIP_NOT_FOUND)
  })

  it("answers unknown routes and methods distinctly", async () => {
    const token = await getToken()
    expectA3(await api("GET", "/nope", token), 404, "490")
    const res = await api("GET", "/cips", token)
    expectA3(res, 405, "491")
    expect(res.headers.get("allow")).toBe("POST")
  })
})

describe("POST /v1/refunds", () => {
  beforeEach(async () => {
    await control("PUT", "/config", { refunds: { autoSettle: "none" } })
  })

  it("creates (201), replays (200) and refuses a reused refundId (409)", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    const fields = { cip: cip.cip, transactionCode: cip.transactionCode, amount: "20.00", refundId: "rf_1", reason: "damaged" }
    const res = await refund(token, fields)
    expect(res.status).toBe(201)
    expect(res.body).toEqual({
      code: 100,
      message: "Solicitud exitosa.",
      data: {
        refundId: "rf_1",
        referenceId: expect.stringMatching(/^RF\d+$/),
        cip: String(cip.cip),
        amount: 20,
        currency: "PEN",
        status: "pending",
        dateCreation: expect.stringMatching(/-05:00$/),
        traceId: expect.any(String),
      },
    })
    expect(res.headers.get("x-correlation-id")).toBe(res.body.data.traceId)

    const replay = await refund(token, { ...fields, reason: "another reason is ignored" })
    expect(replay.status).toBe(200)
    expect(replay.body.data).toEqual(res.body.data)

    expectA3(await refund(token, { ...fields, amount: "21.00" }), 409, REFUND_CODES.REFUND_ID_CONFLICT)
    expectA3(await refund(token, { ...fields, merchantOrderId: "order_02" }), 409, REFUND_CODES.REFUND_ID_CONFLICT)

    const state = (await control("GET", "/state")).body
    expect(state.counters.refundsCreated).toBe(1)
    expect(state.counters.requests["POST /v1/refunds"]).toBe(4)
    expect(state.refunds).toHaveLength(1)
  })

  it("answers 401 on a missing or wrong PE-Signature", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    const fields = { cip: cip.cip, transactionCode: cip.transactionCode, amount: "1.00", refundId: "rf_sig" }
    expectA3(await refund(token, fields, { signature: null }), 401, "401")
    expectA3(await refund(token, fields, { signature: sign("another-secret", "{}") }), 401, "401")
    expect(sb.state.refunds.size).toBe(0)
  })

  it("answers 403 when refunds are disabled or the IP is not allowed", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    const fields = { cip: cip.cip, transactionCode: cip.transactionCode, amount: "1.00", refundId: "rf_403" }
    await control("PUT", "/config", { refundsEnabled: false })
    expectA3(await refund(token, fields), 403, REFUND_CODES.REFUNDS_NOT_ENABLED)
    await control("PUT", "/config", { refundsEnabled: true, allowedIps: ["10.1.2.3"] })
    expectA3(await refund(token, fields), 403, REFUND_CODES.IP_NOT_ALLOWED)
    await control("PUT", "/config", { allowedIps: ["10.1.2.3", "127.0.0.1", "::1"] })
    expect((await refund(token, fields)).status).toBe(201)
  })

  it("validates fields (112/113) and answers 404 for an unknown CIP", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    const missing = serializeBody({ cip: String(cip.cip), transactionCode: cip.transactionCode, refundId: "rf_v", amount: new WireAmount("1.00"), currency: "PEN" })
    expectFieldError(
      await call("POST", "/v1/refunds", { raw: missing, token, headers: { Origin: "web", "PE-Signature": sign(SECRET_KEY, missing) } }),
      CODES.REQUIRED_FIELD,
      "merchantOrderId"
    )
    expectFieldError(
      await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "1.00", refundId: "x".repeat(65) }),
      CODES.INVALID_VALUE,
      "refundId"
    )
    expectFieldError(
      await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "1.00", refundId: "rf_v", currency: "EUR" }),
      CODES.INVALID_VALUE,
      "currency"
    )
    expectFieldError(
      await refund(token, { cip: cip.cip, transactionCode: "someone-else", amount: "1.00", refundId: "rf_v" }),
      CODES.INVALID_VALUE,
      "transactionCode"
    )
    expectA3(
      await refund(token, { cip: 7, transactionCode: cip.transactionCode, amount: "1.00", refundId: "rf_v" }),
      404,
      REFUND_CODES.CIP_NOT_FOUND
    )
  })

  it("answers each 422 business code", async () => {
    const token = await getToken()
    const pending = await createCip(token)
    expectA3(
      await refund(token, { cip: pending.cip, transactionCode: pending.transactionCode, amount: "1.00", refundId: "rf_a" }),
      422,
      REFUND_CODES.CIP_NOT_PAID
    )

    const cip = await paidCip(token, { amount: 50 })
    const base = { cip: cip.cip, transactionCode: cip.transactionCode }
    expectA3(await refund(token, { ...base, amount: "1.00", refundId: "rf_b", currency: "USD" }), 422, REFUND_CODES.CURRENCY_MISMATCH)
    expectA3(await refund(token, { ...base, amount: "50.01", refundId: "rf_c" }), 422, REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE)
    expect((await refund(token, { ...base, amount: "30.00", refundId: "rf_d" })).status).toBe(201)
    expectA3(await refund(token, { ...base, amount: "20.01", refundId: "rf_e" }), 422, REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE)
    // A rejected refund no longer counts against the refundable amount.
    await control("POST", "/refunds/rf_d/reject", { notify: false })
    expect((await refund(token, { ...base, amount: "50.00", refundId: "rf_f" })).status).toBe(201)

    const old = await paidCip(token, {}, { paidAt: new Date(Date.now() - 200 * 86_400_000).toISOString() })
    expectA3(
      await refund(token, { cip: old.cip, transactionCode: old.transactionCode, amount: "1.00", refundId: "rf_g" }),
      422,
      REFUND_CODES.REFUND_WINDOW_EXCEEDED
    )

    await control("PUT", "/config", { merchantBalance: 10 })
    const c2 = await paidCip(token)
    const b2 = { cip: c2.cip, transactionCode: c2.transactionCode }
    expectA3(await refund(token, { ...b2, amount: "10.01", refundId: "rf_h" }), 422, REFUND_CODES.INSUFFICIENT_BALANCE)
    expect((await refund(token, { ...b2, amount: "6.00", refundId: "rf_i" })).status).toBe(201)
    expect(sb.state.config.merchantBalance).toBe(4)
    expectA3(await refund(token, { ...b2, amount: "4.01", refundId: "rf_j" }), 422, REFUND_CODES.INSUFFICIENT_BALANCE)
  })

  it("GET /v1/refunds/{refundId}: the data object, reason and dateProcessed once settled; 404 otherwise", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "5.00", refundId: "rf/get 1" })
    const res = await api("GET", `/refunds/${encodeURIComponent("rf/get 1")}`, token)
    expect(res.status).toBe(200)
    expect(res.body.data).toEqual(expect.objectContaining({ refundId: "rf/get 1", status: "pending", amount: 5 }))
    expect(res.body.data.dateProcessed).toBeUndefined()

    const settled = await control("POST", `/refunds/${encodeURIComponent("rf/get 1")}/reject`, { reason: "no funds", wait: true })
    expect(settled.status).toBe(200)
    const after = await api("GET", `/refunds/${encodeURIComponent("rf/get 1")}`, token)
    expect(after.body.data).toEqual(
      expect.objectContaining({ status: "rejected", reason: "no funds", dateProcessed: expect.stringMatching(/-05:00$/) })
    )
    expectA3(await api("GET", "/refunds/never", token), 404, REFUND_CODES.REFUND_NOT_FOUND)
    expect((await control("POST", `/refunds/${encodeURIComponent("rf/get 1")}/complete`)).status).toBe(409)
    expect((await control("POST", "/refunds/never/complete")).status).toBe(404)
  })
})

describe("notifications", () => {
  const bodies = () => receiver.received.map((r) => JSON.parse(r.raw.toString()))

  it("sends cip.paid as compact JSON signed over the exact bytes", async () => {
    const token = await getToken()
    const cip = await createCip(token, { amount: 22.05 })
    const res = await control("POST", `/cips/${cip.cip}/pay`, { wait: true })
    expect(res.status).toBe(200)
    expect(receiver.received).toHaveLength(1)
    const { headers, raw } = receiver.received[0]
    expect(headers["content-type"]).toBe("application/json")
    expect(verifySignature(SECRET_KEY, raw, headers["pe-signature"])).toBe(true)
    expect(verifySignature("wrong", raw, headers["pe-signature"])).toBe(false)
    const text = raw.toString()
    expect(text).toBe(JSON.stringify(JSON.parse(text)))
    expect(text).toMatch(
      new RegExp(
        `^\\{"eventType":"cip\\.paid","operationNumber":"\\d+","data":\\{"cip":"${cip.cip}","currency":"PEN","amount":22\\.05,` +
          `"transactionCode":"${cip.transactionCode}","paymentDate":"[^"]+-05:00"\\}\\}$`
      )
    )
    const parsed = parseNotification(raw)
    expect(parsed.ok).toBe(true)

    const state = (await control("GET", "/state")).body
    expect(state.deliveries).toEqual([
      expect.objectContaining({
        eventType: "cip.paid",
        key: String(cip.cip),
        url: receiver.url,
        body: text,
        attempt: 1,
        outcome: "delivered",
        status: 200,
        error: null,
      }),
    ])
    expect(JSON.stringify(state.deliveries)).not.toContain(headers["pe-signature"] as string)
    secretsSeen.add(headers["pe-signature"] as string)

    expect((await control("POST", `/cips/${cip.cip}/pay`)).status).toBe(409)
    expect((await control("POST", "/cips/1/pay")).status).toBe(404)
  })

  it("sends cip.expired from the control API", async () => {
    const token = await getToken()
    const cip = await createCip(token)
    expect((await control("POST", `/cips/${cip.cip}/expire`, { wait: true })).status).toBe(200)
    expect(bodies()[0]).toEqual(expect.objectContaining({ eventType: "cip.expired" }))
    expect((await control("POST", `/cips/${cip.cip}/expire`)).status).toBe(409)
  })

  it("auto-settles refunds and sends refund.completed / refund.rejected", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "10.00", refundId: "rf_auto", reason: "r" })
    const note = await waitFor(() => bodies().find((b) => b.eventType === "refund.completed"))
    expect(note).toEqual({
      eventType: "refund.completed",
      operationNumber: expect.stringMatching(/^\d+$/),
      data: {
        refundId: "rf_auto",
        referenceId: expect.stringMatching(/^RF/),
        cip: String(cip.cip),
        amount: 10,
        currency: "PEN",
        status: "completed",
        reason: "r",
        dateProcessed: expect.stringMatching(/-05:00$/),
      },
    })
    expect(sb.state.refunds.get("rf_auto")!.status).toBe("completed")

    await control("PUT", "/config", { refunds: { autoSettle: "reject", rejectReason: "balance" } })
    await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "10.00", refundId: "rf_rej" })
    const rejected = await waitFor(() => bodies().find((b) => b.eventType === "refund.rejected"))
    expect(rejected.data).toEqual(expect.objectContaining({ refundId: "rf_rej", status: "rejected", reason: "balance" }))
  })

  it("makes a refund in PagoEfectivo's panel (control API): a fresh refundId, completed, notified with refund.completed", async () => {
    const token = await getToken()
    const cip = await paidCip(token, { amount: 50 })
    const res = await control("POST", `/cips/${cip.cip}/refunds`, { amount: 12.5, reason: "from the panel", wait: true })
    expect(res.status).toBe(201)
    expect(res.body).toEqual(expect.objectContaining({ cip: String(cip.cip), amount: 12.5, currency: "PEN", status: "completed", referenceId: expect.stringMatching(/^RF/) }))
    const refundId = res.body.refundId as string
    expect(refundId).toMatch(/^panel-/)
    expect(bodies()).toEqual([
      {
        eventType: "refund.completed",
        operationNumber: expect.stringMatching(/^\d+$/),
        data: { refundId, referenceId: res.body.referenceId, cip: String(cip.cip), amount: 12.5, currency: "PEN", status: "completed", reason: "from the panel", dateProcessed: expect.stringMatching(/-05:00$/) },
      },
    ])
    // the refund API knows it: GET answers it, and it counts against what is still refundable
    expect((await api("GET", `/refunds/${refundId}`, token)).body.data).toEqual(expect.objectContaining({ refundId, status: "completed" }))
    expectA3(await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "40.00", refundId: "rf_after_panel" }), 422, REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE)

    // a second panel refund has its own id; too much, an unpaid or unknown CIP, a taken id or a bad body are refused
    const second = await control("POST", `/cips/${cip.cip}/refunds`, { amount: 1, notify: false })
    expect(second.status).toBe(201)
    expect(second.body.refundId).not.toBe(refundId)
    expect((await control("POST", `/cips/${cip.cip}/refunds`, { amount: 40 })).status).toBe(409)
    expect((await control("POST", `/cips/${cip.cip}/refunds`, { amount: 1, refundId })).status).toBe(409)
    expect((await control("POST", `/cips/${(await createCip(token)).cip}/refunds`, { amount: 1 })).status).toBe(409)
    expect((await control("POST", "/cips/1/refunds", { amount: 1 })).status).toBe(404)
    expect((await control("POST", `/cips/${cip.cip}/refunds`, { amount: 1.001 })).status).toBe(400)
    expect((await control("POST", `/cips/${cip.cip}/refunds`, {})).status).toBe(400)
  })

  it("notifies before answering when notifyBeforeResponse is set", async () => {
    await control("PUT", "/config", { refunds: { notifyBeforeResponse: true, settleDelayMs: 5000 } })
    const token = await getToken()
    const cip = await paidCip(token)
    const res = await refund(token, { cip: cip.cip, transactionCode: cip.transactionCode, amount: "10.00", refundId: "rf_early" })
    expect(res.status).toBe(201)
    expect(res.body.data.status).toBe("completed")
    expect(bodies()).toEqual([expect.objectContaining({ eventType: "refund.completed" })])
  })

  it("retries a failed delivery once", async () => {
    const token = await getToken()
    receiver.statuses.push(500)
    const cip = await createCip(token)
    await control("POST", `/cips/${cip.cip}/pay`, { wait: true })
    expect(receiver.received).toHaveLength(2)
    expect(receiver.received[0].raw.equals(receiver.received[1].raw)).toBe(true)
    const deliveries = sb.snapshot().deliveries
    expect(deliveries.map((d) => [d.attempt, d.status, d.outcome])).toEqual([
      [1, 500, "failed"],
      [2, 200, "delivered"],
    ])

    // Only once: two failures and it gives up.
    receiver.received.length = 0
    receiver.statuses.push(503, 503, 503)
    const other = await createCip(token)
    await control("POST", `/cips/${other.cip}/pay`, { wait: true })
    expect(receiver.received).toHaveLength(2)
  })

  it("retries on a network error and records it", async () => {
    const token = await getToken()
    await control("PUT", "/config", { notifyUrl: "http://127.0.0.1:1/hook" })
    const cip = await createCip(token)
    await control("POST", `/cips/${cip.cip}/pay`, { wait: true })
    const deliveries = sb.snapshot().deliveries
    expect(deliveries).toHaveLength(2)
    expect(deliveries[0]).toEqual(expect.objectContaining({ outcome: "failed", status: null, error: expect.any(String) }))
  })

  it("records deliveries without a notify URL", async () => {
    await control("PUT", "/config", { notifyUrl: null })
    const token = await getToken()
    const cip = await createCip(token)
    await control("POST", `/cips/${cip.cip}/pay`, { wait: true })
    expect(sb.snapshot().deliveries).toEqual([
      expect.objectContaining({ outcome: "no-url", url: null, status: null, error: "no notify URL" }),
    ])
    expect(receiver.received).toHaveLength(0)
  })
})

describe("faults", () => {
  it("answers a status N times, then recovers", async () => {
    const token = await getToken()
    const faults = await control("PUT", "/faults", { path: "/v1/cips", method: "POST", status: 503, times: 2 })
    expect(faults.status).toBe(200)
    expect(faults.body).toEqual([expect.objectContaining({ id: expect.any(Number), remaining: 2, hits: 0 })])
    expectA3(await api("POST", "/cips", token, cipBody()), 503, "503")
    expectA3(await api("POST", "/cips", token, cipBody()), 503, "503")
    expect((await api("POST", "/cips", token, cipBody())).status).toBe(201)
    expect(sb.snapshot().counters.requests["POST /v1/cips"]).toBe(3)

    await control("PUT", "/faults", { path: "/v1/refunds", status: 500, times: 1 })
    expectA3(await api("GET", "/refunds/x", token), 500, CODES.INTERNAL_ERROR)
  })

  it("answers 429 with Retry-After", async () => {
    const token = await getToken()
    await control("PUT", "/faults", { path: "/v1/refunds", status: 429, retryAfter: 7, times: 1 })
    const res = await api("GET", "/refunds/x", token)
    expect(res.status).toBe(429)
    expect(res.headers.get("retry-after")).toBe("7")
    expect(res.body.code).toBe("429")
  })

  it("drops the connection after committing a refund; the replay answers 200", async () => {
    await control("PUT", "/config", { refunds: { autoSettle: "none" } })
    const token = await getToken()
    const cip = await paidCip(token)
    await control("PUT", "/faults", { path: "/v1/refunds", method: "POST", dropConnection: "after-commit", times: 1 })
    const fields = { cip: cip.cip, transactionCode: cip.transactionCode, amount: "5.00", refundId: "rf_drop" }
    await expect(refund(token, fields)).rejects.toThrow()
    expect(sb.state.refunds.get("rf_drop")?.status).toBe("pending")
    const replay = await refund(token, fields)
    expect(replay.status).toBe(200)
    expect(sb.snapshot().counters.refundsCreated).toBe(1)
  })

  it("drops the connection before processing", async () => {
    const token = await getToken()
    const cip = await paidCip(token)
    await control("PUT", "/faults", { path: "/v1/refunds", dropConnection: "before", times: 1 })
    const fields = { cip: cip.cip, transactionCode: cip.transactionCode, amount: "5.00", refundId: "rf_before" }
    await expect(refund(token, fields)).rejects.toThrow()
    expect(sb.state.refunds.size).toBe(0)
    expect((await refund(token, fields)).status).toBe(201)
  })

  it("adds latency", async () => {
    const token = await getToken()
    await control("PUT", "/faults", { path: "/v1/cips", latencyMs: 150, times: 1 })
    const start = Date.now()
    expect((await api("POST", "/cips", token, cipBody())).status).toBe(201)
    expect(Date.now() - start).toBeGreaterThanOrEqual(140)
  })

  it("holds a request until released", async () => {
    const token = await getToken()
    await control("PUT", "/faults", { path: "/v1/cips", method: "POST", hold: true, times: 1 })
    let answered = false
    const pending = api("POST", "/cips", token, cipBody()).then((r) => ((answered = true), r))
    await waitFor(() => sb.state.counters.requests["POST /v1/cips"] === 1)
    const inFlight = (await control("GET", "/requests?route=POST%20/v1/cips")).body
    expect(inFlight).toEqual([expect.objectContaining({ status: null, ms: null })])
    expect(answered).toBe(false)
    expect((await control("POST", "/faults/release")).body).toEqual({ released: 1 })
    expect((await pending).status).toBe(201)
    expect((await control("POST", "/faults/release")).body).toEqual({ released: 0 })
  })

  it("duplicates, drops and delays notifications", async () => {
    const token = await getToken()
    await control("PUT", "/faults", [
      { path: "notifications", eventType: "cip.paid", duplicate: 2, times: 1 },
      { path: "notifications", drop: true, times: 1 },
      { path: "notifications", delayMs: 100, times: 1 },
    ])
    const a = await createCip(token)
    await control("POST", `/cips/${a.cip}/pay`, { wait: true })
    expect(receiver.received).toHaveLength(3)
    expect(new Set(receiver.received.map((r) => r.raw.toString())).size).toBe(1)
    expect(sb.snapshot().deliveries.map((d) => d.copy)).toEqual([0, 1, 2])

    const b = await createCip(token)
    await control("POST", `/cips/${b.cip}/pay`, { wait: true })
    expect(receiver.received).toHaveLength(3)
    expect(sb.snapshot().deliveries[3]).toEqual(expect.objectContaining({ outcome: "dropped", status: null }))

    const c = await createCip(token)
    const start = Date.now()
    await control("POST", `/cips/${c.cip}/pay`, { wait: true })
    expect(Date.now() - start).toBeGreaterThanOrEqual(90)
    expect(receiver.received).toHaveLength(4)

    const faults = (await control("GET", "/faults")).body
    expect(faults.map((f: any) => f.remaining)).toEqual([0, 0, 0])
    expect((await control("DELETE", "/faults")).body).toEqual([])
  })

  it("validates faults", async () => {
    expect((await control("PUT", "/faults", { path: "v1", status: 500 })).status).toBe(400)
    expect((await control("PUT", "/faults", { path: "/v1" })).status).toBe(400)
    expect((await control("PUT", "/faults", { path: "/v1", status: 200 })).status).toBe(400)
    expect((await control("PUT", "/faults", { path: "notifications", status: 500 })).status).toBe(400)
    expect((await control("PUT", "/faults", { path: "/v1", drop: true })).status).toBe(400)
    expect((await control("GET", "/faults")).body).toEqual([])
  })
})

describe("request log", () => {
  it("lists each API request with its route, status and search size, and the peak in flight per route", async () => {
    const token = await getToken()
    const [a, b] = [await createCip(token), await createCip(token)]
    // five searches held 100 ms each, sent at once: all five are in flight together
    await control("PUT", "/faults", { path: "/v1/cips/search", latencyMs: 100, times: 5 })
    await Promise.all(Array.from({ length: 5 }, () => api("POST", "/cips/search", token, { data: [{ cip: a.cip }, { cip: b.cip }] })))
    await api("POST", "/cips/search", token, { Data: [{ CIP: a.cip }] })

    const searches = (await control("GET", "/requests?route=POST%20/v1/cips/search")).body
    expect(searches).toHaveLength(6)
    expect(searches.map((r: any) => r.items)).toEqual([2, 2, 2, 2, 2, 1])
    expect(searches.every((r: any) => r.status === 200 && r.ms !== null && r.path === "/v1/cips/search")).toBe(true)
    expect(Math.max(...searches.map((r: any) => r.concurrent))).toBe(5)
    const { counters } = (await control("GET", "/state")).body
    expect(counters.peakInFlight).toMatchObject({ "POST /v1/cips/search": 5, "POST /v1/cips": 1, "POST /v1/authorizations": 1 })
    // by path prefix; the control API is not logged
    expect((await control("GET", `/requests?path=/v1/cips`)).body.map((r: any) => r.route)).toEqual([
      "POST /v1/cips",
      "POST /v1/cips",
      ...Array(6).fill("POST /v1/cips/search"),
    ])
    expect((await control("GET", "/requests")).body.some((r: any) => r.path.startsWith("/__sandbox"))).toBe(false)

    await control("POST", "/reset")
    expect((await control("GET", "/requests")).body).toEqual([])
    expect((await control("GET", "/state")).body.counters.peakInFlight).toEqual({})
  })
})

describe("control API", () => {
  it("merge-patches and validates the config", async () => {
    const res = await control("PUT", "/config", { refunds: { settleDelayMs: 5 }, merchantBalance: 100 })
    expect(res.status).toBe(200)
    expect(res.body.refunds).toEqual(expect.objectContaining({ settleDelayMs: 5, autoSettle: "complete" }))
    expect(res.body.merchantBalance).toBe(100)
    expect(res.body.notifyUrl).toBe(receiver.url)
    expect((await control("PUT", "/config", { nope: 1 })).status).toBe(400)
    expect((await control("PUT", "/config", { refunds: { autoSettle: "maybe" } })).status).toBe(400)
    expect((await control("PUT", "/config", { notifyUrl: "ftp://x" })).status).toBe(400)
    expect((await control("PUT", "/config", { tokenTtlSeconds: -1 })).status).toBe(400)
  })

  it("resets everything to the start-up state", async () => {
    const token = await getToken()
    await createCip(token)
    await control("PUT", "/config", { notifyUrl: null, refundWindowDays: 1 })
    await control("PUT", "/faults", { path: "/v1/cips", latencyMs: 1 })
    const res = await control("POST", "/reset")
    expect(res.body).toEqual({
      cips: [],
      refunds: [],
      deliveries: [],
      faults: [],
      config: expect.objectContaining({ notifyUrl: receiver.url, refundWindowDays: 180, notificationRetryDelayMs: 20 }),
      counters: { authorizations: 0, refundsCreated: 0, requests: {}, peakInFlight: {}, held: 0 },
    })
  })
})

describe("logging", () => {
  it("logs one line per request and never a credential, token, hash or signature", () => {
    expect(logs.some((l) => /^POST \/v1\/refunds \d{3} \d+ms cid=/.test(l))).toBe(true)
    expect(logs.some((l) => /^POST \/v1\/authorizations 201 \d+ms cid=/.test(l))).toBe(true)
    expect(secretsSeen.size).toBeGreaterThan(5)
    const all = logs.join("\n")
    for (const secret of [SECRET_KEY, ACCESS_KEY, ...secretsSeen]) {
      if (all.includes(secret)) throw new Error(`a log line contains a secret: ${secret.slice(0, 6)}…`)
    }
  })
})
