import { WorkflowResponse, createWorkflow, transform } from "@medusajs/framework/workflows-sdk"
import { emitEventStep } from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_EVENTS } from "../lib/pagoefectivo/events"
import { type CompletionsInput, completeRefundRecordsStep } from "./steps/complete-refund-records"
import { eventData } from "../lib/refunds/event-data"

/**
 * PagoEfectivo completed these refunds: the completion alone, for many refunds in one run. A
 * completion leaves the books as they are (the refund was counted and stays so; one Medusa lost is
 * booked by the reconciliation's sweep, see src/lib/books/), so no convergence runs here; emits
 * `pagoefectivo.refund.completed` for each record it completed. The reconciliation runs it once per
 * page of refunds whose notifications were lost, so that a page costs one workflow run.
 */
export const completeRefundsWorkflow = createWorkflow("pagoefectivo-complete-refunds", (input: CompletionsInput) => {
  const outcome = completeRefundRecordsStep(input)
  const data = transform({ outcome }, ({ outcome }) => outcome.completed.map(eventData))
  emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_COMPLETED, data }).config({ name: "emit-refunds-completed" })
  return new WorkflowResponse(outcome)
})

