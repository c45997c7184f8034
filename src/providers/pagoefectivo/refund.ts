import type { BigNumberInput, Logger } from "@medusajs/framework/types"
import { MathBN, MedusaError } from "@medusajs/framework/utils"
import {
  type AttemptRecord,
  type CreateRefundRequest,
  CURRENCIES,
  type Currency,
  PagoEfectivoClient,
  PagoEfectivoError,
  REFUND_CODES,
  cipState,
  parseDate,
} from "../../lib/pagoefectivo"
import { toWireAmount } from "../../lib/pagoefectivo/amount"
import type { ResolvedOptions } from "../../lib/pagoefectivo/options"
import { describeRefundFailure } from "../../lib/pagoefectivo/refund-errors"
import { FAILPOINTS, failpoint } from "../../lib/failpoints"
import { CONFIRMED_STATUSES, isDeadStatus } from "../../lib/refund-status"
import type { GatewayAnswer, RefundLedger, RefundRecord } from "../../modules/pagoefectivo/ledger"

/** What the provider keeps of each refund in the payment's `data.refunds`. */
export type RefundSummary = {
  status: RefundRecord["status"]
  amount: string
  referenceId: string | null
  traceId: string | null
}

export type RefundRequest = {
  /** Medusa's Refund id: PagoEfectivo's refundId and the idempotency key. */
  refundId: string | undefined
  data: Record<string, unknown> | undefined
  amount: BigNumberInput
}

const DAY_MS = 24 * 3600_000

/** Where the provider tells the plugin that an order's books must be converged again. */
export type BooksNotifier = (refundId: string) => Promise<void>

/**
 * One refund through PagoEfectivo, exactly once: the checks and the record written before any
 * call, the call with its retries and lease, the answer settling the record, and the status query
 * when no definite word came back. The steps and their outcomes are in docs/how-it-works.md, "How
 * refunds flow"; a refund that ends dead has its order's books converged again (`notifyBooks`).
 */
export class RefundExecutor {
  constructor(
    private readonly client: PagoEfectivoClient,
    private readonly ledger: () => RefundLedger,
    private readonly options: ResolvedOptions,
    private readonly logger: Logger,
    private readonly notifyBooks: BooksNotifier = async () => undefined
  ) {}

  async execute({ refundId, data, amount }: RefundRequest): Promise<RefundSummary> {
    if (!refundId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "PagoEfectivo: the refund has no id (Medusa's idempotency key is missing)")
    }
    const d = (data ?? {}) as Record<string, any>
    const cip = typeof d.cip === "string" && d.cip ? d.cip : null
    if (!cip) throw new MedusaError(MedusaError.Types.INVALID_DATA, "PagoEfectivo: this payment has no CIP in its data, so it cannot be refunded through PagoEfectivo")

    const wire = this.check(() => toWireAmount(amount), (m) => `PagoEfectivo: cannot refund ${cip}: ${m}`)
    const manual = this.options.refundMode === "manual"
    const paid = await this.paidCip(cip, d, { windowApplies: !manual })
    const ledger = this.ledger()

    const sessionId = String(d.session_id ?? d.transactionCode ?? "")
    const where = await ledger.locate(sessionId)
    const merchantOrderId = where.order_id ?? where.payment_collection_id ?? sessionId
    await failpoint(FAILPOINTS.providerRefundBeginning, { refund_id: refundId })
    const begun = await ledger.begin(
      {
        refund_id: refundId,
        payment_id: where.payment_id,
        payment_session_id: sessionId || null,
        payment_collection_id: where.payment_collection_id,
        order_id: where.order_id,
        merchant_order_id: merchantOrderId,
        cip,
        transaction_code: String(d.transactionCode ?? sessionId),
        amount: wire.text,
        currency_code: paid.currency,
        reason: null,
      },
      { paid: paid.amount, duplicateGuardSeconds: this.options.duplicateRefundGuardSeconds, leaseSeconds: this.options.refundCallLeaseSeconds }
    )
    if (begun.kind === "above_refundable") {
      const left = MathBN.sub(MathBN.convert(paid.amount), MathBN.convert(begun.counted))
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `PagoEfectivo: ${paid.currency} ${wire.text} is above what is still refundable on CIP ${cip}: ${paid.currency} ${MathBN.convert(left).toFixed(2)} of ${paid.currency} ${MathBN.convert(paid.amount).toFixed(2)} paid (the rest is refunded or on its way)`
      )
    }
    if (begun.kind === "double_click") {
      const { recent } = begun
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `PagoEfectivo: a refund of ${paid.currency} ${wire.text} on CIP ${cip} was requested ${Math.max(0, Math.round((Date.now() - new Date(recent.requested_at).getTime()) / 1000))} s ago (${recent.refund_id}, ${recent.status}). This looks like a double click; if you mean a second refund of the same amount, try again in ${this.options.duplicateRefundGuardSeconds} s.`
      )
    }
    if (begun.kind === "unbooked") {
      const { other } = begun
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        other.in_flight
          ? `PagoEfectivo: refund ${other.refund_id} of CIP ${cip} (${other.status}) is still on its way to PagoEfectivo, or PagoEfectivo may still be processing it; nothing was refunded now. Refund again once it has an answer (the order's PagoEfectivo panel shows it).`
          : `PagoEfectivo: refund ${other.refund_id} of CIP ${cip} (${other.status}) is not booked in Medusa yet (its refund did not finish); nothing was refunded now. The reconciliation books it: refund again only once the order shows it.`
      )
    }
    const { record } = begun
    // a retry of a refund PagoEfectivo confirmed answers what it already said
    if (CONFIRMED_STATUSES.includes(record.status)) return summary(record)
    if (isDeadStatus(record.status)) {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `PagoEfectivo: refund ${refundId} already ended ${record.status}: ${record.failure_reason ?? ""}`)
    }

    if (manual) return this.awaitTransfer(refundId, "refund mode is manual: return the money by bank transfer, then mark it transferred")

    const body = {
      cip,
      transactionCode: record.transaction_code,
      merchantOrderId,
      refundId,
      amount: wire,
      currency: paid.currency,
      reason: `Reembolso ${merchantOrderId}`.slice(0, 200),
    }
    const { record: settled, failure } = await this.call(refundId, body, wire.text)
    const status = settled?.status ?? "verifying"
    if (status === "rejected" || status === "failed") {
      // Medusa deletes its Refund row when this throws; whatever counted it meanwhile is undone
      // by the books' convergence
      await this.notify(refundId)
      const reason = settled?.failure_reason ?? failure?.message ?? "no reason given"
      const err =
        status === "rejected"
          ? new MedusaError(MedusaError.Types.NOT_ALLOWED, `PagoEfectivo rejected the refund of ${paid.currency} ${wire.text} on CIP ${cip}: ${reason}. Nothing was refunded.`)
          : new MedusaError(
              failure?.category === "unavailable" ? MedusaError.Types.UNEXPECTED_STATE : failure?.category === "invalid" ? MedusaError.Types.INVALID_DATA : MedusaError.Types.NOT_ALLOWED,
              `PagoEfectivo: refund of ${paid.currency} ${wire.text} on CIP ${cip} failed. ${reason}`
            )
      if (failure?.cause) (err as Error & { cause?: unknown }).cause = failure.cause
      throw err
    }
    await failpoint(FAILPOINTS.providerRefundReturning, { refund_id: refundId, status })
    return settled ? summary(settled) : { status: "verifying", amount: wire.text, referenceId: null, traceId: null }
  }

  /**
   * The refund call, its lease and the record's settlement. Answers the record as settled (null
   * when it could not be written: then it stays "requested" with its lease, and the reconciliation
   * asks PagoEfectivo once the lease runs out).
   */
  private async call(refundId: string, body: CreateRefundRequest, amount: string): Promise<{ record: RefundRecord | null; failure?: { category: string; message: string; cause: unknown } }> {
    const ledger = this.ledger()
    const leaseSeconds = this.options.refundCallLeaseSeconds
    const attempts: AttemptRecord[] = []
    let recording = Promise.resolve()
    const onAttempt = (a: AttemptRecord) => {
      attempts.push(a)
      const entry = { ...a, request: { ...body, amount } }
      recording = recording.then(() => ledger.appendAttempt(refundId, entry)).catch((e) => this.logRecordError(refundId, e))
    }
    // renewed while the call runs; awaited before the settlement, so that no renewal lands after it
    let beating = Promise.resolve()
    const heartbeat = setInterval(() => {
      beating = beating.then(() => ledger.holdLease(refundId, leaseSeconds)).catch((e) => this.logRecordError(refundId, e))
    }, (leaseSeconds * 1000) / 4)
    heartbeat.unref()
    try {
      await failpoint(FAILPOINTS.providerRefundCalling, { refund_id: refundId })
      let answer: GatewayAnswer | null = null
      let failure: unknown = null
      try {
        const { data, correlationId } = await this.client.createRefund(body, { onAttempt })
        answer = { status: data.status, reference_id: data.referenceId ?? null, trace_id: data.traceId ?? correlationId, correlation_id: correlationId, failure_reason: data.reason ?? null }
        if (answer.status === "rejected" && !answer.failure_reason) answer.failure_reason = (await this.remote(refundId, "rejection-reason"))?.reason ?? null
      } catch (e) {
        failure = e
      }
      await recording
      clearInterval(heartbeat)
      await beating
      const last = failure as PagoEfectivoError | null
      const ambiguous = attempts.some((a) => a.ambiguous) || (last instanceof PagoEfectivoError && last.ambiguous)
      if (!answer && last instanceof PagoEfectivoError && !ambiguous && needsConfirmation(last)) {
        // 503 says "not processed" and 409/603 that PagoEfectivo has this refund id: ask it
        const remote = await this.remote(refundId, "confirm-failure").catch(() => undefined)
        if (remote === undefined) return { record: await this.verifying(refundId, attempts, last, `PagoEfectivo answered ${last.status}${last.code ? `/${last.code}` : ""} and its status query failed`) }
        if (remote) {
          answer = { status: remote.status, reference_id: remote.referenceId ?? null, trace_id: remote.traceId ?? null, failure_reason: remote.reason ?? null }
          if (!MathBN.eq(MathBN.convert(remote.amount), MathBN.convert(amount)) || remote.cip !== String(body.cip)) {
            // PagoEfectivo has this refund id for something else (409/603): counted as it says, for staff to look at
            const anomaly = `PagoEfectivo answered ${last.status}/${last.code} and holds refund ${refundId} as ${remote.currency} ${remote.amount} on CIP ${remote.cip}, not ${body.currency} ${amount} on CIP ${body.cip}`
            await this.ledger().noteAnomaly(refundId, anomaly).catch((e) => this.logRecordError(refundId, e))
            this.logger.warn(`pagoefectivo: anomaly on refund ${refundId}: ${anomaly}`)
          }
        }
      }
      if (answer) return { record: await this.settleAnswer(refundId, answer) }
      if (ambiguous) return { record: await this.verifying(refundId, attempts, last, (failure as Error)?.message ?? "no answer") }
      if (this.options.manualRefundFallback && last instanceof PagoEfectivoError && last.code === REFUND_CODES.REFUNDS_NOT_ENABLED) {
        this.logger.warn(`pagoefectivo: refunds are not enabled for this merchant; refund ${refundId} on CIP ${body.cip} awaits a bank transfer`)
        await this.awaitTransfer(refundId, "PagoEfectivo has not enabled refunds for this merchant (403, code 601): return the money by bank transfer, then mark it transferred")
        return { record: await ledger.get(refundId) }
      }
      const described = describeRefundFailure(failure, String(body.cip))
      const record = await this.settleFailure(refundId, {
        status: "failed",
        correlation_id: last instanceof PagoEfectivoError ? (last.correlationId ?? null) : null,
        failure_code: described.code,
        failure_reason: described.message,
      })
      return { record, failure: { category: described.category, message: described.message, cause: failure } }
    } finally {
      clearInterval(heartbeat)
    }
  }

  /** No definite answer: "verifying", with the lease held once more (PagoEfectivo may still be processing it). */
  private async verifying(refundId: string, attempts: AttemptRecord[], last: unknown, why: string): Promise<RefundRecord | null> {
    const ledger = this.ledger()
    try {
      const settled = await ledger.settle(refundId, {
        status: "verifying",
        correlation_id: attempts[attempts.length - 1]?.correlationId ?? null,
        failure_code: last instanceof PagoEfectivoError ? (last.code ?? last.kind) : "error",
        failure_reason: `no definite answer after ${attempts.length} attempt(s): ${why}`,
      })
      await ledger.holdLease(refundId, this.options.refundCallLeaseSeconds)
      this.logger.warn(`pagoefectivo: refund ${refundId} is unconfirmed after ${attempts.length} attempt(s); recorded as verifying for the reconciliation`)
      return settled
    } catch (e) {
      this.logRecordError(refundId, e)
      return null
    }
  }

  private async settleAnswer(refundId: string, answer: GatewayAnswer): Promise<RefundRecord | null> {
    try {
      const settled = await this.ledger().settleAnswer(refundId, answer)
      if (settled?.anomaly && settled.status !== answer.status) this.logger.warn(`pagoefectivo: anomaly on refund ${refundId}: ${settled.anomaly}`)
      return settled
    } catch (e) {
      this.logRecordError(refundId, e)
      return null
    }
  }

  /** A definite failure: nothing was refunded. The lease ends with the record. */
  private async settleFailure(refundId: string, settlement: Parameters<RefundLedger["settle"]>[1]): Promise<RefundRecord | null> {
    try {
      const settled = await this.ledger().settle(refundId, settlement)
      await this.ledger().releaseLease(refundId)
      return settled
    } catch (e) {
      this.logRecordError(refundId, e)
      return null
    }
  }

  /** Records a refund that staff will make by bank transfer (no PagoEfectivo call). */
  private async awaitTransfer(refundId: string, note: string): Promise<RefundSummary> {
    const settled = await this.ledger().settle(refundId, { status: "awaiting_transfer", failure_reason: note })
    await this.ledger().releaseLease(refundId)
    if (!settled || settled.status !== "awaiting_transfer") {
      throw new MedusaError(MedusaError.Types.UNEXPECTED_STATE, `PagoEfectivo: could not record refund ${refundId} as awaiting a bank transfer; nothing was refunded`)
    }
    return summary(settled)
  }

  /**
   * The CIP's paid amount, currency and payment date, from the payment's data or PagoEfectivo.
   * `windowApplies`: PagoEfectivo's refund window (not for a bank transfer).
   */
  private async paidCip(
    cip: string,
    d: Record<string, any>,
    { windowApplies }: { windowApplies: boolean }
  ): Promise<{ amount: string; currency: Currency; datePayment: Date }> {
    let state = d.cipStatus as string | undefined
    let datePayment = d.datePayment as string | null | undefined
    let amount = d.amount as string | undefined
    let currency = d.currency as string | undefined
    if (state !== "paid" || !datePayment || !amount || !currency) {
      let found
      try {
        found = await this.client.searchCip(cip, { logContext: { purpose: "refund-check" } })
      } catch (e) {
        throw new MedusaError(
          MedusaError.Types.UNEXPECTED_STATE,
          `PagoEfectivo: could not check CIP ${cip} before refunding; nothing was refunded. ${(e as Error).message}. Try again in a moment.`
        )
      }
      if (!found) throw new MedusaError(MedusaError.Types.NOT_FOUND, `PagoEfectivo does not know CIP ${cip}; nothing was refunded.`)
      state = cipState(found.status, found.statusName ?? undefined)
      datePayment = found.datePayment
      if (currency && currency !== found.currency) {
        throw new MedusaError(
          MedusaError.Types.INVALID_DATA,
          `PagoEfectivo: the payment is in ${currency} but CIP ${cip} is in ${found.currency}; nothing was refunded.`
        )
      }
      amount = MathBN.convert(found.amount).toFixed(2)
      currency = found.currency
    }
    if (state !== "paid" || !datePayment) {
      throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `PagoEfectivo: CIP ${cip} is ${state ?? "not paid"}, not paid, so there is nothing to refund.`)
    }
    if (!(CURRENCIES as readonly string[]).includes(currency!)) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `PagoEfectivo refunds PEN and USD only; this payment is in ${currency}.`)
    }
    const paidAt = parseDate(datePayment)
    const windowDays = this.options.refundWindowDays
    if (windowApplies && Date.now() - paidAt.getTime() > windowDays * DAY_MS) {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `PagoEfectivo: the refund window of ${windowDays} days after payment has passed for CIP ${cip} (paid ${paidAt.toISOString().slice(0, 10)}); nothing was refunded. Return the money by bank transfer.`
      )
    }
    return { amount: amount!, currency: currency as Currency, datePayment: paidAt }
  }

  private check<T>(fn: () => T, message: (m: string) => string): T {
    try {
      return fn()
    } catch (e) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, message((e as Error).message))
    }
  }

  /** GET /refunds/{refundId}: null when PagoEfectivo never received it. */
  private remote(refundId: string, purpose: string) {
    return this.client.getRefund(refundId, { logContext: { purpose } })
  }

  /** Asks for the order's books to be converged again; never throws (the reconciliation sweeps anyway). */
  private async notify(refundId: string) {
    try {
      await this.notifyBooks(refundId)
    } catch (e) {
      this.logger.warn(`pagoefectivo: could not ask for the books of refund ${refundId} to be converged (${(e as Error)?.message}); the reconciliation will`)
    }
  }

  private logRecordError(refundId: string, e: unknown) {
    this.logger.error(
      `pagoefectivo: could not update the record of refund ${refundId} (${(e as Error)?.message}); it stays "requested" and the reconciliation will settle it`
    )
  }
}

/** Failures after which PagoEfectivo is asked whether it has the refund before it is called failed. */
function needsConfirmation(e: PagoEfectivoError): boolean {
  return e.status === 503 || e.code === REFUND_CODES.REFUND_ID_CONFLICT
}

function summary(r: RefundRecord): RefundSummary {
  return {
    status: r.status,
    amount: MathBN.convert(r.amount).toFixed(2),
    referenceId: r.reference_id,
    traceId: r.trace_id,
  }
}
