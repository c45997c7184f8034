/**
 * A real HTTP PagoEfectivo sandbox (node:http, no framework).
 *
 * It speaks section A (authorizations, CIPs, search, extend, delete) and section B (refunds,
 * refund notifications) of docs/reference exactly as src/lib/pagoefectivo/wire.ts describes
 * them: formats, schemas, codes and hashing all come from wire.ts. On top it has a control API
 * under /__sandbox/ (no auth) to pay/expire CIPs, settle refunds, reconfigure and inject faults.
 * See sandbox/README.md.
 */
import { randomBytes, randomUUID } from "node:crypto"
import http from "node:http"
import https from "node:https"
import type { AddressInfo } from "node:net"
import { z } from "zod"
import {
  authHash,
  authRequestSchema,
  CIP_CODES,
  CIP_STATUS,
  CIP_STATUS_NAME,
  CipState,
  CODES,
  createCipRequestSchema,
  createRefundRequestSchema,
  Currency,
  extendCipRequestSchema,
  FieldError,
  formatLimaDate,
  GatewayRefundStatus,
  NotificationEvent,
  ORIGINS,
  parseDate,
  REFUND_CODES,
  searchCipsRequestSchema,
  sign,
  verifySignature,
} from "../src/lib/pagoefectivo/wire"
import {
  applyConfigPatch,
  configPatchSchema,
  DEFAULT_CONFIG,
  expireBodySchema,
  faultsBodySchema,
  panelRefundBodySchema,
  payBodySchema,
  SandboxConfig,
  SandboxConfigPatch,
  SandboxFault,
  settleBodySchema,
} from "./config"
import {
  apiError,
  checkRawAmount,
  clientIp,
  controlError,
  type Ctx,
  escapeHtml,
  fieldError,
  type Handler,
  HttpError,
  invalid,
  isForm,
  json,
  parseControlBody,
  parseJsonBody,
  type Reply,
  type Route,
  sameText,
  SUCCESS_MESSAGE,
  success,
  toCents,
  validate,
} from "./http"
import { RequestLog, searchSize } from "./request-log"
import { issueToken, verifyToken } from "./token"

export * from "./config"
export type { SandboxRequest } from "./request-log"

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

/** Demo credentials; the demo store uses the same defaults. */
export const SANDBOX_DEFAULTS = {
  port: 4010,
  host: "localhost",
  /** 20 characters, like PagoEfectivo's. */
  accessKey: "SANDBOXACCESSKEY0001",
  /** 40 characters, like PagoEfectivo's. */
  secretKey: "sandbox-secret-key-0123456789abcdefghijk",
  serviceId: 1234,
  notifyUrl: null as string | null,
} as const

/**
 * Codes the sandbox answers with that neither PagoEfectivo's documentation nor wire.ts define
 * (the 403/409/422 business codes are wire.ts's REFUND_CODES and CIP_CODES).
 */
export const SANDBOX_CODES = {
  /** 401: token missing/invalid/expired/revoked, bad credentials or hash, bad PE-Signature. */
  UNAUTHORIZED: "401",
  /** 404: no such route (distinct from CIP_NOT_FOUND "404" so a wrong base URL is not read as "unknown CIP"). */
  ROUTE_NOT_FOUND: "490",
  /** 405: the route exists with other methods. */
  METHOD_NOT_ALLOWED: "491",
  /** 413: body above 1 MiB. */
  PAYLOAD_TOO_LARGE: "492",
} as const

/** A dateRequest further than this from the sandbox clock is refused (400/111, field 113). */
export const AUTH_MAX_SKEW_SECONDS = 300
export const FIRST_CIP = 2523136
export const FIRST_OPERATION_NUMBER = 1001
const MAX_BODY_BYTES = 1024 * 1024
const EXPIRY_SWEEP_MS = 1000
const NOTIFY_TIMEOUT_MS = 10_000

// ---------------------------------------------------------------------------
// Types
// ---------------------------------------------------------------------------

export interface SandboxOptions {
  /** 0 = ephemeral. Default 4010. */
  port?: number
  /** Interface to listen on. Default "localhost". */
  host?: string
  /** Base of cipUrl links. Default http://localhost:<port>. */
  publicUrl?: string
  accessKey?: string
  secretKey?: string
  serviceId?: number | string
  /** Initial (and after reset) notification URL. Default none. */
  notifyUrl?: string | null
  /** Initial (and after reset) configuration, merged over the defaults. */
  config?: SandboxConfigPatch
  /** One line per request/delivery. Default console.log with a prefix; `() => {}` silences. */
  log?: (line: string) => void
}

export interface SandboxCip {
  cip: number
  guid: string
  currency: Currency
  amount: number
  transactionCode: string
  status: CipState
  dateCreation: Date
  dateExpiry: Date
  datePayment: Date | null
  dateRemoval: Date | null
  dateExpired: Date | null
  /** The validated creation body (user fields, concept…). */
  request: Record<string, unknown>
}

export interface SandboxRefund {
  refundId: string
  referenceId: string
  cip: string
  transactionCode: string
  merchantOrderId: string
  amount: number
  currency: Currency
  /** The merchant's reason, as sent. */
  requestReason: string | null
  status: GatewayRefundStatus
  dateCreation: Date
  dateProcessed: Date | null
  /** Set when rejected. */
  rejectReason: string | null
  /** The correlation id of the request that created it. */
  traceId: string
}

export type DeliveryOutcome = "delivered" | "failed" | "dropped" | "no-url"

export interface SandboxDelivery {
  id: number
  eventType: NotificationEvent
  /** refundId for refund events, the CIP number for cip events. */
  key: string
  url: string | null
  /** The exact bytes sent (and signed). The signature is never stored. */
  body: string
  /** 1, or 2 for the retry. */
  attempt: number
  /** 0 for the original, 1..n for the copies a `duplicate` fault adds. */
  copy: number
  outcome: DeliveryOutcome
  /** HTTP status of the receiver's answer, null when none. */
  status: number | null
  error: string | null
  /** ISO-8601. */
  at: string
  durationMs: number
}

export interface SandboxCounters {
  /** Tokens issued (successful POST /v1/authorizations). */
  authorizations: number
  /** Refunds created (POST /v1/refunds answered 201). */
  refundsCreated: number
  /** Every API request received, faulted ones included, by "METHOD /route/{param}". */
  requests: Record<string, number>
  /** The most requests of a route in flight at once, by "METHOD /route/{param}". */
  peakInFlight: Record<string, number>
  /** Requests a `hold` fault holds right now (POST /__sandbox/faults/release lets them go). */
  held: number
}

export interface SandboxState {
  cips: Map<number, SandboxCip>
  refunds: Map<string, SandboxRefund>
  deliveries: SandboxDelivery[]
  config: SandboxConfig
  faults: SandboxFault[]
  counters: SandboxCounters
}

export interface SandboxHandle {
  /** e.g. http://localhost:4010 (the API is under url + "/v1"). */
  url: string
  /** url + "/v1" */
  apiUrl: string
  port: number
  /** The live in-memory state (mutable; prefer the control API). */
  readonly state: SandboxState
  /** What GET /__sandbox/state answers. */
  snapshot(): SandboxSnapshot
  close(): Promise<void>
}

export type SandboxSnapshot = ReturnType<Sandbox["snapshot"]>

// ---------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------

/** Options from SANDBOX_PORT, SANDBOX_HOST, SANDBOX_PUBLIC_URL and PAGOEFECTIVO_* variables. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const port = env.SANDBOX_PORT ? Number(env.SANDBOX_PORT) : SANDBOX_DEFAULTS.port
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`SANDBOX_PORT must be a port number, got ${env.SANDBOX_PORT}`)
  }
  return {
    port,
    host: env.SANDBOX_HOST || SANDBOX_DEFAULTS.host,
    publicUrl: env.SANDBOX_PUBLIC_URL || undefined,
    accessKey: env.PAGOEFECTIVO_ACCESS_KEY || SANDBOX_DEFAULTS.accessKey,
    secretKey: env.PAGOEFECTIVO_SECRET_KEY || SANDBOX_DEFAULTS.secretKey,
    serviceId: env.PAGOEFECTIVO_SERVICE_ID || SANDBOX_DEFAULTS.serviceId,
    notifyUrl: env.PAGOEFECTIVO_NOTIFY_URL || null,
  }
}

export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const sandbox = new Sandbox(options)
  await sandbox.listen(options.port ?? SANDBOX_DEFAULTS.port, options.host ?? SANDBOX_DEFAULTS.host)
  return {
    url: sandbox.baseUrl,
    apiUrl: `${sandbox.baseUrl}/v1`,
    port: sandbox.port,
    get state() {
      return sandbox.state
    },
    snapshot: () => sandbox.snapshot(),
    close: () => sandbox.close(),
  }
}

const STATUS_NUMBER: Record<CipState, number> = {
  pending: CIP_STATUS.PENDING,
  paid: CIP_STATUS.PAID,
  expired: CIP_STATUS.EXPIRED,
  deleted: CIP_STATUS.DELETED,
}

const lima = (d: Date | null) => (d ? formatLimaDate(d) : null)

function faultCode(status: number): string {
  if (status === 500) return CODES.INTERNAL_ERROR
  if (status === 400) return CODES.INVALID_REQUEST
  return String(status)
}

// ---------------------------------------------------------------------------
// The sandbox
// ---------------------------------------------------------------------------

class Sandbox {
  readonly state: SandboxState
  baseUrl = ""
  port = 0

  private readonly accessKey: string
  private readonly secretKey: string
  private readonly serviceId: number
  private readonly initialConfig: SandboxConfig
  private readonly tokenKey = randomBytes(32)
  private readonly writeLog: (line: string) => void
  private readonly server: http.Server
  private readonly routes: Route[]
  private sweeper: NodeJS.Timeout | null = null
  private closed = false
  /** Bumped by reset and close: async work of an older epoch stops and records nothing. */
  private epoch = 0
  private tokenGeneration = 0
  private readonly seq = { cip: FIRST_CIP, operation: FIRST_OPERATION_NUMBER, refund: 1, delivery: 1, fault: 1 }
  private readonly timers = new Map<NodeJS.Timeout, () => void>()
  private readonly outbound = new Set<http.ClientRequest>()
  private readonly inflight = new Set<Promise<void>>()
  private readonly requestLog: RequestLog
  /** Requests held by a `hold` fault, each with the function that lets it go on. */
  private readonly held = new Set<() => void>()

  constructor(private readonly options: SandboxOptions) {
    this.accessKey = options.accessKey ?? SANDBOX_DEFAULTS.accessKey
    this.secretKey = options.secretKey ?? SANDBOX_DEFAULTS.secretKey
    this.serviceId = Number(options.serviceId ?? SANDBOX_DEFAULTS.serviceId)
    if (!this.accessKey || !this.secretKey) throw new Error("accessKey and secretKey must not be empty")
    if (!Number.isInteger(this.serviceId) || this.serviceId < 0 || this.serviceId > 9999) {
      throw new Error("serviceId must be a number of at most 4 digits")
    }
    const patch = configPatchSchema.parse({
      ...(options.config ?? {}),
      ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
    })
    this.initialConfig = applyConfigPatch(DEFAULT_CONFIG, patch)
    const sink = options.log ?? ((line: string) => console.log(`[pagoefectivo-sandbox] ${line}`))
    this.writeLog = (line) => sink(this.redact(line))
    this.state = {
      cips: new Map(),
      refunds: new Map(),
      deliveries: [],
      config: structuredClone(this.initialConfig),
      faults: [],
      counters: { authorizations: 0, refundsCreated: 0, requests: {}, peakInFlight: {}, held: 0 },
    }
    this.requestLog = new RequestLog(this.state.counters.peakInFlight)
    this.routes = this.buildRoutes()
    this.server = http.createServer((req, res) => {
      void this.handle(req, res)
    })
  }

  // ----- lifecycle -----------------------------------------------------------

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, host, () => {
        this.server.off("error", reject)
        this.port = (this.server.address() as AddressInfo).port
        this.baseUrl = (this.options.publicUrl ?? `http://localhost:${this.port}`).replace(/\/+$/, "")
        this.sweeper = setInterval(() => this.expireDue(), EXPIRY_SWEEP_MS)
        this.sweeper.unref()
        if (this.secretKey.length !== 40) {
          this.writeLog(`warning: the secret key has ${this.secretKey.length} characters (PagoEfectivo's have 40)`)
        }
        this.writeLog(
          `listening on ${this.baseUrl} (API ${this.baseUrl}/v1, control ${this.baseUrl}/__sandbox/state), ` +
            `service ${this.serviceId}, notify URL ${this.safeUrl(this.state.config.notifyUrl) ?? "none"}`
        )
        resolve()
      })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.epoch++
    if (this.sweeper) clearInterval(this.sweeper)
    this.cancelTimers()
    this.releaseHeld()
    for (const req of this.outbound) req.destroy()
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await Promise.allSettled([...this.inflight])
    await closing
  }

  /** Lets every request held by a `hold` fault go on; answers how many there were. */
  private releaseHeld(): number {
    const n = this.held.size
    for (const release of [...this.held]) release()
    return n
  }

  private reset(): void {
    this.epoch++
    this.cancelTimers()
    this.releaseHeld()
    const s = this.state
    s.cips.clear()
    s.refunds.clear()
    s.deliveries.length = 0
    s.faults.length = 0
    s.config = structuredClone(this.initialConfig)
    s.counters = { authorizations: 0, refundsCreated: 0, requests: {}, peakInFlight: {}, held: 0 }
    this.requestLog.reset(s.counters.peakInFlight)
  }

  /** Resolves true after ms, or false at once when the sandbox resets or closes meanwhile. */
  private sleep(ms: number, epoch: number): Promise<boolean> {
    if (epoch !== this.epoch) return Promise.resolve(false)
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        resolve(epoch === this.epoch)
      }, ms)
      this.timers.set(timer, () => resolve(false))
    })
  }

  private cancelTimers(): void {
    for (const [timer, cancel] of this.timers) {
      clearTimeout(timer)
      cancel()
    }
    this.timers.clear()
  }

  private track(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err) => this.writeLog(`internal error: ${(err as Error)?.message ?? err}`))
    this.inflight.add(tracked)
    void tracked.finally(() => this.inflight.delete(tracked))
    return tracked
  }

  // ----- logging -------------------------------------------------------------

  /** Last line of defence: credentials, tokens and 64-hex hashes/signatures never reach the log. */
  private redact(line: string): string {
    let out = line.split(this.secretKey).join("[redacted]").split(this.accessKey).join("[redacted]")
    out = out.replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "[redacted-token]")
    out = out.replace(/\b[0-9a-fA-F]{64}\b/g, "[redacted-hash]")
    return out
  }

  /** A URL for the log: origin and path only (a query string may carry secrets). */
  private safeUrl(url: string | null): string | null {
    if (!url) return null
    try {
      const u = new URL(url)
      return `${u.origin}${u.pathname}`
    } catch {
      return "[invalid url]"
    }
  }

  // ----- request handling ----------------------------------------------------

  private buildRoutes(): Route[] {
    const r = (method: string, template: string, kind: Route["kind"], handler: Handler): Route => {
      const pattern = new RegExp(
        "^" +
          template
            .replace(/[.]/g, "\\.")
            .replace(/\{[^}]+\}/g, "([^/]+)") +
          "$"
      )
      return { method, pattern, template, kind, handler }
    }
    return [
      r("POST", "/v1/authorizations", "api", (c) => this.authorize(c)),
      r("POST", "/v1/cips", "api", (c) => this.createCip(c)),
      r("POST", "/v1/cips/search", "api", (c) => this.searchCips(c)),
      r("PATCH", "/v1/cips/{cip}", "api", (c, p) => this.extendCip(c, p[0])),
      r("DELETE", "/v1/cips/{cip}", "api", (c, p) => this.deleteCip(c, p[0])),
      r("POST", "/v1/refunds", "api", (c) => this.createRefund(c)),
      r("GET", "/v1/refunds/{refundId}", "api", (c, p) => this.getRefund(c, p[0])),
      r("GET", "/voucher/{guid}.html", "page", (c, p) => this.voucher(p[0])),
      r("GET", "/__sandbox/state", "control", () => json(200, this.snapshot())),
      r("GET", "/__sandbox/requests", "control", (c) => {
        const q = new URL(c.req.url ?? "/", "http://sandbox").searchParams
        return json(200, this.requestLog.list({ route: q.get("route") ?? undefined, pathPrefix: q.get("path") ?? undefined }))
      }),
      r("GET", "/__sandbox/config", "control", () => json(200, this.state.config)),
      r("PUT", "/__sandbox/config", "control", (c) => this.putConfig(c)),
      r("GET", "/__sandbox/faults", "control", () => json(200, this.state.faults)),
      r("PUT", "/__sandbox/faults", "control", (c) => this.putFaults(c)),
      r("DELETE", "/__sandbox/faults", "control", () => {
        this.state.faults.length = 0
        this.releaseHeld()
        return json(200, this.state.faults)
      }),
      r("POST", "/__sandbox/faults/release", "control", () => json(200, { released: this.releaseHeld() })),
      r("POST", "/__sandbox/reset", "control", () => {
        this.reset()
        return json(200, this.snapshot())
      }),
      r("POST", "/__sandbox/tokens/revoke", "control", () => {
        this.tokenGeneration++
        return json(200, { revoked: true })
      }),
      r("POST", "/__sandbox/cips/{cip}/pay", "control", (c, p) => this.controlPay(c, p[0])),
      r("POST", "/__sandbox/cips/{cip}/expire", "control", (c, p) => this.controlExpire(c, p[0])),
      r("POST", "/__sandbox/cips/{cip}/refunds", "control", (c, p) => this.controlPanelRefund(c, p[0])),
      r("POST", "/__sandbox/refunds/{refundId}/complete", "control", (c, p) => this.controlSettle(c, p[0], "complete")),
      r("POST", "/__sandbox/refunds/{refundId}/reject", "control", (c, p) => this.controlSettle(c, p[0], "reject")),
    ]
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now()
    const method = (req.method ?? "GET").toUpperCase()
    const path = (req.url ?? "/").split("?")[0] || "/"
    const given = req.headers["x-correlation-id"]
    const cid = typeof given === "string" && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID()
    res.setHeader("X-Correlation-Id", cid)
    let note = ""
    res.once("close", () => {
      const ms = Math.round(performance.now() - started)
      const status = res.writableFinished ? String(res.statusCode) : "-"
      this.writeLog(`${method} ${path} ${status} ${ms}ms cid=${cid}${note}`)
    })

    try {
      this.expireDue()
      const match = this.match(method, path)
      if (!match) {
        const allowed = this.routes.filter((rt) => rt.pattern.test(path)).map((rt) => rt.method)
        const reply = allowed.length
          ? apiError(405, SANDBOX_CODES.METHOD_NOT_ALLOWED, `Method ${method} not allowed on ${path}.`, {
              Allow: allowed.join(", "),
            })
          : apiError(404, SANDBOX_CODES.ROUTE_NOT_FOUND, `No route ${method} ${path}.`)
        return this.send(res, reply)
      }
      const { route, params } = match

      let fault: SandboxFault | undefined
      let held: Buffer | undefined
      let logged: ReturnType<RequestLog["begin"]> | undefined
      if (route.kind !== "control") {
        const key = `${method} ${route.template}`
        this.state.counters.requests[key] = (this.state.counters.requests[key] ?? 0) + 1
        logged = this.requestLog.begin(key, method, path)
        const { end } = logged
        res.once("close", () => end(res.writableFinished ? res.statusCode : null))
        fault = this.takeRequestFault(method, path)
      }
      if (fault) {
        note = ` fault=${fault.id}`
        if (fault.latencyMs) {
          await new Promise((r) => setTimeout(r, fault!.latencyMs))
        }
        if (fault.hold) {
          // read it now (the client may give up meanwhile), process it when released: a call
          // PagoEfectivo still works on after the client stopped waiting
          held = await this.readBody(req)
          note += " (held)"
          this.state.counters.held++
          await new Promise<void>((resolve) => {
            const release = () => {
              this.held.delete(release)
              resolve()
            }
            this.held.add(release)
          })
          this.state.counters.held = Math.max(0, this.state.counters.held - 1)
        }
        if (fault.dropConnection === "before") {
          note += " (connection dropped before processing)"
          req.socket.destroy()
          return
        }
        if (fault.body !== undefined) {
          note += " (malformed answer)"
          return this.send(res, { status: fault.status ?? 200, html: fault.body })
        }
        const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : undefined)
        if (status !== undefined) {
          const headers: Record<string, string> = {}
          if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter)
          return this.send(res, apiError(status, faultCode(status), `Sandbox fault: HTTP ${status}.`, headers))
        }
      }

      const raw = held ?? (await this.readBody(req))
      if (logged && route.template === "/v1/cips/search") logged.entry.items = searchSize(raw)
      const ctx: Ctx = { req, res, method, path, cid, raw }
      let reply: Reply
      try {
        reply = await route.handler(ctx, params)
      } catch (err) {
        if (!(err instanceof HttpError)) throw err
        reply = err.reply
      }
      if (fault?.dropConnection === "after-commit") {
        note += ` (processed as ${reply.status}, connection dropped after commit)`
        req.socket.destroy()
        return
      }
      this.send(res, reply)
    } catch (err) {
      if (err instanceof HttpError) return this.send(res, err.reply)
      note = ` error=${JSON.stringify(String((err as Error)?.message ?? err)).slice(0, 200)}`
      if (!res.headersSent && !res.destroyed) {
        this.send(res, apiError(500, CODES.INTERNAL_ERROR, "Internal error."))
      } else {
        res.destroy()
      }
    }
  }

  private match(method: string, path: string): { route: Route; params: string[] } | null {
    for (const route of this.routes) {
      if (route.method !== method) continue
      const m = route.pattern.exec(path)
      if (!m) continue
      try {
        return { route, params: m.slice(1).map((p) => decodeURIComponent(p)) }
      } catch {
        return null
      }
    }
    return null
  }

  private readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = []
      let size = 0
      let failed = false
      req.on("data", (chunk: Buffer) => {
        if (failed) return
        size += chunk.length
        if (size > MAX_BODY_BYTES) {
          failed = true
          reject(new HttpError(apiError(413, SANDBOX_CODES.PAYLOAD_TOO_LARGE, "Body above 1 MiB.")))
          return
        }
        chunks.push(chunk)
      })
      req.on("end", () => !failed && resolve(Buffer.concat(chunks)))
      req.on("error", (err) => !failed && reject(err))
    })
  }

  private send(res: http.ServerResponse, reply: Reply): void {
    if (res.headersSent || res.destroyed) return
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v)
    if (reply.html !== undefined) {
      res.writeHead(reply.status, { "Content-Type": "text/html; charset=utf-8" })
      res.end(reply.html)
      return
    }
    if (reply.body === undefined) {
      res.writeHead(reply.status)
      res.end()
      return
    }
    const text = JSON.stringify(reply.body)
    res.writeHead(reply.status, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Length": Buffer.byteLength(text),
    })
    res.end(text)
  }

  private takeRequestFault(method: string, path: string): SandboxFault | undefined {
    const fault = this.state.faults.find(
      (f) =>
        f.path !== "notifications" &&
        f.remaining !== 0 &&
        path.startsWith(f.path) &&
        (f.method === undefined || f.method === method)
    )
    return fault ? this.consume(fault) : undefined
  }

  private takeNotificationFault(eventType: string): SandboxFault | undefined {
    const fault = this.state.faults.find(
      (f) =>
        f.path === "notifications" && f.remaining !== 0 && (f.eventType === undefined || f.eventType === eventType)
    )
    return fault ? this.consume(fault) : undefined
  }

  private consume(fault: SandboxFault): SandboxFault {
    fault.hits++
    if (fault.remaining !== null) fault.remaining--
    return fault
  }

  // ----- auth helpers ----------------------------------------------------------

  /** Bearer token and Origin, for every /v1 call but authorizations. */
  private requireApiAuth(ctx: Ctx): void {
    const header = ctx.req.headers.authorization
    const m = typeof header === "string" ? /^Bearer ([A-Za-z0-9_.-]+)$/.exec(header) : null
    if (!m) {
      throw new HttpError(
        apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Missing or malformed Authorization header (Bearer <token>).")
      )
    }
    const claims = verifyToken(this.tokenKey, m[1])
    if (!claims || claims.sub !== String(this.serviceId)) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Invalid token."))
    }
    if (claims.gen < this.tokenGeneration) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Token revoked."))
    }
    if (Date.now() >= claims.exp * 1000) {
      throw new HttpError(apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Token expired."))
    }
    const origin = ctx.req.headers.origin
    if (origin === undefined || origin === "") {
      throw new HttpError(
        invalid([fieldError("Origin", CODES.REQUIRED_FIELD, `The Origin header is required (${ORIGINS.join(", ")}).`)])
      )
    }
    if (!(ORIGINS as readonly string[]).includes(origin.toLowerCase())) {
      throw new HttpError(
        invalid([fieldError("Origin", CODES.INVALID_VALUE, `Invalid Origin header: use ${ORIGINS.join(", ")}.`)])
      )
    }
  }

  // ----- A1: authorizations --------------------------------------------------

  private authorize(ctx: Ctx): Reply {
    const input = parseJsonBody(ctx.raw)
    const body = validate(authRequestSchema, input)
    const rawServiceId = String((input as any).idService)
    const unauthorized = () => apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Invalid credentials.")
    if (!sameText(body.accessKey, this.accessKey) || body.idService !== this.serviceId) return unauthorized()
    const expected = authHash(rawServiceId, this.accessKey, this.secretKey, body.dateRequest)
    if (!sameText(expected, body.hashString)) return unauthorized()
    const now = Date.now()
    const skew = Math.abs(parseDate(body.dateRequest).getTime() - now) / 1000
    if (skew > AUTH_MAX_SKEW_SECONDS) {
      return invalid([
        fieldError(
          "dateRequest",
          CODES.INVALID_VALUE,
          `dateRequest differs from the server clock (${formatLimaDate(new Date(now))}) by ${Math.round(skew)} s; ` +
            `at most ${AUTH_MAX_SKEW_SECONDS} s allowed.`
        ),
      ])
    }
    const iat = Math.floor(now / 1000)
    const exp = Math.floor((now + this.state.config.tokenTtlSeconds * 1000) / 1000)
    const token = issueToken(this.tokenKey, { sub: String(this.serviceId), iat, exp, gen: this.tokenGeneration })
    this.state.counters.authorizations++
    return json(201, {
      code: CODES.SUCCESS,
      message: SUCCESS_MESSAGE,
      data: {
        token,
        codeService: "SRV",
        tokenStart: formatLimaDate(new Date(iat * 1000)),
        tokenExpires: formatLimaDate(new Date(exp * 1000)),
      },
    })
  }

  // ----- A2/A4: CIPs -----------------------------------------------------------

  private createCip(ctx: Ctx): Reply {
    this.requireApiAuth(ctx)
    const input = parseJsonBody(ctx.raw)
    const body = validate(createCipRequestSchema, input)
    checkRawAmount(ctx.raw)
    const now = new Date()
    let dateExpiry: Date
    if (body.dateExpiry) {
      dateExpiry = parseDate(body.dateExpiry)
      if (dateExpiry.getTime() <= now.getTime()) {
        return invalid([fieldError("dateExpiry", CODES.INVALID_VALUE, "Invalid value for dateExpiry: must be in the future.")])
      }
    } else {
      dateExpiry = new Date(now.getTime() + this.state.config.defaultExpiryHours * 3600_000)
    }
    if (body.amount > this.state.config.maxCipAmount) {
      return apiError(
        400,
        CODES.ABOVE_MAX_AMOUNT,
        `The amount is above the merchant's maximum (${this.state.config.maxCipAmount}).`
      )
    }
    const cip: SandboxCip = {
      cip: this.seq.cip++,
      guid: randomUUID(),
      currency: body.currency,
      amount: body.amount,
      transactionCode: body.transactionCode,
      status: "pending",
      dateCreation: now,
      dateExpiry,
      datePayment: null,
      dateRemoval: null,
      dateExpired: null,
      request: { ...body },
    }
    this.state.cips.set(cip.cip, cip)
    return success(201, {
      cip: cip.cip,
      currency: cip.currency,
      amount: cip.amount,
      transactionCode: cip.transactionCode,
      dateExpiry: formatLimaDate(cip.dateExpiry),
      cipUrl: this.cipUrl(cip),
    })
  }

  private cipUrl(cip: SandboxCip): string {
    return `${this.baseUrl}/voucher/${cip.guid}.html`
  }

  private searchItem(c: SandboxCip) {
    return {
      cip: c.cip,
      transactionCode: c.transactionCode,
      amount: c.amount,
      currency: c.currency,
      status: STATUS_NUMBER[c.status],
      statusName: CIP_STATUS_NAME[STATUS_NUMBER[c.status]],
      dateCreation: formatLimaDate(c.dateCreation),
      dateExpiry: formatLimaDate(c.dateExpiry),
      datePayment: lima(c.datePayment),
      dateRemoval: lima(c.dateRemoval),
    }
  }

  private searchCips(ctx: Ctx): Reply {
    this.requireApiAuth(ctx)
    const input = parseJsonBody(ctx.raw)
    // Casing varies between clients: data/Data/DATA, cip/CIP/Cip.
    const pick = (obj: unknown, name: string) =>
      obj && typeof obj === "object" && !Array.isArray(obj)
        ? (obj as any)[Object.keys(obj).find((k) => k.toLowerCase() === name) ?? name]
        : undefined
    const list = pick(input, "data")
    const normalised = {
      data: Array.isArray(list)
        ? list.map((item) => (item && typeof item === "object" ? { cip: pick(item, "cip") } : item))
        : list,
    }
    const body = validate(searchCipsRequestSchema, normalised)
    const found = body.data
      .map((item: { cip: string }) => this.state.cips.get(Number(item.cip)))
      .filter((c: SandboxCip | undefined): c is SandboxCip => !!c)
    if (found.length === 0) {
      return apiError(404, REFUND_CODES.CIP_NOT_FOUND, "None of the CIPs exists.")
    }
    return success(200, found.map((c: SandboxCip) => this.searchItem(c)))
  }

  private findCip(param: string): SandboxCip {
    if (!/^\d{1,20}$/.test(param)) {
      throw new HttpError(invalid([fieldError("cip", CODES.INVALID_VALUE, "Invalid value for cip: digits only.")]))
    }
    const cip = this.state.cips.get(Number(param))
    if (!cip) throw new HttpError(apiError(404, CIP_CODES.CIP_NOT_FOUND, `CIP ${param} does not exist.`))
    return cip
  }

  private extendCip(ctx: Ctx, param: string): Reply {
    this.requireApiAuth(ctx)
    const cip = this.findCip(param)
    const body = validate(extendCipRequestSchema, parseJsonBody(ctx.raw))
    if (cip.status !== "pending") {
      return apiError(422, CIP_CODES.CIP_NOT_PENDING, `CIP ${cip.cip} is ${cip.status}: its expiry cannot change.`)
    }
    const date = parseDate(body.dateExpiry)
    if (date.getTime() <= Date.now()) {
      return invalid([fieldError("dateExpiry", CODES.INVALID_VALUE, "Invalid value for dateExpiry: must be in the future.")])
    }
    cip.dateExpiry = date
    return success(200, this.searchItem(cip))
  }

  private deleteCip(ctx: Ctx, param: string): Reply {
    this.requireApiAuth(ctx)
    const cip = this.findCip(param)
    if (cip.status === "paid") {
      return apiError(422, CIP_CODES.CIP_ALREADY_PAID, `CIP ${cip.cip} is paid: it cannot be deleted.`)
    }
    if (cip.status !== "deleted") {
      cip.status = "deleted"
      cip.dateRemoval = new Date()
    }
    return success(200, this.searchItem(cip))
  }

  /** Pending CIPs whose dateExpiry has passed become expired and notify cip.expired. */
  private expireDue(): void {
    const now = Date.now()
    for (const cip of this.state.cips.values()) {
      if (cip.status === "pending" && cip.dateExpiry.getTime() <= now) this.expireCip(cip, true)
    }
  }

  private expireCip(cip: SandboxCip, notify: boolean): Promise<void> {
    cip.status = "expired"
    cip.dateExpired = new Date()
    if (!notify) return Promise.resolve()
    return this.notify("cip.expired", String(cip.cip), {
      cip: String(cip.cip),
      currency: cip.currency,
      amount: cip.amount,
      transactionCode: cip.transactionCode,
    })
  }

  private payCip(cip: SandboxCip, paidAt: Date, notify: boolean): Promise<void> {
    cip.status = "paid"
    cip.datePayment = paidAt
    if (!notify) return Promise.resolve()
    return this.notify("cip.paid", String(cip.cip), {
      cip: String(cip.cip),
      currency: cip.currency,
      amount: cip.amount,
      transactionCode: cip.transactionCode,
      paymentDate: formatLimaDate(paidAt),
    })
  }

  private voucher(guid: string): Reply {
    const cip = [...this.state.cips.values()].find((c) => c.guid === guid)
    if (!cip) {
      return { status: 404, html: "<!doctype html><title>CIP not found</title><h1>CIP not found</h1>" }
    }
    const amount = `${cip.currency === "PEN" ? "S/" : "US$"} ${cip.amount.toFixed(2)}`
    const payPath = `/__sandbox/cips/${cip.cip}/pay`
    const html = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>CIP ${cip.cip} - PagoEfectivo sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
.cip{font-size:2.5rem;font-weight:700;letter-spacing:.1em}.muted{color:#666}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<p class="muted">PagoEfectivo sandbox (not a real payment)</p>
<h1>Código de pago (CIP)</h1>
<p class="cip">${cip.cip}</p>
<p>Monto: <strong>${escapeHtml(amount)}</strong></p>
<p>Estado: <strong>${escapeHtml(CIP_STATUS_NAME[STATUS_NUMBER[cip.status]])}</strong></p>
<p>Vence: ${escapeHtml(formatLimaDate(cip.dateExpiry))}</p>
<p>Referencia: ${escapeHtml(cip.transactionCode)}</p>
${
  cip.status === "pending"
    ? `<form method="post" action="${payPath}"><button type="submit">Simulate payment (pay this CIP)</button></form>
<p class="muted">Or: <code>curl -X POST ${escapeHtml(this.baseUrl + payPath)}</code></p>`
    : ""
}
</body></html>`
    return { status: 200, html }
  }

  // ----- B: refunds --------------------------------------------------------------

  private refundData(r: SandboxRefund, detail: boolean) {
    const data: {
      refundId: string
      referenceId: string
      cip: string
      amount: number
      currency: Currency
      status: GatewayRefundStatus
      dateCreation: string
      traceId: string
      reason?: string
      dateProcessed?: string
    } = {
      refundId: r.refundId,
      referenceId: r.referenceId,
      cip: r.cip,
      amount: r.amount,
      currency: r.currency,
      status: r.status,
      dateCreation: formatLimaDate(r.dateCreation),
      traceId: r.traceId,
    }
    if (detail) {
      const reason = this.refundReason(r)
      if (reason !== null) data.reason = reason
      if (r.dateProcessed) data.dateProcessed = formatLimaDate(r.dateProcessed)
    }
    return data
  }

  /** The rejection reason when rejected, otherwise the merchant's own reason. */
  private refundReason(r: SandboxRefund): string | null {
    return r.status === "rejected" ? r.rejectReason : r.requestReason
  }

  private async createRefund(ctx: Ctx): Promise<Reply> {
    this.requireApiAuth(ctx)
    if (!verifySignature(this.secretKey, ctx.raw, ctx.req.headers["pe-signature"])) {
      return apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Missing or invalid PE-Signature.")
    }
    const config = this.state.config
    if (!config.refundsEnabled) {
      return apiError(403, REFUND_CODES.REFUNDS_NOT_ENABLED, "Refunds are not enabled for this merchant.")
    }
    const ip = clientIp(ctx.req)
    if (config.allowedIps.length > 0 && !config.allowedIps.includes(ip)) {
      return apiError(403, REFUND_CODES.IP_NOT_ALLOWED, `The caller IP ${ip} is not allowed.`)
    }
    const body = validate(createRefundRequestSchema, parseJsonBody(ctx.raw))
    checkRawAmount(ctx.raw)

    const existing = this.state.refunds.get(body.refundId)
    if (existing) {
      const same =
        existing.cip === body.cip &&
        existing.transactionCode === body.transactionCode &&
        existing.merchantOrderId === body.merchantOrderId &&
        toCents(existing.amount) === toCents(body.amount) &&
        existing.currency === body.currency
      if (!same) {
        return apiError(
          409,
          REFUND_CODES.REFUND_ID_CONFLICT,
          `refundId ${body.refundId} was already used with a different payload.`
        )
      }
      return success(200, this.refundData(existing, false))
    }

    const cip = this.state.cips.get(Number(body.cip))
    if (!cip) return apiError(404, REFUND_CODES.CIP_NOT_FOUND, `CIP ${body.cip} does not exist.`)
    if (cip.transactionCode !== body.transactionCode) {
      return invalid([
        fieldError("transactionCode", CODES.INVALID_VALUE, "Invalid value for transactionCode: not the CIP's."),
      ])
    }
    if (cip.currency !== body.currency) {
      return apiError(422, REFUND_CODES.CURRENCY_MISMATCH, `The CIP is in ${cip.currency}, not ${body.currency}.`)
    }
    if (cip.status !== "paid" || !cip.datePayment) {
      return apiError(422, REFUND_CODES.CIP_NOT_PAID, `CIP ${cip.cip} is ${cip.status}, not paid.`)
    }
    const windowEnd = cip.datePayment.getTime() + config.refundWindowDays * 86_400_000
    if (Date.now() > windowEnd) {
      return apiError(
        422,
        REFUND_CODES.REFUND_WINDOW_EXCEEDED,
        `The refund window of ${config.refundWindowDays} days after payment has passed.`
      )
    }
    const refundable = this.refundableCents(cip, body.cip)
    if (toCents(body.amount) > refundable) {
      return apiError(
        422,
        REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE,
        `The amount is above what is still refundable (${(refundable / 100).toFixed(2)}).`
      )
    }
    if (config.merchantBalance !== null && toCents(body.amount) > toCents(config.merchantBalance)) {
      return apiError(422, REFUND_CODES.INSUFFICIENT_BALANCE, "The merchant's balance cannot cover the refund.")
    }

    const refund = this.newRefund({
      refundId: body.refundId,
      cip: body.cip,
      transactionCode: body.transactionCode,
      merchantOrderId: body.merchantOrderId,
      amount: body.amount,
      currency: body.currency,
      requestReason: body.reason ?? null,
      traceId: ctx.cid,
    })
    this.state.refunds.set(refund.refundId, refund)
    this.state.counters.refundsCreated++
    if (config.merchantBalance !== null) {
      config.merchantBalance = (toCents(config.merchantBalance) - toCents(refund.amount)) / 100
    }

    const { autoSettle, settleDelayMs, notifyBeforeResponse } = config.refunds
    if (autoSettle !== "none") {
      if (notifyBeforeResponse) {
        await this.settle(refund, autoSettle, undefined, true)
      } else {
        const epoch = this.epoch
        void this.track(
          this.sleep(settleDelayMs, epoch).then((ok) => {
            if (ok && refund.status === "pending" && this.state.refunds.get(refund.refundId) === refund) {
              void this.settle(refund, autoSettle, undefined, true)
            }
          })
        )
      }
    }
    return success(201, this.refundData(refund, false))
  }

  /** A new refund, pending, with the next referenceId. */
  private newRefund(r: Omit<SandboxRefund, "referenceId" | "status" | "dateCreation" | "dateProcessed" | "rejectReason">): SandboxRefund {
    return { ...r, referenceId: `RF${String(this.seq.refund++).padStart(8, "0")}`, status: "pending", dateCreation: new Date(), dateProcessed: null, rejectReason: null }
  }

  /** What is still refundable on a CIP, in cents: its amount less its refunds (under `key`, as sent) not rejected. */
  private refundableCents(cip: SandboxCip, key = String(cip.cip)): number {
    const refunded = [...this.state.refunds.values()]
      .filter((r) => r.cip === key && r.status !== "rejected")
      .reduce((sum, r) => sum + toCents(r.amount), 0)
    return toCents(cip.amount) - refunded
  }

  private getRefund(ctx: Ctx, refundId: string): Reply {
    this.requireApiAuth(ctx)
    const refund = this.state.refunds.get(refundId)
    if (!refund) return apiError(404, REFUND_CODES.REFUND_NOT_FOUND, `Refund ${refundId} was never received.`)
    return success(200, this.refundData(refund, true))
  }

  /** Settles a pending refund and sends refund.completed / refund.rejected. */
  private settle(refund: SandboxRefund, outcome: "complete" | "reject", reason: string | undefined, notify: boolean) {
    refund.status = outcome === "complete" ? "completed" : "rejected"
    refund.dateProcessed = new Date()
    if (outcome === "reject") {
      refund.rejectReason = reason ?? this.state.config.refunds.rejectReason
      const config = this.state.config
      if (config.merchantBalance !== null) {
        config.merchantBalance = (toCents(config.merchantBalance) + toCents(refund.amount)) / 100
      }
    }
    if (!notify) return Promise.resolve()
    return this.notify(outcome === "complete" ? "refund.completed" : "refund.rejected", refund.refundId, {
      refundId: refund.refundId,
      referenceId: refund.referenceId,
      cip: refund.cip,
      amount: refund.amount,
      currency: refund.currency,
      status: refund.status,
      reason: this.refundReason(refund),
      dateProcessed: formatLimaDate(refund.dateProcessed),
    })
  }

  // ----- notifications -------------------------------------------------------------

  /**
   * Sends a notification: compact JSON, PE-Signature over the exact bytes, one retry after
   * notificationRetryDelayMs on a non-2xx answer or network error; notification faults can
   * drop, delay or duplicate it. Resolves when every attempt is over.
   */
  private notify(eventType: NotificationEvent, key: string, data: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify({ eventType, operationNumber: String(this.seq.operation++), data })
    return this.track(this.deliver(eventType, key, body, this.epoch))
  }

  private async deliver(eventType: NotificationEvent, key: string, body: string, epoch: number): Promise<void> {
    const fault = this.takeNotificationFault(eventType)
    const url = this.state.config.notifyUrl
    const base = { eventType, key, url, body, attempt: 1, copy: 0, status: null, durationMs: 0 }
    if (fault?.drop) {
      this.record(epoch, { ...base, outcome: "dropped", error: `dropped by fault ${fault.id}` })
      return
    }
    if (!url) {
      this.record(epoch, { ...base, outcome: "no-url", error: "no notify URL" })
      return
    }
    if (fault?.delayMs && !(await this.sleep(fault.delayMs, epoch))) return
    const copies = 1 + (fault?.duplicate ?? 0)
    for (let copy = 0; copy < copies; copy++) {
      for (let attempt = 1; attempt <= 2; attempt++) {
        if (epoch !== this.epoch) return
        const started = performance.now()
        const result = await this.post(url, body)
        const durationMs = Math.round(performance.now() - started)
        const ok = result.status !== null && result.status >= 200 && result.status < 300
        this.record(epoch, {
          ...base,
          attempt,
          copy,
          outcome: ok ? "delivered" : "failed",
          status: result.status,
          error: ok ? null : (result.error ?? `HTTP ${result.status}`),
          durationMs,
        })
        if (ok) break
        if (attempt === 1 && !(await this.sleep(this.state.config.notificationRetryDelayMs, epoch))) return
      }
    }
  }

  private record(epoch: number, d: Omit<SandboxDelivery, "id" | "at">): void {
    if (epoch !== this.epoch) return
    const delivery: SandboxDelivery = { id: this.seq.delivery++, at: new Date().toISOString(), ...d }
    this.state.deliveries.push(delivery)
    const copy = d.copy ? ` copy=${d.copy}` : ""
    this.writeLog(
      `notify ${d.eventType} key=${d.key} -> ${this.safeUrl(d.url) ?? "(none)"} ${d.outcome}` +
        ` status=${d.status ?? "-"} attempt=${d.attempt}${copy} ${d.durationMs}ms` +
        (d.error && d.outcome !== "delivered" ? ` error=${JSON.stringify(d.error)}` : "")
    )
  }

  /** POST with node:http(s), no keep-alive; never rejects. */
  private post(url: string, body: string): Promise<{ status: number | null; error: string | null }> {
    return new Promise((resolve) => {
      let target: URL
      try {
        target = new URL(url)
      } catch {
        return resolve({ status: null, error: "invalid notify URL" })
      }
      const bytes = Buffer.from(body, "utf8")
      const client = target.protocol === "https:" ? https : http
      const req = client.request(
        target,
        {
          method: "POST",
          agent: false,
          headers: {
            "Content-Type": "application/json",
            "Content-Length": bytes.length,
            "PE-Signature": sign(this.secretKey, bytes),
            "User-Agent": "pagoefectivo-sandbox",
          },
          timeout: NOTIFY_TIMEOUT_MS,
        },
        (res) => {
          res.resume()
          res.on("end", () => done({ status: res.statusCode ?? null, error: null }))
          res.on("error", () => done({ status: res.statusCode ?? null, error: null }))
        }
      )
      const done = (r: { status: number | null; error: string | null }) => {
        this.outbound.delete(req)
        resolve(r)
      }
      this.outbound.add(req)
      req.on("timeout", () => req.destroy(new Error(`timeout after ${NOTIFY_TIMEOUT_MS} ms`)))
      req.on("error", (err: NodeJS.ErrnoException) => done({ status: null, error: err.code ?? err.message }))
      req.end(bytes)
    })
  }

  // ----- control API ------------------------------------------------------------------

  snapshot() {
    const s = this.state
    return {
      cips: [...s.cips.values()].map((c) => ({
        ...this.searchItem(c),
        state: c.status,
        guid: c.guid,
        cipUrl: this.cipUrl(c),
        dateExpired: lima(c.dateExpired),
        request: c.request,
      })),
      refunds: [...s.refunds.values()].map((r) => ({
        ...this.refundData(r, true),
        reason: this.refundReason(r),
        dateProcessed: lima(r.dateProcessed),
        transactionCode: r.transactionCode,
        merchantOrderId: r.merchantOrderId,
        requestReason: r.requestReason,
      })),
      deliveries: s.deliveries,
      config: s.config,
      faults: s.faults,
      counters: s.counters,
    }
  }

  private putConfig(ctx: Ctx): Reply {
    const patch = parseControlBody(configPatchSchema, ctx)
    this.state.config = applyConfigPatch(this.state.config, patch)
    return json(200, this.state.config)
  }

  private putFaults(ctx: Ctx): Reply {
    const input = parseControlBody(faultsBodySchema, ctx)
    for (const f of Array.isArray(input) ? input : [input]) {
      this.state.faults.push({ ...f, id: this.seq.fault++, remaining: f.times ?? null, hits: 0 })
    }
    return json(200, this.state.faults)
  }

  private controlCip(param: string): SandboxCip {
    const cip = /^\d{1,20}$/.test(param) ? this.state.cips.get(Number(param)) : undefined
    if (!cip) throw new HttpError(controlError(404, `CIP ${param} does not exist`))
    return cip
  }

  private async controlPay(ctx: Ctx, param: string): Promise<Reply> {
    const body = parseControlBody(payBodySchema, ctx)
    const cip = this.controlCip(param)
    if (cip.status !== "pending") return controlError(409, `CIP ${cip.cip} is ${cip.status}, not pending`)
    const delivery = this.payCip(cip, body.paidAt ? new Date(body.paidAt) : new Date(), body.notify ?? true)
    if (body.wait) await delivery
    if (isForm(ctx.req)) return { status: 303, headers: { Location: `/voucher/${cip.guid}.html` } }
    return json(200, this.snapshot().cips.find((c) => c.cip === cip.cip))
  }

  private async controlExpire(ctx: Ctx, param: string): Promise<Reply> {
    const body = parseControlBody(expireBodySchema, ctx)
    const cip = this.controlCip(param)
    if (cip.status !== "pending") return controlError(409, `CIP ${cip.cip} is ${cip.status}, not pending`)
    const delivery = this.expireCip(cip, body.notify ?? true)
    if (body.wait) await delivery
    return json(200, this.snapshot().cips.find((c) => c.cip === cip.cip))
  }

  /**
   * A refund made in PagoEfectivo's own panel (not through POST /v1/refunds): created completed on
   * a paid CIP, with a fresh refundId unless one is given, and notified with refund.completed, as
   * PagoEfectivo notifies the merchant of a refund its staff made. The same limits as the API's:
   * what is still refundable, the merchant's balance.
   */
  private async controlPanelRefund(ctx: Ctx, param: string): Promise<Reply> {
    const body = parseControlBody(panelRefundBodySchema, ctx)
    const cip = this.controlCip(param)
    if (cip.status !== "paid") return controlError(409, `CIP ${cip.cip} is ${cip.status}, not paid`)
    const refundId = body.refundId ?? `panel-${randomUUID()}`
    if (this.state.refunds.has(refundId)) return controlError(409, `refund ${refundId} exists already`)
    const refundable = this.refundableCents(cip)
    if (toCents(body.amount) > refundable) {
      return controlError(409, `the amount is above what is still refundable on CIP ${cip.cip} (${(refundable / 100).toFixed(2)})`)
    }
    const config = this.state.config
    if (config.merchantBalance !== null) {
      if (toCents(body.amount) > toCents(config.merchantBalance)) return controlError(409, "the merchant's balance cannot cover the refund")
      config.merchantBalance = (toCents(config.merchantBalance) - toCents(body.amount)) / 100
    }
    const refund = this.newRefund({
      refundId,
      cip: String(cip.cip),
      transactionCode: cip.transactionCode,
      merchantOrderId: "",
      amount: body.amount,
      currency: cip.currency,
      requestReason: body.reason ?? null,
      traceId: ctx.cid,
    })
    this.state.refunds.set(refundId, refund)
    const delivery = this.settle(refund, "complete", undefined, body.notify ?? true)
    if (body.wait) await delivery
    return json(201, this.snapshot().refunds.find((r) => r.refundId === refundId))
  }

  private async controlSettle(ctx: Ctx, refundId: string, outcome: "complete" | "reject"): Promise<Reply> {
    const body = parseControlBody(settleBodySchema, ctx)
    const refund = this.state.refunds.get(refundId)
    if (!refund) return controlError(404, `refund ${refundId} does not exist`)
    if (refund.status !== "pending") return controlError(409, `refund ${refundId} is already ${refund.status}`)
    const delivery = this.settle(refund, outcome, body.reason, body.notify ?? true)
    if (body.wait) await delivery
    return json(200, this.snapshot().refunds.find((r) => r.refundId === refundId))
  }
}
