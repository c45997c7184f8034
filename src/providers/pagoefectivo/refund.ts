import type { BigNumberInput, Logger } from "@medusajs/framework/types"
import { MathBN, MedusaError } from "@medusajs/framework/utils"
import {
  type AttemptRecord,
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
import type { RefundLedger, RefundRecord } from "../../modules/pagoefectivo/ledger"

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

/**
 * One refund through PagoEfectivo, exactly once:
 * 1. checks, before any call: the CIP is paid, the amount is positive with at most 2 decimals and
 *    not above what is still refundable, the currency is the CIP's, the payment is inside the
 *    refund window, and it is not a double click;
 * 2. writes the refund record ("requested") so that it exists before money can move;
 * 3. calls POST /refunds (the client retries 401, 429, 5xx and timeouts with the same refundId
 *    and the same bytes), recording every attempt;
 * 4. settles the record: pending/completed → done; rejected or a definite failure → throws a
 *    clear error (Medusa then deletes its Refund row); still unknown after the retries →
 *    "verifying", no error (PagoEfectivo may have refunded; the reconciliation settles it).
 * In manual refund mode step 3 is skipped and the record is "awaiting_transfer": staff return the
 * money by bank transfer and settle it in the admin. With `manualRefundFallback`, PagoEfectivo's
 * 403 "refunds not enabled" ends the same way instead of failing.
 */
export class RefundExecutor {
  constructor(
    private readonly client: PagoEfectivoClient,
    private readonly ledger: () => RefundLedger,
    private readonly options: ResolvedOptions,
    private readonly logger: Logger
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

    // refundable = what the shopper paid − what is refunded or on its way
    const counted = await ledger.countedTotal(cip)
    const left = MathBN.sub(MathBN.convert(paid.amount), MathBN.convert(counted))
    if (MathBN.gt(MathBN.convert(wire.text), left)) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `PagoEfectivo: ${paid.currency} ${wire.text} is above what is still refundable on CIP ${cip}: ${paid.currency} ${MathBN.convert(left).toFixed(2)} of ${paid.currency} ${MathBN.convert(paid.amount).toFixed(2)} paid`
      )
    }
    if (this.options.duplicateRefundGuardSeconds > 0) {
      const recent = await ledger.recentSameAmount(cip, wire.text, this.options.duplicateRefundGuardSeconds)
      if (recent && recent.refund_id !== refundId) {
        throw new MedusaError(
          MedusaError.Types.NOT_ALLOWED,
          `PagoEfectivo: a refund of ${paid.currency} ${wire.text} on CIP ${cip} was requested ${Math.round((Date.now() - new Date(recent.requested_at).getTime()) / 1000)} s ago (${recent.refund_id}, ${recent.status}). This looks like a double click; if you mean a second refund of the same amount, try again in ${this.options.duplicateRefundGuardSeconds} s.`
        )
      }
    }

    const sessionId = String(d.session_id ?? d.transactionCode ?? "")
    const where = await ledger.locate(sessionId)
    const merchantOrderId = where.order_id ?? where.payment_collection_id ?? sessionId
    const { record } = await ledger.begin({
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
    })
    if (record.status === "completed" || record.status === "pending" || record.status === "awaiting_transfer") return summary(record)
    if (record.status === "rejected" || record.status === "failed") {
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
    const attempts: AttemptRecord[] = []
    let recording = Promise.resolve()
    const onAttempt = (a: AttemptRecord) => {
      attempts.push(a)
      const entry = { ...a, request: { ...body, amount: wire.text } }
      recording = recording.then(() => ledger.appendAttempt(refundId, entry)).catch((e) => this.logRecordError(refundId, e))
    }

    try {
      const { data: answer, correlationId } = await this.client.createRefund(body, { onAttempt })
      await recording
      const rejectedWhy = answer.status === "rejected" ? (answer.reason ?? (await this.rejectionReason(refundId)) ?? "no reason given") : null
      const settled = await this.settle(refundId, {
        status: answer.status,
        reference_id: answer.referenceId ?? null,
        trace_id: answer.traceId ?? correlationId,
        correlation_id: correlationId,
        ...(rejectedWhy ? { failure_code: "rejected", failure_reason: rejectedWhy } : {}),
      })
      // The answer, or a notification that overtook it, may say "rejected": then Medusa must not
      // keep its refund, so the call fails and Medusa deletes its Refund row.
      const final = settled?.status ?? answer.status
      if (final === "rejected" || final === "failed") {
        // The refund answer carries no reason; GET /refunds/{refundId} does.
        const reason = settled?.failure_reason ?? rejectedWhy ?? "no reason given"
        await this.reversed(refundId, "the refund was rejected before Medusa kept it")
        throw new MedusaError(
          MedusaError.Types.NOT_ALLOWED,
          `PagoEfectivo rejected the refund of ${paid.currency} ${wire.text} on CIP ${cip}: ${reason}. Nothing was refunded.`
        )
      }
      return settled ? summary(settled) : { status: answer.status, amount: wire.text, referenceId: answer.referenceId ?? null, traceId: answer.traceId ?? null }
    } catch (e) {
      if (e instanceof MedusaError) throw e
      await recording
      const last = e as PagoEfectivoError
      if (attempts.some((a) => a.ambiguous) || (last instanceof PagoEfectivoError && last.ambiguous)) {
        // PagoEfectivo may have refunded: never report failure (Medusa would forget its refund).
        const settled = await this.settle(refundId, {
          status: "verifying",
          correlation_id: attempts[attempts.length - 1]?.correlationId ?? null,
          failure_code: last instanceof PagoEfectivoError ? (last.code ?? last.kind) : "error",
          failure_reason: `no definite answer after ${attempts.length} attempt(s): ${(e as Error).message}`,
        })
        this.logger.warn(
          `pagoefectivo: refund ${refundId} on CIP ${cip} is unconfirmed after ${attempts.length} attempt(s); recorded as verifying for the reconciliation`
        )
        return settled ? summary(settled) : { status: "verifying", amount: wire.text, referenceId: null, traceId: null }
      }
      if (this.options.manualRefundFallback && last instanceof PagoEfectivoError && last.code === REFUND_CODES.REFUNDS_NOT_ENABLED) {
        this.logger.warn(`pagoefectivo: refunds are not enabled for this merchant; refund ${refundId} on CIP ${cip} awaits a bank transfer`)
        return this.awaitTransfer(refundId, "PagoEfectivo has not enabled refunds for this merchant (403, code 601): return the money by bank transfer, then mark it transferred")
      }
      const failure = describeRefundFailure(e, cip)
      await this.settle(refundId, {
        status: "failed",
        correlation_id: last instanceof PagoEfectivoError ? (last.correlationId ?? null) : null,
        failure_code: failure.code,
        failure_reason: failure.message,
      })
      await this.reversed(refundId, "the refund call failed; Medusa did not keep its refund")
      const err = new MedusaError(
        failure.category === "unavailable" ? MedusaError.Types.UNEXPECTED_STATE : failure.category === "invalid" ? MedusaError.Types.INVALID_DATA : MedusaError.Types.NOT_ALLOWED,
        `PagoEfectivo: refund of ${paid.currency} ${wire.text} on CIP ${cip} failed. ${failure.message}`
      )
      ;(err as Error & { cause?: unknown }).cause = e
      throw err
    }
  }

  /** Records a refund that staff will make by bank transfer (no PagoEfectivo call). */
  private async awaitTransfer(refundId: string, note: string): Promise<RefundSummary> {
    const settled = await this.ledger().settle(refundId, { status: "awaiting_transfer", failure_reason: note })
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

  /** Settles the record; a failure to write is logged, never thrown (the money may have moved). */
  private async settle(refundId: string, settlement: Parameters<RefundLedger["settle"]>[1]) {
    try {
      return await this.ledger().settle(refundId, settlement)
    } catch (e) {
      this.logRecordError(refundId, e)
      return null
    }
  }

  /** Why PagoEfectivo rejected a refund (null when it cannot be read now). */
  private async rejectionReason(refundId: string): Promise<string | null> {
    try {
      return (await this.client.getRefund(refundId, { logContext: { purpose: "rejection-reason" } }))?.reason ?? null
    } catch {
      return null
    }
  }

  /** Notes on the record that Medusa will not count this refund (it deletes its Refund row). */
  private async reversed(refundId: string, note: string) {
    try {
      await this.ledger().markReversed(refundId, note)
    } catch (e) {
      this.logRecordError(refundId, e)
    }
  }

  private logRecordError(refundId: string, e: unknown) {
    this.logger.error(
      `pagoefectivo: could not update the record of refund ${refundId} (${(e as Error)?.message}); it stays "requested" and the reconciliation will settle it`
    )
  }
}

function summary(r: RefundRecord): RefundSummary {
  return {
    status: r.status,
    amount: MathBN.convert(r.amount).toFixed(2),
    referenceId: r.reference_id,
    traceId: r.trace_id,
  }
}
