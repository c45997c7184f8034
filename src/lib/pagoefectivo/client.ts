/**
 * The PagoEfectivo HTTP client: one per credential set, shared by the payment provider, the
 * webhook route and the reconciliation job (see `getPagoEfectivoClient`).
 *
 * - Tokens: cached, refreshed before `tokenExpires`, one authorization request in flight however
 *   many calls wait for it; a 401 refreshes once and retries once.
 * - Connections: one undici keep-alive pool per origin, a timeout on every call.
 * - Retries: 429 waits Retry-After (bounded); "not processed" failures (429, 503, connection
 *   refused) are retried for every call; ambiguous ones (5xx, timeouts, resets after sending) only
 *   for idempotent calls. Backoff is exponential with full jitter.
 * - Every answer is validated with zod; failures are `PagoEfectivoError`s.
 * - One log line per HTTP attempt, with no credential, token, hash or signature in it.
 */
import { createHash } from "node:crypto"
import { setTimeout as sleep } from "node:timers/promises"
import { Pool, errors as undiciErrors } from "undici"
import { type z, unknown as zUnknown } from "zod"
import { PagoEfectivoError } from "./errors"
import {
  CODES,
  CORRELATION_HEADER,
  REFUND_CODES,
  type CipData,
  type CipSearchItem,
  type CreateCipRequest,
  type CreateRefundRequest,
  type RefundData,
  SIGNATURE_HEADER,
  type TokenData,
  authHash,
  cipDataSchema,
  cipSearchDataSchema,
  envelope,
  errorBodySchema,
  formatLimaDate,
  refundDataSchema,
  serializeBody,
  sign,
  tokenDataSchema,
} from "./wire"

export type ClientLogger = {
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  debug?(message: string): void
}

export type PagoEfectivoClientOptions = {
  /** e.g. https://services.pagoefectivo.pe/v1 or http://localhost:4010/v1 */
  baseUrl: string
  accessKey: string
  secretKey: string
  serviceId: number
  /** Per-attempt timeout for a whole request/answer, ms. Default 10000. */
  requestTimeoutMs?: number
  /** TCP/TLS connect timeout, ms. Default 3000. */
  connectTimeoutMs?: number
  /** Retries after the first attempt for retryable failures. Default 3. */
  maxRetries?: number
  /** Backoff base and cap, ms. Defaults 200 and 3000. */
  retryBaseDelayMs?: number
  retryMaxDelayMs?: number
  /** Longest Retry-After the client will wait, ms. Default 10000. */
  maxRetryAfterMs?: number
  /** Refresh the token this long before tokenExpires, ms. Default 5 minutes. */
  tokenRefreshMarginMs?: number
  language?: "es-PE" | "en-US"
  logger?: ClientLogger
}

/** One HTTP attempt, as seen by `onAttempt` observers (for audit trails). Never holds secrets. */
export type AttemptRecord = {
  operation: string
  attempt: number
  at: string
  method: string
  path: string
  status: number | null
  code: string | null
  latencyMs: number
  correlationId: string | null
  error: string | null
  /** True when this attempt may have been processed although it failed (timeout, reset, 5xx). */
  ambiguous: boolean
  /** The answer's body as received (PagoEfectivo's answers hold no secrets), capped at 2 KB. */
  response: string | null
}

export type CallOptions = {
  /** Extra fields for the log line, e.g. { refundId, cip }. */
  logContext?: Record<string, string | number | undefined>
  onAttempt?: (attempt: AttemptRecord) => void
  signal?: AbortSignal
}

export type CallResult<T> = { data: T; status: number; correlationId: string | null }

type Operation<T> = {
  name: string
  method: "GET" | "POST" | "PATCH" | "DELETE"
  path: string
  body?: unknown
  schema: z.ZodType<T>
  /** Sending it twice has the same effect as once. */
  idempotent: boolean
  authenticated: boolean
  signed?: boolean
  /** Retries after the first attempt; default the client's maxRetries. */
  maxRetries?: number
}

const MAX_RESPONSE_BYTES = 1024 * 1024
const pools = new Map<string, Pool>()

/** One keep-alive pool per origin, shared by every client in the process. */
function poolFor(origin: string, connectTimeoutMs: number): Pool {
  let pool = pools.get(origin)
  if (!pool) {
    pool = new Pool(origin, {
      connections: 32,
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connect: { timeout: connectTimeoutMs },
    })
    pools.set(origin, pool)
  }
  return pool
}

/** Closes every pool (tests and scripts that want the process to exit promptly). */
export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()]
  pools.clear()
  await Promise.allSettled(all.map((p) => p.close()))
}

export class PagoEfectivoClient {
  private readonly origin: string
  private readonly basePath: string
  private readonly opts: Required<Omit<PagoEfectivoClientOptions, "logger">>
  private readonly logger?: ClientLogger
  private token: { value: string; refreshAt: number } | null = null
  private tokenInFlight: Promise<string> | null = null
  /** Authorization requests sent by this client (exposed for tests and benchmarks). */
  authorizationCount = 0

  constructor(options: PagoEfectivoClientOptions) {
    const url = new URL(options.baseUrl)
    this.origin = url.origin
    this.basePath = url.pathname.replace(/\/+$/, "")
    this.opts = {
      requestTimeoutMs: 10_000,
      connectTimeoutMs: 3_000,
      maxRetries: 3,
      retryBaseDelayMs: 200,
      retryMaxDelayMs: 3_000,
      maxRetryAfterMs: 10_000,
      tokenRefreshMarginMs: 5 * 60_000,
      language: "es-PE",
      ...stripUndefined(options),
    } as Required<Omit<PagoEfectivoClientOptions, "logger">>
    this.logger = options.logger
  }

  // ---- calls ---------------------------------------------------------------------------------

  async createCip(body: CreateCipRequest, call?: CallOptions): Promise<CallResult<CipData>> {
    return this.send(
      {
        name: "createCip",
        method: "POST",
        path: "/cips",
        body,
        schema: cipDataSchema,
        idempotent: false,
        authenticated: true,
      },
      { ...call, logContext: { transactionCode: body.transactionCode, ...call?.logContext } }
    )
  }

  /** Unknown CIPs are simply absent from the answer. */
  async searchCips(cips: string[], call?: CallOptions): Promise<CipSearchItem[]> {
    try {
      const { data } = await this.send(
        {
          name: "searchCips",
          method: "POST",
          path: "/cips/search",
          body: { data: cips.map((cip) => ({ cip: Number(cip) })) },
          schema: cipSearchDataSchema,
          idempotent: true,
          authenticated: true,
        },
        call
      )
      return data
    } catch (e) {
      // Only PagoEfectivo's own "unknown CIP" answer means none is known (a 404 from a wrong
      // base URL must not read as "no such CIP").
      if (e instanceof PagoEfectivoError && e.status === 404 && e.code === REFUND_CODES.CIP_NOT_FOUND) return []
      throw e
    }
  }

  async searchCip(cip: string, call?: CallOptions): Promise<CipSearchItem | null> {
    const found = await this.searchCips([cip], { ...call, logContext: { cip, ...call?.logContext } })
    return found.find((c) => c.cip === cip) ?? null
  }

  async extendCip(cip: string, dateExpiry: Date, call?: CallOptions): Promise<void> {
    await this.send(
      {
        name: "extendCip",
        method: "PATCH",
        path: `/cips/${encodeURIComponent(cip)}`,
        body: { dateExpiry: formatLimaDate(dateExpiry) },
        schema: anyData,
        idempotent: true,
        authenticated: true,
      },
      { ...call, logContext: { cip, ...call?.logContext } }
    )
  }

  async deleteCip(cip: string, call?: CallOptions): Promise<void> {
    await this.send(
      {
        name: "deleteCip",
        method: "DELETE",
        path: `/cips/${encodeURIComponent(cip)}`,
        schema: anyData,
        idempotent: true,
        authenticated: true,
      },
      { ...call, logContext: { cip, ...call?.logContext } }
    )
  }

  /**
   * POST /refunds, signed with PE-Signature. Idempotent by `refundId`: every retry sends the same
   * bytes, and PagoEfectivo answers a replay with 200 and the original refund.
   */
  async createRefund(body: CreateRefundRequest, call?: CallOptions): Promise<CallResult<RefundData>> {
    return this.send(
      {
        name: "createRefund",
        method: "POST",
        path: "/refunds",
        body,
        schema: refundDataSchema,
        idempotent: true,
        authenticated: true,
        signed: true,
      },
      { ...call, logContext: { refundId: body.refundId, cip: body.cip, ...call?.logContext } }
    )
  }

  /** GET /refunds/{refundId}; null when PagoEfectivo never received that refundId (404). */
  async getRefund(refundId: string, call?: CallOptions): Promise<RefundData | null> {
    try {
      const { data } = await this.send(
        {
          name: "getRefund",
          method: "GET",
          path: `/refunds/${encodeURIComponent(refundId)}`,
          schema: refundDataSchema,
          idempotent: true,
          authenticated: true,
        },
        { ...call, logContext: { refundId, ...call?.logContext } }
      )
      return data
    } catch (e) {
      // Only "refund not found" means PagoEfectivo never received it: any other 404 (a wrong
      // base URL, say) must not be taken as proof that no refund happened.
      if (e instanceof PagoEfectivoError && e.status === 404 && e.code === REFUND_CODES.REFUND_NOT_FOUND) return null
      throw e
    }
  }

  // ---- tokens --------------------------------------------------------------------------------

  /** A valid token; at most one authorization request is in flight at any time. */
  async getToken(): Promise<string> {
    if (this.token && Date.now() < this.token.refreshAt) return this.token.value
    if (!this.tokenInFlight) {
      this.tokenInFlight = this.authorize().finally(() => {
        this.tokenInFlight = null
      })
    }
    return this.tokenInFlight
  }

  /** Forgets `stale` (if it is still the cached token) so that the next getToken() refreshes. */
  private invalidateToken(stale: string) {
    if (this.token?.value === stale) this.token = null
  }

  /**
   * One authorization request and nothing else, outside the token cache and with no retry: the
   * admin's "Test connection". Answers when the token it got expires and the correlation id; the
   * token itself is dropped. Fails with the PagoEfectivoError of the call (its message holds no
   * credential).
   */
  async testAuthorization(): Promise<{ status: number; tokenExpires: string; correlationId: string | null }> {
    const { data, status, correlationId } = await this.requestToken(0)
    return { status, tokenExpires: data.tokenExpires, correlationId }
  }

  private requestToken(maxRetries?: number): Promise<CallResult<TokenData>> {
    const dateRequest = formatLimaDate(new Date())
    this.authorizationCount++
    return this.send<TokenData>(
      {
        name: "authorize",
        method: "POST",
        path: "/authorizations",
        body: {
          accessKey: this.opts.accessKey,
          idService: this.opts.serviceId,
          dateRequest,
          hashString: authHash(this.opts.serviceId, this.opts.accessKey, this.opts.secretKey, dateRequest),
        },
        schema: tokenDataSchema,
        idempotent: true,
        authenticated: false,
        maxRetries,
      },
      undefined
    )
  }

  private async authorize(): Promise<string> {
    const { data } = await this.requestToken()
    const expiresAt = Date.parse(data.tokenExpires)
    // Refresh ahead of expiry; a token that lives less than twice the margin is refreshed halfway.
    const lifetime = Math.max(0, expiresAt - Date.now())
    const margin = Math.min(this.opts.tokenRefreshMarginMs, lifetime / 2)
    this.token = { value: data.token, refreshAt: expiresAt - margin }
    return data.token
  }

  // ---- transport -----------------------------------------------------------------------------

  private async send<T>(op: Operation<T>, call: CallOptions | undefined): Promise<CallResult<T>> {
    const bodyText = op.body === undefined ? undefined : serializeBody(op.body)
    let retries = 0
    let refreshedAfter401 = false
    for (let attempt = 1; ; attempt++) {
      const token = op.authenticated ? await this.getToken() : null
      try {
        return await this.attempt(op, bodyText, token, attempt, call)
      } catch (e) {
        const err = e as PagoEfectivoError
        if (err.status === 401 && token && !refreshedAfter401) {
          refreshedAfter401 = true
          this.invalidateToken(token)
          continue
        }
        const mayRetry = err.retryable && (op.idempotent || !err.ambiguous)
        if (!mayRetry || retries >= (op.maxRetries ?? this.opts.maxRetries) || call?.signal?.aborted) throw err
        retries++
        const backoff = Math.random() * Math.min(this.opts.retryMaxDelayMs, this.opts.retryBaseDelayMs * 2 ** (retries - 1))
        await sleep(err.retryAfterMs ?? backoff, undefined, { signal: call?.signal }).catch(() => {
          throw err
        })
      }
    }
  }

  private async attempt<T>(
    op: Operation<T>,
    bodyText: string | undefined,
    token: string | null,
    attempt: number,
    call: CallOptions | undefined
  ): Promise<CallResult<T>> {
    const headers: Record<string, string> = {
      accept: "application/json",
      "accept-language": this.opts.language,
      origin: "web",
    }
    if (bodyText !== undefined) headers["content-type"] = "application/json"
    if (token) headers.authorization = `Bearer ${token}`
    if (op.signed && bodyText !== undefined) headers[SIGNATURE_HEADER] = sign(this.opts.secretKey, bodyText)

    const started = performance.now()
    const at = new Date().toISOString()
    let status: number | null = null
    let correlationId: string | null = null
    let text: string | null = null
    let failure: PagoEfectivoError | null = null
    let result: CallResult<T> | null = null

    try {
      // undici's own timers bound the call (no answer, or a stalled body, for requestTimeoutMs);
      // they cost far less per call than an AbortSignal timer.
      const res = await poolFor(this.origin, this.opts.connectTimeoutMs).request({
        method: op.method,
        path: this.basePath + op.path,
        headers,
        body: bodyText,
        signal: call?.signal,
        headersTimeout: this.opts.requestTimeoutMs,
        bodyTimeout: this.opts.requestTimeoutMs,
      })
      status = res.statusCode
      correlationId = headerValue(res.headers[CORRELATION_HEADER])
      const declared = Number(headerValue(res.headers["content-length"]))
      text = declared > 0 && declared <= MAX_RESPONSE_BYTES ? await res.body.text() : await readCapped(res.body)
      const outcome = this.interpret(op, res.statusCode, res.headers, text, correlationId)
      if (outcome instanceof PagoEfectivoError) failure = outcome
      else result = outcome
    } catch (e) {
      failure = e instanceof PagoEfectivoError ? e : transportError(op.name, e, status !== null)
    }

    const latencyMs = Math.round(performance.now() - started)
    const code = failure?.code ?? (result ? CODES.SUCCESS : null)
    this.log(failure ? "warn" : "info", {
      op: op.name,
      attempt,
      status,
      code,
      latencyMs,
      correlationId,
      ...call?.logContext,
      ...(failure ? { error: failure.kind, retryable: failure.retryable } : {}),
    })
    call?.onAttempt?.({
      operation: op.name,
      attempt,
      at,
      method: op.method,
      path: this.basePath + op.path,
      status,
      code,
      latencyMs,
      correlationId,
      error: failure ? failure.message : null,
      ambiguous: failure?.ambiguous ?? false,
      // PagoEfectivo's answers hold no credential; a proxy echoing the request might
      response: text === null ? null : text.slice(0, 2048).replace(/Bearer\s+[\w.~+/=-]+/gi, "Bearer [redacted]"),
    })
    if (failure) throw failure
    return result!
  }

  private interpret<T>(
    op: Operation<T>,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    text: string,
    correlationId: string | null
  ): CallResult<T> | PagoEfectivoError {
    let json: unknown = undefined
    try {
      json = text.length ? JSON.parse(text) : undefined
    } catch {
      json = undefined
    }

    if (statusCode >= 200 && statusCode < 300) {
      const parsed = envelopeOf(op.schema).safeParse(json)
      if (parsed.success && parsed.data.code === CODES.SUCCESS) {
        return { data: parsed.data.data as T, status: statusCode, correlationId }
      }
      return new PagoEfectivoError({
        operation: op.name,
        kind: "invalid_response",
        status: statusCode,
        correlationId: correlationId ?? undefined,
        // A 2xx we cannot read may still have done its work: only idempotent calls repeat it.
        retryable: true,
        ambiguous: true,
        cause: new Error(
          json === undefined
            ? "the body is not JSON"
            : parsed.success
              ? `code ${parsed.data.code} with a success status`
              : `${parsed.error.issues[0]?.path.join(".") || "body"}: ${parsed.error.issues[0]?.message}`
        ),
      })
    }

    const body = errorBodySchema.safeParse(json)
    const retryAfterMs = statusCode === 429 ? parseRetryAfter(headerValue(headers["retry-after"])) : undefined
    if (retryAfterMs !== undefined && retryAfterMs > this.opts.maxRetryAfterMs) {
      return new PagoEfectivoError({
        operation: op.name,
        kind: "http",
        status: statusCode,
        code: body.success ? body.data.code : undefined,
        gatewayMessage: `rate limited; Retry-After ${Math.ceil(retryAfterMs / 1000)} s is above the ${Math.ceil(this.opts.maxRetryAfterMs / 1000)} s the client waits`,
        correlationId: correlationId ?? undefined,
        retryable: false,
        retryAfterMs,
      })
    }
    return new PagoEfectivoError({
      operation: op.name,
      kind: "http",
      status: statusCode,
      code: body.success ? body.data.code : undefined,
      gatewayMessage: body.success ? body.data.message : undefined,
      fieldErrors: body.success ? (body.data.data ?? []) : [],
      correlationId: correlationId ?? undefined,
      // 429 and 503 say "not processed"; other 5xx may have been processed.
      retryable: statusCode === 429 || statusCode >= 500,
      ambiguous: statusCode >= 500 && statusCode !== 503,
      retryAfterMs: statusCode === 429 ? (retryAfterMs ?? this.opts.retryBaseDelayMs) : undefined,
    })
  }

  private log(level: "info" | "warn", fields: Record<string, unknown>) {
    if (!this.logger) return
    const line = `pagoefectivo ${JSON.stringify(fields)}`
    level === "warn" ? this.logger.warn(line) : this.logger.info(line)
  }
}

/** The success envelope of each data schema, built once (building a zod schema is not free). */
const envelopes = new WeakMap<z.ZodType, ReturnType<typeof envelope>>()
function envelopeOf(schema: z.ZodType) {
  let e = envelopes.get(schema)
  if (!e) envelopes.set(schema, (e = envelope(schema)))
  return e
}

const anyData: z.ZodType<unknown> = zUnknown()

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

function headerValue(v: string | string[] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null
  return v ?? null
}

/** Retry-After is seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now())
}

async function readCapped(body: AsyncIterable<Buffer> & { destroy?: (e?: Error) => void }): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    if (size > MAX_RESPONSE_BYTES) {
      body.destroy?.()
      throw new Error(`answer larger than ${MAX_RESPONSE_BYTES} bytes`)
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString("utf8")
}

/**
 * Classifies a failure without an HTTP answer. A connection that was never made (refused,
 * connect timeout) processed nothing; a timeout or reset after sending may have.
 */
function transportError(operation: string, e: unknown, gotStatus: boolean): PagoEfectivoError {
  const err = e as { code?: string; name?: string; cause?: { code?: string } }
  const code = err?.code ?? err?.cause?.code
  if (e instanceof undiciErrors.ConnectTimeoutError || code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new PagoEfectivoError({ operation, kind: "network", retryable: true, ambiguous: false, cause: e })
  }
  const timedOut =
    err?.name === "TimeoutError" ||
    e instanceof undiciErrors.HeadersTimeoutError ||
    e instanceof undiciErrors.BodyTimeoutError
  if (!gotStatus && (err as Error)?.message?.startsWith("answer larger than")) {
    return new PagoEfectivoError({ operation, kind: "invalid_response", retryable: true, ambiguous: true, cause: e })
  }
  return new PagoEfectivoError({
    operation,
    kind: timedOut ? "timeout" : err?.name === "AbortError" ? "timeout" : "network",
    retryable: true,
    ambiguous: true,
    cause: e,
  })
}

// ---- shared instances --------------------------------------------------------------------------

const clients = new Map<string, PagoEfectivoClient>()

/**
 * The client for a credential set, created once per process so that the provider, the webhook
 * route and the job share one token and one pool.
 */
export function getPagoEfectivoClient(options: PagoEfectivoClientOptions): PagoEfectivoClient {
  const key = createHash("sha256")
    .update(
      JSON.stringify([
        options.baseUrl,
        options.serviceId,
        options.accessKey,
        options.secretKey,
        options.requestTimeoutMs,
        options.connectTimeoutMs,
        options.maxRetries,
      ])
    )
    .digest("hex")
  let client = clients.get(key)
  if (!client) {
    client = new PagoEfectivoClient(options)
    clients.set(key, client)
  }
  return client
}

