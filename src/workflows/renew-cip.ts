import { WorkflowResponse, createWorkflow, transform } from "@medusajs/framework/workflows-sdk"
import { createPaymentSessionsWorkflow } from "@medusajs/medusa/core-flows"
import { cancelExpiredSessionStep } from "./steps/cancel-expired-session"
import { type RecordRenewalInput, recordRenewalStep } from "./steps/record-renewal"

export type RenewCipInput = Omit<RecordRenewalInput, "fresh"> & {
  provider_id: string
  /** The fresh session's data: the shopper's email and phone, which the provider puts on the CIP. */
  data: Record<string, unknown>
}

/**
 * The renewal itself, under renewOrderCip's lock and checks: the expired session marked canceled
 * (so deleting it asks nothing of PagoEfectivo), a new session on the order's payment collection
 * through Medusa's createPaymentSessionsWorkflow (the provider's initiatePayment issues the CIP,
 * with the new session's id as its transactionCode), and the pagoefectivo_cip records.
 */
export const renewCipWorkflow = createWorkflow("pagoefectivo-renew-cip", (input: RenewCipInput) => {
  const expired = transform({ input }, ({ input }) => ({ session_id: input.expired.session_id }))
  cancelExpiredSessionStep(expired)
  const sessionInput = transform({ input }, ({ input }) => ({
    payment_collection_id: input.payment_collection_id,
    provider_id: input.provider_id,
    data: input.data,
  }))
  const session = createPaymentSessionsWorkflow.runAsStep({ input: sessionInput })
  const record = transform({ input, session }, ({ input, session }) => ({
    order_id: input.order_id,
    payment_collection_id: input.payment_collection_id,
    expired: input.expired,
    sequence: input.sequence,
    renewed_by: input.renewed_by,
    fresh: { session_id: session.id, data: (session.data ?? null) as Record<string, unknown> | null },
  }))
  const recorded = recordRenewalStep(record)
  return new WorkflowResponse(transform({ recorded, session }, ({ recorded, session }) => ({ cip: recorded.cip, session_id: session.id as string })))
})

