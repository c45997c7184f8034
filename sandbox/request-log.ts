/**
 * What the sandbox was asked, for specs and benchmarks that check how a client calls
 * PagoEfectivo (pages, batch sizes, concurrency): one entry per API request (the control API is
 * not logged), and per route the requests in flight now and at the most since the last reset.
 * Served by GET /__sandbox/requests; the peaks are also in the state's counters.
 */

export interface SandboxRequest {
  id: number
  /** "METHOD /route/{param}", as in the counters. */
  route: string
  method: string
  path: string
  /** The answer's status; null while in flight or when the connection was dropped. */
  status: number | null
  /** For POST /v1/cips/search: how many CIPs it asked about. */
  items?: number
  /** ISO-8601. */
  startedAt: string
  /** null while in flight. */
  ms: number | null
  /** Requests of the same route in flight when this one arrived, itself included. */
  concurrent: number
}

/** At most this many entries are kept (the oldest go first). */
export const REQUEST_LOG_LIMIT = 20_000

export class RequestLog {
  private entries: SandboxRequest[] = []
  private seq = 1
  private readonly inFlight = new Map<string, number>()

  /** `peaks` is where the highest concurrency per route is written (the state's counters). */
  constructor(private peaks: Record<string, number>) {}

  /** Notes a request as it arrives; call the answer when it is over (answered or dropped). */
  begin(route: string, method: string, path: string): { entry: SandboxRequest; end: (status: number | null) => void } {
    const now = (this.inFlight.get(route) ?? 0) + 1
    this.inFlight.set(route, now)
    this.peaks[route] = Math.max(this.peaks[route] ?? 0, now)
    const started = performance.now()
    const entry: SandboxRequest = { id: this.seq++, route, method, path, status: null, startedAt: new Date().toISOString(), ms: null, concurrent: now }
    this.entries.push(entry)
    if (this.entries.length > REQUEST_LOG_LIMIT) this.entries.splice(0, this.entries.length - REQUEST_LOG_LIMIT)
    let ended = false
    return {
      entry,
      end: (status) => {
        if (ended) return
        ended = true
        entry.status = status
        entry.ms = Math.round(performance.now() - started)
        this.inFlight.set(route, (this.inFlight.get(route) ?? 1) - 1)
      },
    }
  }

  /** After a reset: no entries; the peaks start again from what is in flight now. */
  reset(peaks: Record<string, number>): void {
    this.entries = []
    this.peaks = peaks
    for (const [route, n] of this.inFlight) if (n > 0) peaks[route] = n
  }

  list(filter: { route?: string; pathPrefix?: string } = {}): SandboxRequest[] {
    return this.entries.filter((e) => (!filter.route || e.route === filter.route) && (!filter.pathPrefix || e.path.startsWith(filter.pathPrefix)))
  }
}

/** How many CIPs a /v1/cips/search body asks about (the casing of `data` varies). */
export function searchSize(raw: Buffer): number | undefined {
  try {
    const body = JSON.parse(raw.toString("utf8"))
    const key = body && typeof body === "object" ? Object.keys(body).find((k) => k.toLowerCase() === "data") : undefined
    return key && Array.isArray(body[key]) ? body[key].length : undefined
  } catch {
    return undefined
  }
}
