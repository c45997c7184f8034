import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { settleOverpaymentRefund } from "../../lib/renewal/overpayment"

export const settleOverpaymentRefundStepId = "pagoefectivo-settle-overpayment-refund"

export type SettleOverpaymentRefundStepInput = {
  refund_id: string
  status: "completed" | "rejected"
  reference_id: string | null
  reason: string | null
}

/** PagoEfectivo's final result of an overpayment's refund, on its CIP record (see overpayment.ts). */
export const settleOverpaymentRefundStep = createStep(
  settleOverpaymentRefundStepId,
  async (t: SettleOverpaymentRefundStepInput, { container }) =>
    new StepResponse(await settleOverpaymentRefund(container, t.refund_id, t.status, t.reference_id, t.reason))
)
