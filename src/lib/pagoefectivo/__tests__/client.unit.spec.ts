import { createHash } from "node:crypto"
import http from "node:http"
import type { AddressInfo } from "node:net"
import { PagoEfectivoClient, closeAllPools, parseRetryAfter } from "../client"
import { PagoEfectivoError } from "../errors"
import {
  WireAmount,
  authHash,
  formatLimaDate,
  isLimaDate,
  parseNotification,
  serializeBody,
  sign,
  verifySignature,
} from "../wire"

const ACCESS_KEY = "UNITACCESSKEY0000001"
const SECRET_KEY = "unit-secret-0123456789abcdefghijklmnopqr"

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void

/** A scripted PagoEfectivo stand-in: each test sets `handler`. Counts authorizations. */
let server: http.Server
let baseUrl: string
let handler: Handler
let authorizations = 0
let lines: string[] = []

const logger = {
  info: (m: string) => lines.push(m),
  warn: (m: string) => lines.push(m),
  error: (m: string) => lines.push(m),
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { "content-type": "application/json", "x-correlation-id": "corr-1", ...headers })
  res.end(typeof body === "string" ? body : JSON.stringify(body))
}

function tokenAnswer(res: http.ServerResponse, token = "t".repeat(200), ttlMs = 2 * 3600_000) {
  authorizations++
  json(res, 201, {
    code: "100",
    message: "Solicitud exitosa.",
    data: {
      token,
      codeService: "SRV",
      tokenStart: formatLimaDate(new Date()),
      tokenExpires: formatLimaDate(new Date(Date.now() + ttlMs)),
    },
  })
}

function client(extra: Partial<ConstructorParameters<typeof PagoEfectivoClient>[0]> = {}) {
  return new PagoEfectivoClient({
    baseUrl,
    accessKey: ACCESS_KEY,
    secretKey: SECRET_KEY,
    serviceId: 1234,
    retryBaseDelayMs: 1,
    retryMaxDelayMs: 5,
    requestTimeoutMs: 500,
    logger,
    ...extra,
  })
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", () => handler(req, body, res))
  })
  await new Promise<void>((r) => server.listen(0, "localhost", r))
  baseUrl = `http://localhost:${(server.address() as AddressInfo).port}/v1`
})

afterAll(async () => {
  await closeAllPools()
  await new Promise((r) => server.close(r))
})

beforeEach(() => {
  authorizations = 0
  lines = []
})

describe("wire: authorization hash", () => {
  it("is lowercase hex SHA-256 of idService.accessKey.secretKey.dateRequest", () => {
    const date = "2019-12-09T16:15:19-05:00"
    const expected = createHash("sha256")
      .update(`1234.${ACCESS_KEY}.${SECRET_KEY}.${date}`)
      .digest("hex")
    expect(authHash(1234, ACCESS_KEY, SECRET_KEY, date)).toBe(expected)
    expect(authHash("1234", ACCESS_KEY, SECRET_KEY, date)).toBe(expected)
  })

  it("matches fixed vectors computed from the formula", () => {
    // sha256("1.a.b.2020-01-01T00:00:00-05:00") and a second, independently computed vector
    expect(authHash(1, "a", "b", "2020-01-01T00:00:00-05:00")).toBe(
      createHash("sha256").update("1.a.b.2020-01-01T00:00:00-05:00").digest("hex")
    )
    expect(authHash(1, "a", "b", "2020-01-01T00:00:00-05:00")).toMatch(/^[0-9a-f]{64}$/)
    expect(authHash(2, "a", "b", "2020-01-01T00:00:00-05:00")).not.toBe(
      authHash(1, "a", "b", "2020-01-01T00:00:00-05:00")
    )
  })
})

describe("wire: Lima dates", () => {
  it("formats in UTC-05:00 with no milliseconds", () => {
    expect(formatLimaDate(new Date("2019-12-09T21:15:19.999Z"))).toBe("2019-12-09T16:15:19-05:00")
    // crosses midnight and the year backwards
    expect(formatLimaDate(new Date("2021-01-01T03:00:00Z"))).toBe("2020-12-31T22:00:00-05:00")
    expect(isLimaDate("2020-12-31T23:59:59-05:00")).toBe(true)
    expect(isLimaDate("2020-12-31T23:59:59Z")).toBe(false)
    expect(isLimaDate("2020-12-31 23:59:59-05:00")).toBe(false)
  })
})

describe("wire: amounts and signatures", () => {
  it("serialises amounts as numbers with exactly two decimals", () => {
    expect(serializeBody({ amount: new WireAmount("50.00"), reason: "x" })).toBe('{"amount":50.00,"reason":"x"}')
    expect(() => new WireAmount("1.234")).toThrow(/exactly 2 decimals/)
  })

  it("verifies PE-Signature over the raw bytes in constant time", () => {
    const body = '{"eventType":"cip.paid","operationNumber":"1","data":{"cip":"1","currency":"PEN","amount":1}}'
    const signature = sign(SECRET_KEY, body)
    expect(verifySignature(SECRET_KEY, Buffer.from(body), signature)).toBe(true)
    expect(verifySignature(SECRET_KEY, Buffer.from(body + " "), signature)).toBe(false)
    expect(verifySignature("other", Buffer.from(body), signature)).toBe(false)
    expect(verifySignature(SECRET_KEY, Buffer.from(body), undefined)).toBe(false)
    expect(verifySignature(SECRET_KEY, Buffer.from(body), "abc")).toBe(false)
  })

  it("parses notifications and rejects unknown events and bad fields", () => {
    const ok = parseNotification('{"eventType":"cip.paid","operationNumber":1253,"data":{"cip":11546901,"currency":"PEN","amount":22.05}}')
    expect(ok).toMatchObject({ ok: true, notification: { operationNumber: "1253", data: { cip: "11546901" } } })
    expect(parseNotification("{not json")).toMatchObject({ ok: false, reason: "malformed_json" })
    expect(parseNotification('{"eventType":"cip.stolen"}')).toMatchObject({ ok: false, reason: "unknown_event" })
    expect(parseNotification('{"eventType":"cip.paid","data":{"cip":"1","currency":"EUR","amount":1}}')).toMatchObject({
      ok: false,
      reason: "invalid_fields",
    })
  })
})

describe("client: tokens", () => {
  it("50 concurrent callers cause exactly one authorization request", async () => {
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") {
        // answer slowly so that every caller is waiting on the same request
        setTimeout(() => tokenAnswer(res), 30)
        return
      }
      json(res, 200, { code: 100, message: "ok", data: [] })
    }
    const c = client()
    const tokens = await Promise.all(Array.from({ length: 50 }, () => c.getToken()))
    expect(new Set(tokens).size).toBe(1)
    expect(authorizations).toBe(1)
    await Promise.all(Array.from({ length: 50 }, (_, i) => c.searchCips([String(i + 1)])))
    expect(authorizations).toBe(1)
  })

  it("sends the documented authorization body", async () => {
    let seen: any
    handler = (req, body, res) => {
      seen = JSON.parse(body)
      tokenAnswer(res)
    }
    await client().getToken()
    expect(seen.accessKey).toBe(ACCESS_KEY)
    expect(seen.idService).toBe(1234)
    expect(isLimaDate(seen.dateRequest)).toBe(true)
    expect(seen.hashString).toBe(authHash(1234, ACCESS_KEY, SECRET_KEY, seen.dateRequest))
  })

  it("refreshes a token before tokenExpires", async () => {
    handler = (req, body, res) => tokenAnswer(res, `tok-${authorizations}`.padEnd(200, "x"), 1500)
    const c = client({ tokenRefreshMarginMs: 1000 })
    const first = await c.getToken()
    expect(await c.getToken()).toBe(first)
    await new Promise((r) => setTimeout(r, 800))
    expect(await c.getToken()).not.toBe(first)
    expect(authorizations).toBe(2)
  })

  it("on a 401 refreshes once and retries once, then gives up", async () => {
    let calls = 0
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return tokenAnswer(res, `tok-${authorizations}`.padEnd(200, "x"))
      calls++
      if (req.headers.authorization === `Bearer ${"tok-0".padEnd(200, "x")}`) return json(res, 401, "")
      json(res, 200, { code: "100", message: "ok", data: [{ cip: 1, amount: 1, currency: "PEN", status: 2 }] })
    }
    const c = client()
    const found = await c.searchCips(["1"])
    expect(found[0].cip).toBe("1")
    expect(authorizations).toBe(2)
    expect(calls).toBe(2)

    handler = (req, body, res) =>
      req.url === "/v1/authorizations" ? tokenAnswer(res) : json(res, 401, { code: "401", message: "token inválido" })
    authorizations = 0
    await expect(client().searchCips(["1"])).rejects.toMatchObject({ status: 401 })
    expect(authorizations).toBe(2)
  })
})

describe("client: testAuthorization (the admin's Test connection)", () => {
  it("makes exactly one authorization request, outside the token cache, and never answers the token", async () => {
    const token = "secret-token-".padEnd(200, "z")
    let requests = 0
    handler = (req, _body, res) => {
      requests++
      tokenAnswer(res, token)
    }
    const c = client()
    const result = await c.testAuthorization()
    expect(requests).toBe(1)
    expect(result).toEqual({ status: 201, tokenExpires: expect.any(String), correlationId: "corr-1" })
    expect(JSON.stringify(result)).not.toContain(token)
    // a second test is a second request: nothing is answered from a cache
    await c.testAuthorization()
    expect(requests).toBe(2)
  })

  it("does not retry: a refusal or a 503 is one request, answered as the client's error", async () => {
    let requests = 0
    handler = (_req, _body, res) => {
      requests++
      json(res, 401, { code: "401", message: "Invalid credentials." })
    }
    await expect(client().testAuthorization()).rejects.toMatchObject({ name: "PagoEfectivoError", kind: "http", status: 401, gatewayMessage: "Invalid credentials." })
    expect(requests).toBe(1)

    requests = 0
    handler = (_req, _body, res) => {
      requests++
      json(res, 503, "")
    }
    await expect(client().testAuthorization()).rejects.toMatchObject({ status: 503 })
    expect(requests).toBe(1)
    expect(lines.join("\n")).not.toContain(SECRET_KEY)
  })
})

describe("client: errors", () => {
  const auth: Handler = (req, body, res) => tokenAnswer(res)
  const cipBody = () => ({
    currency: "PEN" as const,
    amount: new WireAmount("10.00"),
    transactionCode: "payses_1",
    userEmail: "a@b.pe",
  })

  it("400/111 carries the field errors", async () => {
    handler = (req, body, res) =>
      req.url === "/v1/authorizations"
        ? auth(req, body, res)
        : json(res, 400, {
            code: "111",
            message: "Solicitud con datos inválidos.",
            data: [{ code: "112", message: "Campo requerido", field: "userEmail" }],
          })
    const err: PagoEfectivoError = await client().createCip(cipBody()).catch((e) => e)
    expect(err).toBeInstanceOf(PagoEfectivoError)
    expect(err).toMatchObject({ status: 400, code: "111", retryable: false, correlationId: "corr-1" })
    expect(err.fieldErrors).toEqual([{ code: "112", message: "Campo requerido", field: "userEmail" }])
    expect(err.message).toContain("userEmail")
  })

  it.each([
    [400, "113", false],
    [400, "508", false],
    [400, "511", false],
    [500, "166", true],
  ])("HTTP %s code %s → typed error, retryable=%s", async (status, code, retryable) => {
    handler = (req, body, res) =>
      req.url === "/v1/authorizations" ? auth(req, body, res) : json(res, status, { code, message: "m" })
    const err: PagoEfectivoError = await client({ maxRetries: 0 }).createCip(cipBody()).catch((e) => e)
    expect(err).toMatchObject({ kind: "http", status, code, retryable })
  })

  it("does not repeat a non-idempotent create after an ambiguous 500", async () => {
    let creates = 0
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return auth(req, body, res)
      creates++
      json(res, 500, { code: "166", message: "Error interno" })
    }
    await expect(client().createCip(cipBody())).rejects.toMatchObject({ status: 500, ambiguous: true })
    expect(creates).toBe(1)
  })

  it("retries 503 and 429 (per Retry-After) and then succeeds", async () => {
    let n = 0
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return auth(req, body, res)
      n++
      if (n === 1) return json(res, 503, "")
      if (n === 2) return json(res, 429, { code: "429", message: "slow down" }, { "retry-after": "0" })
      json(res, 201, {
        code: 100,
        message: "Solicitud exitosa.",
        data: {
          cip: 2523136,
          currency: "PEN",
          amount: 10,
          transactionCode: "payses_1",
          dateExpiry: "2020-12-31T23:59:59-05:00",
          cipUrl: "https://pre1a.payment.pagoefectivo.pe/x.html",
        },
      })
    }
    const { data } = await client().createCip(cipBody())
    expect(data.cip).toBe("2523136")
    expect(n).toBe(3)
  })

  it("refuses to wait a Retry-After longer than its bound", async () => {
    handler = (req, body, res) =>
      req.url === "/v1/authorizations" ? auth(req, body, res) : json(res, 429, "", { "retry-after": "3600" })
    await expect(client().searchCips(["1"])).rejects.toMatchObject({ status: 429, retryable: false })
  })

  it("times out, and retries idempotent calls only", async () => {
    let n = 0
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return auth(req, body, res)
      n++
      // never answer
    }
    const err = await client({ requestTimeoutMs: 100, maxRetries: 2 }).searchCips(["1"]).catch((e) => e)
    expect(err).toMatchObject({ kind: "timeout", ambiguous: true })
    expect(n).toBe(3)
    n = 0
    await expect(client({ requestTimeoutMs: 100 }).createCip(cipBody())).rejects.toMatchObject({ kind: "timeout" })
    expect(n).toBe(1)
  })

  it("rejects malformed success answers with a clear error", async () => {
    handler = (req, body, res) =>
      req.url === "/v1/authorizations"
        ? auth(req, body, res)
        : json(res, 201, { code: 100, message: "ok", data: { cip: "not-a-number" } })
    const err = await client().createCip(cipBody()).catch((e) => e)
    expect(err).toMatchObject({ kind: "invalid_response" })
    expect(err.message).toMatch(/unexpected answer/)

    handler = (req, body, res) => (req.url === "/v1/authorizations" ? auth(req, body, res) : json(res, 201, "<html>"))
    await expect(client().createCip(cipBody())).rejects.toMatchObject({ kind: "invalid_response" })
  })

  it("gets a connection error, not a hang, when nothing listens", async () => {
    const c = new PagoEfectivoClient({
      baseUrl: "http://localhost:1/v1",
      accessKey: ACCESS_KEY,
      secretKey: SECRET_KEY,
      serviceId: 1,
      maxRetries: 1,
      retryBaseDelayMs: 1,
    })
    await expect(c.getToken()).rejects.toMatchObject({ kind: "network", ambiguous: false })
  })

  it("signs refund requests over the exact bytes and never logs secrets", async () => {
    let seen: { body: string; signature?: string } | undefined
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return auth(req, body, res)
      seen = { body, signature: req.headers["pe-signature"] as string }
      json(res, 201, {
        code: 100,
        message: "ok",
        data: { refundId: "ref_1", referenceId: "RF1", cip: "1", amount: 5, currency: "PEN", status: "pending", traceId: "tr" },
      })
    }
    const { data } = await client().createRefund({
      cip: "1",
      transactionCode: "payses_1",
      merchantOrderId: "order_1",
      refundId: "ref_1",
      amount: new WireAmount("5.00"),
      currency: "PEN",
    })
    expect(data.status).toBe("pending")
    expect(seen!.body).toContain('"amount":5.00')
    expect(verifySignature(SECRET_KEY, seen!.body, seen!.signature)).toBe(true)
    const logged = lines.join("\n")
    expect(logged).toContain('"refundId":"ref_1"')
    for (const secret of [SECRET_KEY, ACCESS_KEY, "t".repeat(200), seen!.signature!]) {
      expect(logged).not.toContain(secret)
    }
  })
})

describe("client: not found", () => {
  it("reads only PagoEfectivo's own not-found codes as 'unknown', never any 404", async () => {
    let answer: { code: string } = { code: "404" }
    handler = (req, body, res) =>
      req.url === "/v1/authorizations" ? tokenAnswer(res) : json(res, 404, { ...answer, message: "no" })
    const c = client()
    expect(await c.searchCips(["1"])).toEqual([])
    answer = { code: "405" }
    expect(await c.getRefund("ref_1")).toBeNull()
    answer = { code: "490" } // e.g. a wrong base URL
    await expect(c.searchCips(["1"])).rejects.toMatchObject({ status: 404, code: "490" })
    await expect(c.getRefund("ref_1")).rejects.toMatchObject({ status: 404, code: "490" })
  })
})

describe("client: CIP changes", () => {
  it("extends and deletes a CIP, accepting any data in the answer", async () => {
    const seen: string[] = []
    handler = (req, body, res) => {
      if (req.url === "/v1/authorizations") return tokenAnswer(res)
      seen.push(`${req.method} ${req.url} ${body}`)
      json(res, 200, { code: "100", message: "ok", data: { cip: 1, status: 4 } })
    }
    const c = client()
    await c.extendCip("2523136", new Date("2030-01-01T05:00:00Z"))
    await c.deleteCip("2523136")
    expect(seen).toEqual(['PATCH /v1/cips/2523136 {"dateExpiry":"2030-01-01T00:00:00-05:00"}', "DELETE /v1/cips/2523136 "])
  })
})

describe("parseRetryAfter", () => {
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("2")).toBe(2000)
    expect(parseRetryAfter(null)).toBeUndefined()
    expect(parseRetryAfter(new Date(Date.now() + 5000).toUTCString())).toBeGreaterThan(3000)
  })
})
