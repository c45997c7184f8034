import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"

/**
 * After Medusa's processPaymentWorkflow for a paid CIP: the payment is captured, or this throws
 * (the notification is then marked failed and applied again by its redelivery or the
 * reconciliation). Medusa's workflow succeeds without capturing when the provider could not read
 * the CIP at that moment (authorizePayment answers pending_authorization then).
 */
export async function assertCaptured(container: MedusaContainer, sessionId: string, what = "cip.paid"): Promise<void> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "payment_session", fields: ["id", "status", "payment.captured_at"], filters: { id: sessionId } })
  const session = data[0] as { status?: string; payment?: { captured_at?: unknown } | null } | undefined
  if (!session?.payment?.captured_at) {
    throw new Error(`payment session ${sessionId} is ${session?.status ?? "unknown"}, not captured, after ${what}: PagoEfectivo could not confirm the payment yet; it is applied again`)
  }
}

export const confirmCapturedStep = createStep("pagoefectivo-confirm-captured", async ({ session_id }: { session_id: string }, { container }) => {
  await assertCaptured(container, session_id)
  return new StepResponse(null)
})
