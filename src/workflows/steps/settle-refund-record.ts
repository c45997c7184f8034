import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"
import { finalResultVerdict, isDeadStatus as isFailure, isFinalStatus, sameOutcome } from "../../lib/refund-status"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export type RefundResultInput = {
  refund_id: string
  /** PagoEfectivo's final word: completed or rejected; "failed" = PagoEfectivo never received it. */
  status: "completed" | "rejected" | "failed"
  reference_id?: string | null
  reason?: string | null
  /** "manual": staff settling a refund made by bank transfer (manual refund mode). */
  source: "notification" | "reconciliation" | "manual"
  /** Manual refunds: the bank transfer's reference and the admin user settling it. */
  bank_reference?: string | null
  settled_by?: string | null
  /** false: the caller converges the order's books itself afterwards (the reconciliation, once per order). */
  converge?: boolean
}

export type RefundResultOutcome = {
  /**
   * applied: the record moved to the result; duplicate: it already said so; anomaly: it said
   * otherwise; unmatched: no such refund; leased: a verdict of ours ("never received") while the
   * refund's call may still be under way, not applied.
   */
  kind: "applied" | "duplicate" | "anomaly" | "unmatched" | "leased"
  record: RefundRecord | null
  message?: string
}

/**
 * Moves the refund record to the result, unless it is final already (the first final word wins;
 * a contradicting one is kept as an anomaly), with one exception: PagoEfectivo completing a refund
 * we had judged failed overrules us (the money moved). No compensation, on purpose: the result is a fact
 * (PagoEfectivo's, or staff's for a bank transfer), and the books follow it in this run or the
 * next; rolling the fact back because a later step failed would lose it.
 */
export const settleRefundRecordStep = createStep("pagoefectivo-settle-refund-record", async (input: RefundResultInput, { container }) => {
  const ledger = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const record = await ledger.get(input.refund_id)
  if (!record) return new StepResponse<RefundResultOutcome>({ kind: "unmatched", record: null, message: `no refund ${input.refund_id} was made by this store` })
  if (input.source === "manual" && record.status !== "awaiting_transfer" && !isFinalStatus(record.status)) {
    throw new MedusaError(MedusaError.Types.NOT_ALLOWED, `refund ${input.refund_id} is ${record.status}, not awaiting a bank transfer: PagoEfectivo settles it, not staff`)
  }
  const anomaly = async (now: RefundRecord, message: string) => {
    await ledger.noteAnomaly(input.refund_id, message)
    logger.warn(`pagoefectivo: anomaly: ${message}`)
    return new StepResponse<RefundResultOutcome>({ kind: "anomaly", record: now, message })
  }
  if (isFinalStatus(record.status)) {
    const verdict = finalResultVerdict(record.status, input)
    if (verdict === "duplicate") return new StepResponse<RefundResultOutcome>({ kind: "duplicate", record })
    if (verdict === "overrule") {
      // "failed" was our verdict (nothing refunded, as far as we could tell); PagoEfectivo's word
      // that it completed the refund wins: the money moved, Medusa must count it again
      const overruled = await ledger.settleAnswer(input.refund_id, { status: "completed", reference_id: input.reference_id ?? null })
      logger.warn(`pagoefectivo: anomaly: refund ${input.refund_id} was failed, PagoEfectivo now says completed; counted again`)
      return new StepResponse<RefundResultOutcome>({ kind: "applied", record: overruled, message: overruled?.anomaly ?? undefined })
    }
    return anomaly(record, `refund ${input.refund_id} is ${record.status} but the ${input.source} says ${input.status}; not applied`)
  }
  const manual = input.source === "manual"
  // "never received" is our verdict, not PagoEfectivo's: never while the call may be under way
  const ours = input.status === "failed" && !manual
  const settled = await ledger.settleIfOpen(
    input.refund_id,
    {
      status: input.status,
      reference_id: input.reference_id ?? null,
      bank_reference: input.bank_reference ?? null,
      settled_by: input.settled_by ?? null,
      ...(isFailure(input.status)
        ? {
            failure_code: manual ? "transfer_failed" : input.status === "failed" ? "not_received" : "rejected",
            failure_reason:
              input.reason ??
              (manual ? "the bank transfer failed: nothing was refunded" : input.status === "failed" ? "PagoEfectivo never received this refund: nothing was refunded." : "rejected by PagoEfectivo"),
          }
        : {}),
    },
    { unlessLeased: ours }
  )
  if (settled) return new StepResponse<RefundResultOutcome>({ kind: "applied", record: settled })
  // another writer (a notification, the reconciliation, a second staff click, the refund call's
  // answer) settled it between our read and our write, or its call lease still runs
  const now = (await ledger.get(input.refund_id))!
  if (sameOutcome(now.status, input.status)) return new StepResponse<RefundResultOutcome>({ kind: "duplicate", record: now })
  if (!isFinalStatus(now.status) && ours) {
    return new StepResponse<RefundResultOutcome>({ kind: "leased", record: now, message: `refund ${input.refund_id}'s call to PagoEfectivo may still be under way; not judged` })
  }
  return anomaly(now, `refund ${input.refund_id} became ${now.status} while the ${input.source} said ${input.status}; not applied`)
})
