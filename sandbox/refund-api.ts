/**
 * The refund API (B): POST /v1/refunds with its checks in the documented order (signature,
 * enablement, caller IP, body, idempotency by refundId, the CIP, the window, what is still
 * refundable, the merchant's balance), GET /v1/refunds/{refundId}, and settlement (automatic per
 * config.refunds, or by the control API) with refund.completed / refund.rejected.
 */
import {
  CODES,
  createRefundRequestSchema,
  type Currency,
  formatLimaDate,
  type GatewayRefundStatus,
  REFUND_CODES,
  verifySignature,
} from "../src/lib/pagoefectivo/wire"
import type { Auth } from "./auth"
import {
  apiError,
  checkRawAmount,
  clientIp,
  type Ctx,
  fieldError,
  invalid,
  parseJsonBody,
  type Reply,
  route,
  type Route,
  SANDBOX_CODES,
  success,
  toCents,
  validate,
} from "./http"
import type { Notifier } from "./notifier"
import type { SandboxCip, SandboxCore, SandboxRefund } from "./state"

export class RefundApi {
  constructor(
    private readonly core: SandboxCore,
    private readonly auth: Auth,
    private readonly notifier: Notifier
  ) {}

  routes(): Route[] {
    return [
      route("POST", "/v1/refunds", "api", (c) => this.createRefund(c)),
      route("GET", "/v1/refunds/{refundId}", "api", (c, p) => this.getRefund(c, p[0])),
    ]
  }

  /** A refund as the API answers it; with `detail` (GET) its reason and dateProcessed too. */
  refundData(r: SandboxRefund, detail: boolean) {
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
  refundReason(r: SandboxRefund): string | null {
    return r.status === "rejected" ? r.rejectReason : r.requestReason
  }

  private async createRefund(ctx: Ctx): Promise<Reply> {
    this.auth.requireApiAuth(ctx)
    if (!verifySignature(this.core.credentials.secretKey, ctx.raw, ctx.req.headers["pe-signature"])) {
      return apiError(401, SANDBOX_CODES.UNAUTHORIZED, "Missing or invalid PE-Signature.")
    }
    const config = this.core.state.config
    if (!config.refundsEnabled) {
      return apiError(403, REFUND_CODES.REFUNDS_NOT_ENABLED, "Refunds are not enabled for this merchant.")
    }
    const ip = clientIp(ctx.req)
    if (config.allowedIps.length > 0 && !config.allowedIps.includes(ip)) {
      return apiError(403, REFUND_CODES.IP_NOT_ALLOWED, `The caller IP ${ip} is not allowed.`)
    }
    const body = validate(createRefundRequestSchema, parseJsonBody(ctx.raw))
    checkRawAmount(ctx.raw)

    const existing = this.core.state.refunds.get(body.refundId)
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

    const cip = this.core.state.cips.get(Number(body.cip))
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
    this.core.state.refunds.set(refund.refundId, refund)
    this.core.state.counters.refundsCreated++
    if (config.merchantBalance !== null) {
      config.merchantBalance = (toCents(config.merchantBalance) - toCents(refund.amount)) / 100
    }

    const { autoSettle, settleDelayMs, notifyBeforeResponse } = config.refunds
    if (autoSettle !== "none") {
      if (notifyBeforeResponse) {
        await this.settle(refund, autoSettle, undefined, true)
      } else {
        const epoch = this.core.epoch
        void this.core.track(
          this.core.sleep(settleDelayMs, epoch).then((ok) => {
            if (ok && refund.status === "pending" && this.core.state.refunds.get(refund.refundId) === refund) {
              void this.settle(refund, autoSettle, undefined, true)
            }
          })
        )
      }
    }
    return success(201, this.refundData(refund, false))
  }

  /** A new refund, pending, with the next referenceId. */
  newRefund(r: Omit<SandboxRefund, "referenceId" | "status" | "dateCreation" | "dateProcessed" | "rejectReason">): SandboxRefund {
    return { ...r, referenceId: `RF${String(this.core.seq.refund++).padStart(8, "0")}`, status: "pending", dateCreation: new Date(), dateProcessed: null, rejectReason: null }
  }

  /** What is still refundable on a CIP, in cents: its amount less its refunds (under `key`, as sent) not rejected. */
  refundableCents(cip: SandboxCip, key = String(cip.cip)): number {
    const refunded = [...this.core.state.refunds.values()]
      .filter((r) => r.cip === key && r.status !== "rejected")
      .reduce((sum, r) => sum + toCents(r.amount), 0)
    return toCents(cip.amount) - refunded
  }

  private getRefund(ctx: Ctx, refundId: string): Reply {
    this.auth.requireApiAuth(ctx)
    const refund = this.core.state.refunds.get(refundId)
    if (!refund) return apiError(404, REFUND_CODES.REFUND_NOT_FOUND, `Refund ${refundId} was never received.`)
    return success(200, this.refundData(refund, true))
  }

  /** Settles a pending refund and sends refund.completed / refund.rejected. */
  settle(refund: SandboxRefund, outcome: "complete" | "reject", reason: string | undefined, notify: boolean) {
    refund.status = outcome === "complete" ? "completed" : "rejected"
    refund.dateProcessed = new Date()
    if (outcome === "reject") {
      refund.rejectReason = reason ?? this.core.state.config.refunds.rejectReason
      const config = this.core.state.config
      if (config.merchantBalance !== null) {
        config.merchantBalance = (toCents(config.merchantBalance) + toCents(refund.amount)) / 100
      }
    }
    if (!notify) return Promise.resolve()
    return this.notifier.notify(outcome === "complete" ? "refund.completed" : "refund.rejected", refund.refundId, {
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
}
