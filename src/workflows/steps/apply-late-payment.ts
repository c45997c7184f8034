import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { applyLatePayment } from "../../lib/renewal/late-payment"

export const applyLatePaymentStepId = "pagoefectivo-record-late-payment"
export type ApplyLatePaymentStepInput = { cip: string }

/** A paid CIP of a renewed order, not its live session's: captured, or recorded as an overpayment (once: a redelivery finds it so and changes nothing). */
export const applyLatePaymentStep = createStep(applyLatePaymentStepId, async ({ cip }: ApplyLatePaymentStepInput, { container }) => {
  return new StepResponse(await applyLatePayment(container, cip))
})
