/**
 * The sandbox's notifications to the merchant: compact JSON with the next operationNumber,
 * PE-Signature over the exact bytes, one retry on a non-2xx answer or a network error, the
 * notification faults (drop, delay, duplicate), and one recorded delivery per attempt.
 */
import http from "node:http"
import https from "node:https"
import { type NotificationEvent, sign } from "../src/lib/pagoefectivo/wire"
import type { Faults } from "./faults"
import type { SandboxCore, SandboxDelivery } from "./state"

const NOTIFY_TIMEOUT_MS = 10_000

export class Notifier {
  private readonly outbound = new Set<http.ClientRequest>()

  constructor(
    private readonly core: SandboxCore,
    private readonly faults: Faults
  ) {}

  /**
   * Sends a notification: compact JSON, PE-Signature over the exact bytes, one retry after
   * notificationRetryDelayMs on a non-2xx answer or network error; notification faults can
   * drop, delay or duplicate it. Resolves when every attempt is over.
   */
  notify(eventType: NotificationEvent, key: string, data: Record<string, unknown>): Promise<void> {
    const body = JSON.stringify({ eventType, operationNumber: String(this.core.seq.operation++), data })
    return this.core.track(this.deliver(eventType, key, body, this.core.epoch))
  }

  /** Cuts every delivery in flight (on close). */
  abort(): void {
    for (const req of this.outbound) req.destroy()
  }

  private async deliver(eventType: NotificationEvent, key: string, body: string, epoch: number): Promise<void> {
    const core = this.core
    const fault = this.faults.takeNotificationFault(eventType)
    const url = core.state.config.notifyUrl
    const base = { eventType, key, url, body, attempt: 1, copy: 0, status: null, durationMs: 0 }
    if (fault?.drop) {
      this.record(epoch, { ...base, outcome: "dropped", error: `dropped by fault ${fault.id}` })
      return
    }
    if (!url) {
      this.record(epoch, { ...base, outcome: "no-url", error: "no notify URL" })
      return
    }
    if (fault?.delayMs && !(await core.sleep(fault.delayMs, epoch))) return
    const copies = 1 + (fault?.duplicate ?? 0)
    for (let copy = 0; copy < copies; copy++) {
      for (let attempt = 1; attempt <= 2; attempt++) {
        if (epoch !== core.epoch) return
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
        if (attempt === 1 && !(await core.sleep(core.state.config.notificationRetryDelayMs, epoch))) return
      }
    }
  }

  private record(epoch: number, d: Omit<SandboxDelivery, "id" | "at">): void {
    const core = this.core
    if (epoch !== core.epoch) return
    const delivery: SandboxDelivery = { id: core.seq.delivery++, at: new Date().toISOString(), ...d }
    core.state.deliveries.push(delivery)
    const copy = d.copy ? ` copy=${d.copy}` : ""
    core.log(
      `notify ${d.eventType} key=${d.key} -> ${core.safeUrl(d.url) ?? "(none)"} ${d.outcome}` +
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
            "PE-Signature": sign(this.core.credentials.secretKey, bytes),
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
}
