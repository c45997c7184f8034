import { ContainerRegistrationKeys, MathBN, MedusaError, Modules } from "@medusajs/framework/utils"
import { StepResponse, WorkflowResponse, createStep, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { emitEventStep } from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_EVENTS } from "../lib/pagoefectivo/events"
import type { RefundRecord } from "../modules/pagoefectivo/ledger"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"

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
}

export type RefundResultOutcome = {
  /** applied: the record moved to the result; duplicate: it already said so; anomaly: it said otherwise; unmatched: no such refund. */
  kind: "applied" | "duplicate" | "anomaly" | "unmatched"
  record: RefundRecord | null
  message?: string
}

const FINAL = ["completed", "rejected", "failed"]
const isFailure = (s: string | undefined) => s === "rejected" || s === "failed"

/** Moves the refund record to the result, unless it is already final. Compensation restores it. */
export const settleRefundRecordStep = createStep(
  "pagoefectivo-settle-refund-record",
  async (input: RefundResultInput, { container }) => {
    const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
    const ledger = pe.ledger()
    const record = await ledger.get(input.refund_id)
    if (!record) {
      return new StepResponse<RefundResultOutcome, RefundRecord | null>(
        { kind: "unmatched", record: null, message: `no refund ${input.refund_id} was made by this store` },
        null
      )
    }
    if (input.source === "manual" && record.status !== "awaiting_transfer" && !FINAL.includes(record.status)) {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `refund ${input.refund_id} is ${record.status}, not awaiting a bank transfer: PagoEfectivo settles it, not staff`
      )
    }
    if (FINAL.includes(record.status)) {
      if (record.status === input.status || (isFailure(record.status) && isFailure(input.status))) {
        return new StepResponse<RefundResultOutcome, RefundRecord | null>({ kind: "duplicate", record }, null)
      }
      const message = `refund ${input.refund_id} is ${record.status} but the ${input.source} says ${input.status}; not applied`
      await ledger.noteAnomaly(input.refund_id, message)
      container.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo: anomaly: ${message}`)
      return new StepResponse<RefundResultOutcome, RefundRecord | null>({ kind: "anomaly", record, message }, null)
    }
    const manual = input.source === "manual"
    const settled = await ledger.settleIfOpen(input.refund_id, {
      status: input.status,
      reference_id: input.reference_id ?? null,
      bank_reference: input.bank_reference ?? null,
      settled_by: input.settled_by ?? null,
      ...(isFailure(input.status)
        ? {
            failure_code: manual ? "transfer_failed" : input.status === "failed" ? "not_received" : "rejected",
            failure_reason:
              input.reason ??
              (manual
                ? "the bank transfer failed: nothing was refunded"
                : input.status === "failed"
                  ? "PagoEfectivo never received this refund: nothing was refunded."
                  : "rejected by PagoEfectivo"),
          }
        : {}),
    })
    if (!settled) {
      // another writer (a notification, the reconciliation, a second staff click) settled it
      // between our read and our write: the same result is a duplicate, another an anomaly
      const now = (await ledger.get(input.refund_id))!
      if (now.status === input.status || (isFailure(now.status) && isFailure(input.status))) {
        return new StepResponse<RefundResultOutcome, RefundRecord | null>({ kind: "duplicate", record: now }, null)
      }
      const message = `refund ${input.refund_id} became ${now.status} while the ${input.source} said ${input.status}; not applied`
      await ledger.noteAnomaly(input.refund_id, message)
      return new StepResponse<RefundResultOutcome, RefundRecord | null>({ kind: "anomaly", record: now, message }, null)
    }
    return new StepResponse<RefundResultOutcome, RefundRecord | null>({ kind: "applied", record: settled }, record)
  },
  async (previous, { container }) => {
    if (!previous) return
    await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger().restore(previous)
  }
)

type MedusaRefund = {
  refund: { id: string; amount: unknown; payment_id: string; payment_collection_id: string }
  transaction_ids: string[]
  order_id: string | null
} | null

/**
 * Medusa's Refund row and its order transactions, for a record that failed or was rejected and
 * that Medusa may still count. Null when there is nothing to undo (yet).
 */
export const findMedusaRefundStep = createStep(
  "pagoefectivo-find-medusa-refund",
  async ({ record }: { record: RefundRecord | null }, { container }) => {
    if (!record || !isFailure(record.status) || record.reversed_at) return new StepResponse<MedusaRefund>(null)
    const payment = container.resolve(Modules.PAYMENT)
    const [refund] = await payment.listRefunds({ id: record.refund_id }, { select: ["id", "amount", "payment_id"], relations: ["payment"] })
    if (!refund) return new StepResponse<MedusaRefund>(null)
    const transactions = await container
      .resolve(Modules.ORDER)
      .listOrderTransactions({ reference: "refund", reference_id: record.refund_id }, { select: ["id", "order_id"] })
    return new StepResponse<MedusaRefund>({
      refund: {
        id: refund.id,
        amount: refund.amount,
        payment_id: (refund as any).payment_id ?? refund.payment?.id,
        payment_collection_id: (refund.payment as any)?.payment_collection_id,
      },
      transaction_ids: transactions.map((t) => t.id),
      order_id: transactions[0]?.order_id ?? record.order_id,
    })
  }
)

/**
 * Claims the undo (sets reversed_at once): of several workers applying the same result, one
 * undoes the refund and the others stop here. Compensation releases the claim.
 */
export const claimReversalStep = createStep(
  "pagoefectivo-claim-reversal",
  async ({ found, record }: { found: MedusaRefund; record: RefundRecord | null }, { container }) => {
    if (!found || !record) return new StepResponse(false, null as string | null)
    const claimed = await container
      .resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
      .ledger()
      .markReversed(record.refund_id, `undone after ${record.failure_code === "transfer_failed" ? "its bank transfer failed" : record.status === "failed" ? "PagoEfectivo never received it" : "PagoEfectivo rejected it"}: ${record.failure_reason ?? ""}`.slice(0, 500))
    return new StepResponse(!!claimed, claimed ? record.refund_id : null)
  },
  async (refundId, { container }) => {
    if (!refundId) return
    await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger().unmarkReversed(refundId)
  }
)

/** Soft-deletes Medusa's Refund row: it no longer counts toward the payment. Compensation restores it. */
export const removeMedusaRefundStep = createStep(
  "pagoefectivo-remove-medusa-refund",
  async ({ found, claimed }: { found: MedusaRefund; claimed: boolean }, { container }) => {
    if (!found || !claimed) return new StepResponse(null, null as string | null)
    await (container.resolve(Modules.PAYMENT) as any).softDeleteRefunds([found.refund.id])
    return new StepResponse(null, found.refund.id)
  },
  async (refundId, { container }) => {
    if (!refundId) return
    await (container.resolve(Modules.PAYMENT) as any).restoreRefunds([refundId])
  }
)

/**
 * Soft-deletes the order transaction Medusa added for the refund, so the order's summary no
 * longer counts it: refunded total back to what it was, and the amount owed to the shopper again
 * (pending difference). Medusa keeps order summaries per order version and a refund can bump the
 * version (its credit line), so the transaction is first moved to the current version, whose
 * summary Medusa then updates. Compensation restores the transaction and its version.
 */
export const removeRefundTransactionsStep = createStep(
  "pagoefectivo-remove-refund-transactions",
  async ({ found, claimed }: { found: MedusaRefund; claimed: boolean }, { container }) => {
    if (!found || !claimed || !found.transaction_ids.length) return new StepResponse(null, null as null | { ids: string[]; versions: { id: string; version: number }[] })
    const order = container.resolve(Modules.ORDER) as any
    const transactions: { id: string; order_id: string; version: number }[] = await order.listOrderTransactions(
      { id: found.transaction_ids },
      { select: ["id", "order_id", "version"] }
    )
    const [current] = await order.listOrders({ id: transactions[0].order_id }, { select: ["id", "version"] })
    const versions = transactions.filter((t) => t.version !== current.version).map((t) => ({ id: t.id, version: t.version }))
    if (versions.length) await order.updateOrderTransactions(versions.map((v) => ({ id: v.id, version: current.version })))
    await order.softDeleteOrderTransactions(found.transaction_ids)
    return new StepResponse(null, { ids: found.transaction_ids, versions })
  },
  async (done, { container }) => {
    if (!done) return
    const order = container.resolve(Modules.ORDER) as any
    await order.restoreOrderTransactions(done.ids)
    if (done.versions.length) await order.updateOrderTransactions(done.versions)
  }
)

/**
 * Recomputes the payment collection's refunded amount from the refunds that still count.
 * Compensation puts the previous amount back.
 */
export const recomputeRefundedAmountStep = createStep(
  "pagoefectivo-recompute-refunded-amount",
  async ({ found, claimed }: { found: MedusaRefund; claimed: boolean }, { container }) => {
    if (!found || !claimed || !found.refund.payment_collection_id) return new StepResponse(null, null as null | { id: string; refunded_amount: unknown })
    const payment = container.resolve(Modules.PAYMENT)
    const id = found.refund.payment_collection_id
    const [collection] = await payment.listPaymentCollections({ id }, { select: ["id", "refunded_amount"] })
    const payments = await payment.listPayments({ payment_collection_id: id } as any, { relations: ["refunds"] })
    const refunded = payments.flatMap((p) => p.refunds ?? []).reduce((sum, r) => MathBN.add(sum, r.amount), MathBN.convert(0))
    await payment.updatePaymentCollections(id, { refunded_amount: refunded } as any)
    return new StepResponse(null, { id, refunded_amount: collection?.refunded_amount ?? 0 })
  },
  async (previous, { container }) => {
    if (!previous) return
    await container.resolve(Modules.PAYMENT).updatePaymentCollections(previous.id, { refunded_amount: previous.refunded_amount } as any)
  }
)

/**
 * A refund the plugin made under a key (a return, a batch line) that is now undone: its request
 * says so ("error", nothing refunded), so that staff's retry or a resubmitted batch refunds again.
 * Compensation puts the requests back.
 */
export const reopenRefundRequestsStep = createStep(
  "pagoefectivo-reopen-refund-requests",
  async ({ found, claimed, record }: { found: MedusaRefund; claimed: boolean; record: RefundRecord | null }, { container }) => {
    if (!found || !claimed || !record) return new StepResponse(null, null as null | { key: string; status: string; message: string | null }[])
    const previous = await container
      .resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
      .refundRequests()
      .reopenUndone(record.refund_id, `refund ${record.refund_id} was undone (${record.failure_reason ?? record.status}); nothing was refunded: retry to refund again`)
    return new StepResponse(null, previous)
  },
  async (previous, { container }) => {
    if (!previous?.length) return
    await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).refundRequests().restoreStatuses(previous)
  }
)

/**
 * Applies PagoEfectivo's final word on a refund, from a notification or the reconciliation:
 * - completed → the record is completed (reference id, processed date), and
 *   `pagoefectivo.refund.completed` is emitted;
 * - rejected, or never received → the record says so and Medusa's refund is undone: it no longer
 *   counts toward the payment, the payment collection or the order (whose payment status and
 *   summary return to what they were), and `pagoefectivo.refund.failed` is emitted so a store
 *   can alert staff, who can then refund again.
 * One step per change, each with its compensation. Applying the same result twice is a no-op;
 * a result contradicting a final one is recorded as an anomaly and not applied; a result for a
 * refund whose Medusa row is not committed yet leaves the record rejected and un-reversed, and
 * the next run (notification redelivery or reconciliation) undoes it.
 */
export const applyRefundResultWorkflow = createWorkflow("pagoefectivo-apply-refund-result", (input: RefundResultInput) => {
  const outcome = settleRefundRecordStep(input)
  const record = transform({ outcome }, ({ outcome }) => outcome.record)

  when("pagoefectivo-refund-completed-event", { outcome }, ({ outcome }) => outcome.kind === "applied" && outcome.record?.status === "completed").then(() => {
    const data = transform({ outcome }, ({ outcome }) => eventData(outcome.record!))
    emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_COMPLETED, data }).config({ name: "emit-refund-completed" })
  })

  const found = findMedusaRefundStep({ record })
  const claimed = claimReversalStep({ found, record })
  removeMedusaRefundStep({ found, claimed })
  removeRefundTransactionsStep({ found, claimed })
  recomputeRefundedAmountStep({ found, claimed })
  reopenRefundRequestsStep({ found, claimed, record })

  when("pagoefectivo-refund-failed-event", { claimed }, ({ claimed }) => claimed).then(() => {
    const data = transform({ outcome, found }, ({ outcome, found }) => ({ ...eventData(outcome.record!), order_id: found?.order_id ?? outcome.record!.order_id }))
    emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_FAILED, data }).config({ name: "emit-refund-failed" })
  })

  const result = transform({ outcome, found, claimed }, ({ outcome, found, claimed }) => ({
    ...outcome,
    undone: claimed,
    /** A failure whose Medusa refund is not (yet) there to undo. */
    deferred: !!outcome.record && isFailure(outcome.record.status) && !outcome.record.reversed_at && !found,
  }))
  return new WorkflowResponse(result)
})

export type CompletionsInput = { refunds: { refund_id: string; reference_id?: string | null; trace_id?: string | null }[] }
export type CompletionsOutcome = { completed: RefundRecord[]; duplicates: string[]; anomalies: string[]; unmatched: string[] }

/**
 * Completes the records PagoEfectivo completed, in one statement; a record already completed is a
 * duplicate, one already rejected or failed an anomaly (noted on it, not applied; the
 * reconciliation then undoes the rejection, if Medusa still counts it, through
 * applyRefundResultWorkflow). Compensation puts the completed records back as they were.
 */
export const completeRefundRecordsStep = createStep(
  "pagoefectivo-complete-refund-records",
  async (input: CompletionsInput, { container }) => {
    const ledger = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
    const ids = input.refunds.map((r) => r.refund_id)
    const before = await ledger.getMany(ids)
    const completed = await ledger.completeMany(input.refunds)
    const moved = new Set(completed.map((r) => r.refund_id))
    const known = new Map(before.map((r) => [r.refund_id, r]))
    const outcome: CompletionsOutcome = { completed, duplicates: [], anomalies: [], unmatched: [] }
    for (const id of ids) {
      const r = known.get(id)
      if (moved.has(id)) continue
      if (!r) outcome.unmatched.push(id)
      else if (r.status === "completed") outcome.duplicates.push(id)
      else {
        const message = `refund ${id} is ${r.status} but PagoEfectivo says completed; not applied`
        await ledger.noteAnomaly(id, message)
        container.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo: anomaly: ${message}`)
        outcome.anomalies.push(id)
      }
    }
    return new StepResponse(outcome, before.filter((r) => moved.has(r.refund_id)))
  },
  async (previous, { container }) => {
    const ledger = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
    for (const record of previous ?? []) await ledger.restore(record)
  }
)

/**
 * PagoEfectivo completed these refunds: the completion alone, for many refunds in one run, without
 * applyRefundResultWorkflow's undo steps (which a completion never needs); emits
 * `pagoefectivo.refund.completed` for each record it completed. The reconciliation runs it once per
 * page of refunds whose notifications were lost: a workflow run per refund was most of the
 * reconciliation's time and garbage.
 */
export const completeRefundsWorkflow = createWorkflow("pagoefectivo-complete-refunds", (input: CompletionsInput) => {
  const outcome = completeRefundRecordsStep(input)
  const data = transform({ outcome }, ({ outcome }) => outcome.completed.map(eventData))
  emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_COMPLETED, data }).config({ name: "emit-refunds-completed" })
  return new WorkflowResponse(outcome)
})

function eventData(r: RefundRecord) {
  return {
    refund_id: r.refund_id,
    payment_id: r.payment_id,
    order_id: r.order_id,
    cip: r.cip,
    amount: MathBN.convert(r.amount).toFixed(2),
    currency_code: r.currency_code,
    status: r.status,
    reference_id: r.reference_id,
    reason: r.failure_reason,
  }
}
