import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { type CipEmailKind, planCipEmail } from "../../lib/cip-emails/plan"

export const planCipEmailStepId = "pagoefectivo-plan-cip-email"

export type PlanCipEmailStepInput = { order_id: string; kind: CipEmailKind; now?: number }

/** Decides whether the order gets this CIP email, and with what (see planCipEmail). */
export const planCipEmailStep = createStep(
  planCipEmailStepId,
  async (input: PlanCipEmailStepInput, { container }) => new StepResponse(await planCipEmail(container, input.order_id, input.kind, input.now))
)
