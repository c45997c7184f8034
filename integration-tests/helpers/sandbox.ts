import { type SandboxHandle, type SandboxRequest, type SandboxSnapshot, startSandbox } from "../../sandbox/server"

/**
 * Starts the bundled PagoEfectivo sandbox for a spec file, before Medusa boots, and points the
 * store's PagoEfectivo options at it. Register it BEFORE medusaIntegrationTestRunner so that its
 * beforeAll runs first. Everything else goes over HTTP, as to PagoEfectivo.
 */
export function useSandbox(env: Record<string, string> = {}) {
  const handle: { sandbox?: SandboxHandle } = {}
  beforeAll(async () => {
    handle.sandbox = await startSandbox({
      port: 0,
      log: () => {},
      config: { notificationRetryDelayMs: 100, refunds: { autoSettle: "none", settleDelayMs: 50 } },
    })
    process.env.PAGOEFECTIVO_BASE_URL = handle.sandbox.apiUrl
    // Short timeouts keep the fault specs quick; the defaults are 10 s / 3 retries.
    process.env.PAGOEFECTIVO_REQUEST_TIMEOUT_MS ??= "1500"
    // A refund call's lease (nobody judges it meanwhile), 120 s by default: short here, so that the
    // specs can judge unconfirmed refunds without waiting two minutes.
    process.env.PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS ??= "5"
    Object.assign(process.env, env)
  })
  afterAll(async () => {
    await handle.sandbox?.close()
  })
  return new SandboxControl(() => handle.sandbox!)
}

/** The sandbox's control API (/__sandbox/…), over HTTP. */
export class SandboxControl {
  constructor(private readonly handle: () => SandboxHandle) {}

  private base() {
    return this.handle().url
  }

  get url() {
    return this.base()
  }

  /**
   * The sandbox's live state, for the few specs that play PagoEfectivo changing its mind behind
   * the store's back (a reversed payment, a CIP it no longer knows). Everything else uses HTTP.
   */
  get live() {
    return this.handle().state
  }

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await fetch(this.base() + path, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const text = await res.text()
    if (!res.ok) throw new Error(`sandbox ${method} ${path} → ${res.status} ${text}`)
    return (text ? JSON.parse(text) : undefined) as T
  }

  reset() {
    return this.call("POST", "/__sandbox/reset")
  }
  config(patch: Record<string, unknown>) {
    return this.call("PUT", "/__sandbox/config", patch)
  }
  fault(fault: Record<string, unknown> | Record<string, unknown>[]) {
    return this.call("PUT", "/__sandbox/faults", fault)
  }
  clearFaults() {
    return this.call("DELETE", "/__sandbox/faults")
  }
  state(): Promise<SandboxSnapshot> {
    return this.call("GET", "/__sandbox/state")
  }
  /** The API requests the sandbox received since its last reset (see sandbox/README.md). */
  requests(filter: { route?: string; path?: string } = {}): Promise<SandboxRequest[]> {
    const q = new URLSearchParams(Object.entries(filter).filter(([, v]) => v) as [string, string][])
    return this.call("GET", `/__sandbox/requests${q.size ? `?${q}` : ""}`)
  }
  pay(cip: string, body: Record<string, unknown> = {}) {
    return this.call("POST", `/__sandbox/cips/${cip}/pay`, { wait: true, ...body })
  }
  /** Lets the requests a `hold` fault holds go on. */
  releaseHeld() {
    return this.call("POST", "/__sandbox/faults/release")
  }
  /** A refund made in PagoEfectivo's own panel: completed, with a fresh refundId, notified with refund.completed. */
  panelRefund(cip: string, body: { amount: number; reason?: string; refundId?: string; notify?: boolean }) {
    return this.call("POST", `/__sandbox/cips/${cip}/refunds`, { wait: true, ...body })
  }
  expire(cip: string) {
    return this.call("POST", `/__sandbox/cips/${cip}/expire`, { wait: true })
  }
}

/** Polls `probe` until it returns a truthy value (or `timeoutMs` passes, then fails with the last value). */
export async function eventually<T>(probe: () => Promise<T>, { timeoutMs = 15_000, intervalMs = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  while (Date.now() < deadline) {
    last = await probe()
    if (last) return last
    await new Promise((r) => setTimeout(r, intervalMs))
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`)
}
