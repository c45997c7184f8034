/**
 * The sandbox's in-memory state and what every part of it shares (SandboxCore): the
 * credentials, the state, the sequence numbers, the epoch that reset and close bump so that
 * async work of an older epoch stops, its timers and in-flight work, and the redacting log.
 */
import type { Currency, CipState, GatewayRefundStatus, NotificationEvent } from "../src/lib/pagoefectivo/wire"
import { formatLimaDate } from "../src/lib/pagoefectivo/wire"
import type { SandboxConfig, SandboxFault } from "./config"

export const FIRST_CIP = 2523136
export const FIRST_OPERATION_NUMBER = 1001

/**
 * A numbering start that a later start of the sandbox does not repeat: tenths of a second since
 * 2026-01-01. PagoEfectivo never reuses a CIP or an operation number, and a store keeps its records
 * across a restart of the sandbox, so the command's numbers must not start over (a repeated
 * operation number is dropped as a duplicate, a repeated CIP finds another order). Two starts
 * collide only if the first issued more than ten numbers per second between them.
 */
export function clockNumbering(now = Date.now()): number {
  return Math.max(0, Math.floor((now - Date.UTC(2026, 0, 1)) / 100))
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

export interface SandboxCredentials {
  accessKey: string
  secretKey: string
  serviceId: number
}

/** A date of the state in the wire's Lima format, null when unset. */
export const lima = (d: Date | null) => (d ? formatLimaDate(d) : null)

const emptyCounters = (): SandboxCounters => ({ authorizations: 0, refundsCreated: 0, requests: {}, peakInFlight: {}, held: 0 })

export class SandboxCore {
  readonly state: SandboxState
  /** The base of voucher links, set once the server listens. */
  baseUrl = ""
  /** Bumped by reset and close: async work of an older epoch stops and records nothing. */
  epoch = 0
  /** CIP, operation and refund numbers start at their first value plus `numbering`; reset keeps them. */
  readonly seq: { cip: number; operation: number; refund: number; delivery: number; fault: number }
  /** One line to the log, redacted. */
  readonly log: (line: string) => void
  private readonly timers = new Map<NodeJS.Timeout, () => void>()
  private readonly inflight = new Set<Promise<void>>()

  constructor(
    readonly credentials: SandboxCredentials,
    /** The start-up configuration, which reset goes back to. */
    private readonly initialConfig: SandboxConfig,
    sink: (line: string) => void,
    numbering = 0
  ) {
    this.seq = { cip: FIRST_CIP + numbering, operation: FIRST_OPERATION_NUMBER + numbering, refund: 1 + numbering, delivery: 1, fault: 1 }
    this.log = (line) => sink(this.redact(line))
    this.state = {
      cips: new Map(),
      refunds: new Map(),
      deliveries: [],
      config: structuredClone(initialConfig),
      faults: [],
      counters: emptyCounters(),
    }
  }

  /** Stops the current epoch's async work: pending sleeps resolve false at once. */
  endEpoch(): void {
    this.epoch++
    this.cancelTimers()
  }

  /** Back to the start: no CIPs, refunds, deliveries, faults; fresh counters; the start-up config. */
  clearState(): void {
    const s = this.state
    s.cips.clear()
    s.refunds.clear()
    s.deliveries.length = 0
    s.faults.length = 0
    s.config = structuredClone(this.initialConfig)
    s.counters = emptyCounters()
  }

  /** Resolves true after ms, or false at once when the sandbox resets or closes meanwhile. */
  sleep(ms: number, epoch: number): Promise<boolean> {
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

  /** Background work the sandbox waits for on close; an error in it is logged, never thrown. */
  track(p: Promise<void>): Promise<void> {
    const tracked = p.catch((err) => this.log(`internal error: ${(err as Error)?.message ?? err}`))
    this.inflight.add(tracked)
    void tracked.finally(() => this.inflight.delete(tracked))
    return tracked
  }

  /** Settles once the background work in flight now is over. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.inflight])
  }

  /** Last line of defence: credentials, tokens and 64-hex hashes/signatures never reach the log. */
  private redact(line: string): string {
    const { secretKey, accessKey } = this.credentials
    let out = line.split(secretKey).join("[redacted]").split(accessKey).join("[redacted]")
    out = out.replace(/eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/g, "[redacted-token]")
    out = out.replace(/\b[0-9a-fA-F]{64}\b/g, "[redacted-hash]")
    return out
  }

  /** A URL for the log: origin and path only (a query string may carry secrets). */
  safeUrl(url: string | null): string | null {
    if (!url) return null
    try {
      const u = new URL(url)
      return `${u.origin}${u.pathname}`
    } catch {
      return "[invalid url]"
    }
  }
}
