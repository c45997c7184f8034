/**
 * Fault injection: the stored faults, which one applies to a request or a notification (the
 * first that matches and has `times` left, consuming one), and what a request fault does before
 * the route's handler runs (latency, hold, dropped connection, raw body, error status). The
 * shapes are config.ts's; sandbox/README.md describes them.
 */
import type http from "node:http"
import type { z } from "zod"
import { CODES } from "../src/lib/pagoefectivo/wire"
import type { faultsBodySchema, SandboxFault } from "./config"
import { apiError, type Reply } from "./http"
import type { SandboxCore } from "./state"

/** What a request fault leaves to do: answer `reply` instead, nothing (dropped), or process. */
export type RequestFaultEffect = { reply: Reply } | { dropped: true } | { process: true; body?: Buffer }

function faultCode(status: number): string {
  if (status === 500) return CODES.INTERNAL_ERROR
  if (status === 400) return CODES.INVALID_REQUEST
  return String(status)
}

export class Faults {
  /** Requests held by a `hold` fault, each with the function that lets it go on. */
  private readonly held = new Set<() => void>()

  constructor(private readonly core: SandboxCore) {}

  /** Stores the faults of a PUT /__sandbox/faults body; answers the whole list. */
  add(input: z.output<typeof faultsBodySchema>): SandboxFault[] {
    const faults = this.core.state.faults
    for (const f of Array.isArray(input) ? input : [input]) {
      faults.push({ ...f, id: this.core.seq.fault++, remaining: f.times ?? null, hits: 0 })
    }
    return faults
  }

  /** Removes every fault and lets held requests go on; answers the (empty) list. */
  clear(): SandboxFault[] {
    this.core.state.faults.length = 0
    this.releaseHeld()
    return this.core.state.faults
  }

  /** Lets every request held by a `hold` fault go on; answers how many there were. */
  releaseHeld(): number {
    const n = this.held.size
    for (const release of [...this.held]) release()
    return n
  }

  takeRequestFault(method: string, path: string): SandboxFault | undefined {
    const fault = this.core.state.faults.find(
      (f) =>
        f.path !== "notifications" &&
        f.remaining !== 0 &&
        path.startsWith(f.path) &&
        (f.method === undefined || f.method === method)
    )
    return fault ? this.consume(fault) : undefined
  }

  takeNotificationFault(eventType: string): SandboxFault | undefined {
    const fault = this.core.state.faults.find(
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

  /**
   * What a request fault does before the handler, in order: wait `latencyMs`; with `hold`, read
   * the body and wait for a release; then drop the connection ("before"), answer the raw `body`,
   * or answer the error `status` (429 with `retryAfter` alone). `note` gets the log's remarks as
   * they happen, so that a request closed while held is logged as held.
   */
  async apply(
    fault: SandboxFault,
    req: http.IncomingMessage,
    readBody: () => Promise<Buffer>,
    note: (text: string) => void
  ): Promise<RequestFaultEffect> {
    note(` fault=${fault.id}`)
    if (fault.latencyMs) {
      await new Promise((r) => setTimeout(r, fault.latencyMs))
    }
    let body: Buffer | undefined
    if (fault.hold) {
      // read it now (the client may give up meanwhile), process it when released: a call
      // PagoEfectivo still works on after the client stopped waiting
      body = await readBody()
      note(" (held)")
      this.core.state.counters.held++
      await new Promise<void>((resolve) => {
        const release = () => {
          this.held.delete(release)
          resolve()
        }
        this.held.add(release)
      })
      this.core.state.counters.held = Math.max(0, this.core.state.counters.held - 1)
    }
    if (fault.dropConnection === "before") {
      note(" (connection dropped before processing)")
      req.socket.destroy()
      return { dropped: true }
    }
    if (fault.body !== undefined) {
      note(" (malformed answer)")
      return { reply: { status: fault.status ?? 200, html: fault.body } }
    }
    const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : undefined)
    if (status !== undefined) {
      const headers: Record<string, string> = {}
      if (fault.retryAfter !== undefined) headers["Retry-After"] = String(fault.retryAfter)
      return { reply: apiError(status, faultCode(status), `Sandbox fault: HTTP ${status}.`, headers) }
    }
    return { process: true, body }
  }
}
