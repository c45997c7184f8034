import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import type { CipEmailKind, CipEmailPlan, CipEmailResult } from "../lib/cip-emails/plan"
import { planCipEmailStep } from "./steps/plan-cip-email"
import { sendCipEmailStep } from "./steps/send-cip-email"

/** Plans and sends one CIP email (see planCipEmail); answers whether it went out and why not. */
export const sendPagoEfectivoCipEmailWorkflow = createWorkflow(
  "pagoefectivo-send-cip-email",
  (input: { order_id: string; kind: CipEmailKind; now?: number }) => {
    const plan = planCipEmailStep(input)
    const sent = when("pagoefectivo-cip-email-due", { plan }, ({ plan }) => plan.send).then(() =>
      sendCipEmailStep(plan as unknown as Extract<CipEmailPlan, { send: true }>)
    )
    const result = transform({ plan, sent }, ({ plan, sent }): CipEmailResult =>
      sent ?? { sent: false, duplicate: false, reason: plan.send ? null : plan.reason, notification_id: null }
    )
    return new WorkflowResponse(result)
  }
)
