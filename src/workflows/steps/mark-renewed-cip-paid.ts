import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { markCip } from "../../lib/renewal/renew-order"

export const markRenewedCipPaidStepId = "pagoefectivo-mark-renewed-cip-paid"
export type MarkRenewedCipPaidStepInput = { session_id: string }

/** After a cip.paid captured a session: its CIP record (a renewed order's) shows paid. */
export const markRenewedCipPaidStep = createStep(markRenewedCipPaidStepId, async ({ session_id }: MarkRenewedCipPaidStepInput, { container }) => {
  await markCip(container, { session_id }, "paid")
  return new StepResponse(null)
})
