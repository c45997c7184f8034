import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { emailRenewedCip, markCip, renewOrderCip } from "../../lib/renewal/renew-order"

export const renewOnExpiryStepId = "pagoefectivo-renew-on-expiry"
export type RenewOnExpiryStepInput = { order_id: string }

/**
 * On cip.expired of an open order's CIP: renews it when renewal is on and renewals are left
 * (and emails the fresh CIP), and answers whether the order is to be canceled as before: only
 * when no renewal is possible. A CIP PagoEfectivo still reports payable or paid cancels nothing.
 */
export const renewOnExpiryStep = createStep(renewOnExpiryStepId, async ({ order_id }: RenewOnExpiryStepInput, { container }) => {
  const outcome = await renewOrderCip(container, order_id, "expiry")
  if (outcome.kind === "renewed" || outcome.kind === "current") await emailRenewedCip(container, order_id)
  if (outcome.kind === "exhausted") await markCip(container, { order_id }, "expired")
  return new StepResponse({ outcome: outcome.kind, cancel_order: outcome.kind === "exhausted" || outcome.kind === "not_renewable" })
})

