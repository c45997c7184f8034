import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { emitEventStep } from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_EVENTS } from "../lib/pagoefectivo/events"
import { DEAD_STATUSES } from "../modules/pagoefectivo/ledger"
import { convergeBooksStep } from "./steps/converge-books"
import { eventData } from "../lib/refunds/event-data"
import { reopenRefundRequestsStep } from "./steps/reopen-refund-requests"
import { type RefundResultInput, type RefundResultOutcome, settleRefundRecordStep } from "./steps/settle-refund-record"

export type { RefundResultInput, RefundResultOutcome }

/**
 * Applies a final word on a refund, from a notification, the reconciliation, "Check status now" or
 * staff (a bank transfer):
 * 1. the record takes the result, unless it is final already (then it is a duplicate, or an
 *    anomaly kept for staff);
 * 2. a refund made under a key (a return, a batch line) that ended dead has its request reopened,
 *    and `pagoefectivo.refund.completed` / `pagoefectivo.refund.failed` are emitted once, when the
 *    record moves;
 * 3. the order's books are converged to the records (src/lib/books/): a rejected or failed
 *    refund stops counting in Medusa (its Refund row and order transaction are soft-deleted, the
 *    payment collection's refunded amount and the order's summary recomputed; the credit line
 *    Medusa added stays, so the amount shows as owed to the shopper again), whatever Medusa was
 *    doing with that refund at the time; this runs for duplicates too, since the books may have
 *    changed since the first delivery.
 */
export const applyRefundResultWorkflow = createWorkflow("pagoefectivo-apply-refund-result", (input: RefundResultInput) => {
  const outcome = settleRefundRecordStep(input)
  const record = transform({ outcome }, ({ outcome }) => outcome.record)
  // the consequences of the verdict first, so that a convergence that fails (a lock timeout) loses
  // none of them: it is run again by the retry of this result or by the reconciliation's sweep
  reopenRefundRequestsStep({ record })
  when("pagoefectivo-refund-completed-event", { outcome }, ({ outcome }) => outcome.kind === "applied" && outcome.record?.status === "completed").then(() => {
    const data = transform({ outcome }, ({ outcome }) => eventData(outcome.record!))
    emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_COMPLETED, data }).config({ name: "emit-refund-completed" })
  })
  when("pagoefectivo-refund-failed-event", { outcome }, ({ outcome }) => outcome.kind === "applied" && !!outcome.record && DEAD_STATUSES.includes(outcome.record.status)).then(() => {
    const data = transform({ outcome }, ({ outcome }) => eventData(outcome.record!))
    emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_FAILED, data }).config({ name: "emit-refund-failed" })
  })

  const refundIds = transform({ outcome, input }, ({ outcome, input }) => ({ refund_ids: outcome.record && input.converge !== false ? [outcome.record.refund_id] : [] }))
  const reports = convergeBooksStep(refundIds)
  const result = transform({ outcome, reports }, ({ outcome, reports }) => {
    const id = outcome.record?.refund_id
    return {
      ...outcome,
      /** This run stopped Medusa from counting the (rejected or failed) refund. */
      undone: !!id && reports.some((r) => r.undone.includes(id)),
      books: reports,
    }
  })
  return new WorkflowResponse(result)
})
