/**
 * The control API under /__sandbox/ (no auth, never counted nor faulted): the state and the
 * request log, the config, faults, reset, token revocation, and what PagoEfectivo's side does on
 * its own: pay and expire CIPs, refunds made in its panel, settle refunds.
 */
import { randomUUID } from "node:crypto"
import type { Auth } from "./auth"
import type { CipApi } from "./cip-api"
import {
  applyConfigPatch,
  configPatchSchema,
  expireBodySchema,
  faultsBodySchema,
  panelRefundBodySchema,
  payBodySchema,
  settleBodySchema,
} from "./config"
import type { Faults } from "./faults"
import { controlError, type Ctx, HttpError, isForm, json, parseControlBody, type Reply, route, type Route, toCents } from "./http"
import type { RefundApi } from "./refund-api"
import type { RequestLog } from "./request-log"
import { lima, type SandboxCip, type SandboxCore } from "./state"

export class Control {
  constructor(
    private readonly core: SandboxCore,
    private readonly auth: Auth,
    private readonly faults: Faults,
    private readonly cips: CipApi,
    private readonly refunds: RefundApi,
    private readonly requestLog: RequestLog,
    /** POST /__sandbox/reset: everything back to the start-up state. */
    private readonly reset: () => void
  ) {}

  routes(): Route[] {
    return [
      route("GET", "/__sandbox/state", "control", () => json(200, this.snapshot())),
      route("GET", "/__sandbox/requests", "control", (c) => {
        const q = new URL(c.req.url ?? "/", "http://sandbox").searchParams
        return json(200, this.requestLog.list({ route: q.get("route") ?? undefined, pathPrefix: q.get("path") ?? undefined }))
      }),
      route("GET", "/__sandbox/config", "control", () => json(200, this.core.state.config)),
      route("PUT", "/__sandbox/config", "control", (c) => this.putConfig(c)),
      route("GET", "/__sandbox/faults", "control", () => json(200, this.core.state.faults)),
      route("PUT", "/__sandbox/faults", "control", (c) => this.putFaults(c)),
      route("DELETE", "/__sandbox/faults", "control", () => json(200, this.faults.clear())),
      route("POST", "/__sandbox/faults/release", "control", () => json(200, { released: this.faults.releaseHeld() })),
      route("POST", "/__sandbox/reset", "control", () => {
        this.reset()
        return json(200, this.snapshot())
      }),
      route("POST", "/__sandbox/tokens/revoke", "control", () => {
        this.auth.revokeTokens()
        return json(200, { revoked: true })
      }),
      route("POST", "/__sandbox/cips/{cip}/pay", "control", (c, p) => this.controlPay(c, p[0])),
      route("POST", "/__sandbox/cips/{cip}/expire", "control", (c, p) => this.controlExpire(c, p[0])),
      route("POST", "/__sandbox/cips/{cip}/refunds", "control", (c, p) => this.controlPanelRefund(c, p[0])),
      route("POST", "/__sandbox/refunds/{refundId}/complete", "control", (c, p) => this.controlSettle(c, p[0], "complete")),
      route("POST", "/__sandbox/refunds/{refundId}/reject", "control", (c, p) => this.controlSettle(c, p[0], "reject")),
    ]
  }

  /** What GET /__sandbox/state answers. */
  snapshot() {
    const s = this.core.state
    return {
      cips: [...s.cips.values()].map((c) => ({
        ...this.cips.searchItem(c),
        state: c.status,
        guid: c.guid,
        cipUrl: this.cips.cipUrl(c),
        dateExpired: lima(c.dateExpired),
        request: c.request,
      })),
      refunds: [...s.refunds.values()].map((r) => ({
        ...this.refunds.refundData(r, true),
        reason: this.refunds.refundReason(r),
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
    this.core.state.config = applyConfigPatch(this.core.state.config, patch)
    return json(200, this.core.state.config)
  }

  private putFaults(ctx: Ctx): Reply {
    return json(200, this.faults.add(parseControlBody(faultsBodySchema, ctx)))
  }

  private controlCip(param: string): SandboxCip {
    const cip = /^\d{1,20}$/.test(param) ? this.core.state.cips.get(Number(param)) : undefined
    if (!cip) throw new HttpError(controlError(404, `CIP ${param} does not exist`))
    return cip
  }

  private async controlPay(ctx: Ctx, param: string): Promise<Reply> {
    const body = parseControlBody(payBodySchema, ctx)
    const cip = this.controlCip(param)
    if (cip.status !== "pending") return controlError(409, `CIP ${cip.cip} is ${cip.status}, not pending`)
    const delivery = this.cips.payCip(cip, body.paidAt ? new Date(body.paidAt) : new Date(), body.notify ?? true)
    if (body.wait) await delivery
    if (isForm(ctx.req)) return { status: 303, headers: { Location: `/voucher/${cip.guid}.html` } }
    return json(200, this.snapshot().cips.find((c) => c.cip === cip.cip))
  }

  private async controlExpire(ctx: Ctx, param: string): Promise<Reply> {
    const body = parseControlBody(expireBodySchema, ctx)
    const cip = this.controlCip(param)
    if (cip.status !== "pending") return controlError(409, `CIP ${cip.cip} is ${cip.status}, not pending`)
    const delivery = this.cips.expireCip(cip, body.notify ?? true)
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
    if (this.core.state.refunds.has(refundId)) return controlError(409, `refund ${refundId} exists already`)
    const refundable = this.refunds.refundableCents(cip)
    if (toCents(body.amount) > refundable) {
      return controlError(409, `the amount is above what is still refundable on CIP ${cip.cip} (${(refundable / 100).toFixed(2)})`)
    }
    const config = this.core.state.config
    if (config.merchantBalance !== null) {
      if (toCents(body.amount) > toCents(config.merchantBalance)) return controlError(409, "the merchant's balance cannot cover the refund")
      config.merchantBalance = (toCents(config.merchantBalance) - toCents(body.amount)) / 100
    }
    const refund = this.refunds.newRefund({
      refundId,
      cip: String(cip.cip),
      transactionCode: cip.transactionCode,
      merchantOrderId: "",
      amount: body.amount,
      currency: cip.currency,
      requestReason: body.reason ?? null,
      traceId: ctx.cid,
    })
    this.core.state.refunds.set(refundId, refund)
    const delivery = this.refunds.settle(refund, "complete", undefined, body.notify ?? true)
    if (body.wait) await delivery
    return json(201, this.snapshot().refunds.find((r) => r.refundId === refundId))
  }

  private async controlSettle(ctx: Ctx, refundId: string, outcome: "complete" | "reject"): Promise<Reply> {
    const body = parseControlBody(settleBodySchema, ctx)
    const refund = this.core.state.refunds.get(refundId)
    if (!refund) return controlError(404, `refund ${refundId} does not exist`)
    if (refund.status !== "pending") return controlError(409, `refund ${refundId} is already ${refund.status}`)
    const delivery = this.refunds.settle(refund, outcome, body.reason, body.notify ?? true)
    if (body.wait) await delivery
    return json(200, this.snapshot().refunds.find((r) => r.refundId === refundId))
  }
}

export type SandboxSnapshot = ReturnType<Control["snapshot"]>
