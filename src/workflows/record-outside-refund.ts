import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { emitEventStep } from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_EVENTS } from "../lib/pagoefectivo/events"
import type { OutsideRefund } from "../modules/pagoefectivo/outside-refunds"
import { eventData } from "../lib/refunds/event-data"
import { convergeBooksStep } from "./steps/converge-books"
import { markOutsideNotificationStep } from "./steps/mark-outside-notification"
import { writeOutsideRecordStep } from "./steps/write-outside-record"

/** Writes a refund made in PagoEfectivo's own panel as a record, books it and marks its notification (see src/lib/refunds/outside-refund.ts). */
export const recordOutsideRefundWorkflow = createWorkflow("pagoefectivo-record-outside-refund", (input: { notification_id: string; refund: OutsideRefund }) => {
  const written = writeOutsideRecordStep(input.refund)
  const refundIds = transform({ written }, ({ written }) => ({ refund_ids: written.record ? [written.record.refund_id] : [] }))
  const books = convergeBooksStep(refundIds)
  const mark = transform({ written, input }, ({ written, input }) => ({ id: input.notification_id, recorded: !!written.record }))
  markOutsideNotificationStep(mark)
  when("pagoefectivo-outside-refund-event", { written }, ({ written }) => written.kind === "created").then(() => {
    const data = transform({ written }, ({ written }) => eventData(written.record!))
    emitEventStep({ eventName: PAGOEFECTIVO_EVENTS.REFUND_COMPLETED, data }).config({ name: "emit-outside-refund-completed" })
  })
  return new WorkflowResponse(transform({ written, books }, ({ written, books }) => ({ ...written, books })))
})
