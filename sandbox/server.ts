/**
 * A real HTTP PagoEfectivo sandbox (node:http, no framework).
 *
 * It speaks section A (authorizations, CIPs, search, extend, delete) and section B (refunds,
 * refund notifications) of docs/reference exactly as src/lib/pagoefectivo/wire.ts describes
 * them: formats, schemas, codes and hashing all come from wire.ts. On top it has a control API
 * under /__sandbox/ (no auth) to pay/expire CIPs, settle refunds, reconfigure and inject faults.
 * See sandbox/README.md.
 *
 * This file is the public entry (startSandbox, optionsFromEnv, the types) and the HTTP server:
 * routing, fault application, body reading, answers and the request log. The parts it wires:
 * state.ts (the state and what all parts share), faults.ts, auth.ts, cip-api.ts, refund-api.ts,
 * notifier.ts and control.ts.
 */
import { randomUUID } from "node:crypto"
import http from "node:http"
import type { AddressInfo } from "node:net"
import { CODES } from "../src/lib/pagoefectivo/wire"
import { Auth } from "./auth"
import { CipApi } from "./cip-api"
import { applyConfigPatch, configPatchSchema, DEFAULT_CONFIG, type SandboxConfigPatch, type SandboxFault } from "./config"
import { Control, type SandboxSnapshot } from "./control"
import { Faults } from "./faults"
import { apiError, type Ctx, HttpError, type Reply, type Route, SANDBOX_CODES } from "./http"
import { Notifier } from "./notifier"
import { RefundApi } from "./refund-api"
import { RequestLog, searchSize } from "./request-log"
import { clockNumbering, SandboxCore, type SandboxState } from "./state"

export * from "./config"
export type { SandboxRequest } from "./request-log"
export type { SandboxSnapshot } from "./control"
export { SANDBOX_CODES } from "./http"
export { AUTH_MAX_SKEW_SECONDS } from "./auth"
export {
  clockNumbering,
  FIRST_CIP,
  FIRST_OPERATION_NUMBER,
  type DeliveryOutcome,
  type SandboxCip,
  type SandboxCounters,
  type SandboxDelivery,
  type SandboxRefund,
  type SandboxState,
} from "./state"

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

const MAX_BODY_BYTES = 1024 * 1024
const EXPIRY_SWEEP_MS = 1000

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
  /**
   * Added to the first CIP (2523136), operation (1001) and refund (RF00000001) numbers. Default 0;
   * the command starts from the clock (`clockNumbering`), so a restart never repeats a number.
   */
  numbering?: number
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
    numbering: clockNumbering(),
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

class Sandbox {
  port = 0

  private readonly core: SandboxCore
  private readonly faults: Faults
  private readonly notifier: Notifier
  private readonly cips: CipApi
  private readonly control: Control
  private readonly requestLog: RequestLog
  private readonly server: http.Server
  private readonly routes: Route[]
  private sweeper: NodeJS.Timeout | null = null
  private closed = false

  constructor(private readonly options: SandboxOptions) {
    const accessKey = options.accessKey ?? SANDBOX_DEFAULTS.accessKey
    const secretKey = options.secretKey ?? SANDBOX_DEFAULTS.secretKey
    const serviceId = Number(options.serviceId ?? SANDBOX_DEFAULTS.serviceId)
    if (!accessKey || !secretKey) throw new Error("accessKey and secretKey must not be empty")
    if (!Number.isInteger(serviceId) || serviceId < 0 || serviceId > 9999) {
      throw new Error("serviceId must be a number of at most 4 digits")
    }
    const patch = configPatchSchema.parse({
      ...(options.config ?? {}),
      ...(options.notifyUrl !== undefined ? { notifyUrl: options.notifyUrl } : {}),
    })
    const sink = options.log ?? ((line: string) => console.log(`[pagoefectivo-sandbox] ${line}`))
    const numbering = options.numbering ?? 0
    if (!Number.isSafeInteger(numbering) || numbering < 0 || numbering > 1e12) throw new Error("numbering must be a whole number from 0 to 10^12")
    const core = new SandboxCore({ accessKey, secretKey, serviceId }, applyConfigPatch(DEFAULT_CONFIG, patch), sink, numbering)
    this.core = core
    this.requestLog = new RequestLog(core.state.counters.peakInFlight)
    this.faults = new Faults(core)
    this.notifier = new Notifier(core, this.faults)
    const auth = new Auth(core)
    this.cips = new CipApi(core, auth, this.notifier)
    const refunds = new RefundApi(core, auth, this.notifier)
    this.control = new Control(core, auth, this.faults, this.cips, refunds, this.requestLog, () => this.reset())
    this.routes = [...auth.routes(), ...this.cips.routes(), ...refunds.routes(), ...this.control.routes()]
    this.server = http.createServer((req, res) => {
      void this.handle(req, res)
    })
  }

  get state(): SandboxState {
    return this.core.state
  }

  get baseUrl(): string {
    return this.core.baseUrl
  }

  snapshot(): SandboxSnapshot {
    return this.control.snapshot()
  }

  // ----- lifecycle -----------------------------------------------------------

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once("error", reject)
      this.server.listen(port, host, () => {
        this.server.off("error", reject)
        const core = this.core
        this.port = (this.server.address() as AddressInfo).port
        core.baseUrl = (this.options.publicUrl ?? `http://localhost:${this.port}`).replace(/\/+$/, "")
        this.sweeper = setInterval(() => this.cips.expireDue(), EXPIRY_SWEEP_MS)
        this.sweeper.unref()
        const { secretKey, serviceId } = core.credentials
        if (secretKey.length !== 40) {
          core.log(`warning: the secret key has ${secretKey.length} characters (PagoEfectivo's have 40)`)
        }
        core.log(
          `listening on ${core.baseUrl} (API ${core.baseUrl}/v1, control ${core.baseUrl}/__sandbox/state), ` +
            `service ${serviceId}, notify URL ${core.safeUrl(core.state.config.notifyUrl) ?? "none"}`
        )
        resolve()
      })
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.sweeper) clearInterval(this.sweeper)
    this.core.endEpoch()
    this.faults.releaseHeld()
    this.notifier.abort()
    const closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.server.closeAllConnections()
    await this.core.settled()
    await closing
  }

  private reset(): void {
    this.core.endEpoch()
    this.faults.releaseHeld()
    this.core.clearState()
    this.requestLog.reset(this.core.state.counters.peakInFlight)
  }

  // ----- request handling ----------------------------------------------------

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
      this.core.log(`${method} ${path} ${status} ${ms}ms cid=${cid}${note}`)
    })

    try {
      this.cips.expireDue()
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
        const counters = this.core.state.counters
        counters.requests[key] = (counters.requests[key] ?? 0) + 1
        logged = this.requestLog.begin(key, method, path)
        const { end } = logged
        res.once("close", () => end(res.writableFinished ? res.statusCode : null))
        fault = this.faults.takeRequestFault(method, path)
      }
      if (fault) {
        const effect = await this.faults.apply(fault, req, () => this.readBody(req), (text) => (note += text))
        if ("dropped" in effect) return
        if ("reply" in effect) return this.send(res, effect.reply)
        held = effect.body
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
}
