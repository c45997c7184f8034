import { Modules } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"

/** Marks the payment session canceled when its CIP expired unpaid. Compensation restores it. */
export const cancelExpiredSessionStep = createStep(
  "pagoefectivo-cancel-expired-session",
  async ({ session_id }: { session_id: string }, { container }) => {
    const payment = container.resolve(Modules.PAYMENT)
    const session = await payment.retrievePaymentSession(session_id)
    if (session.status === "canceled") return new StepResponse(null, null)
    await payment.updatePaymentSession({
      id: session.id,
      amount: session.amount,
      currency_code: session.currency_code,
      data: { ...session.data, cipStatus: "expired" },
      status: "canceled",
    })
    return new StepResponse(null, { id: session.id, status: session.status, data: session.data, amount: session.amount, currency_code: session.currency_code })
  },
  async (previous, { container }) => {
    if (!previous) return
    await container.resolve(Modules.PAYMENT).updatePaymentSession(previous)
  }
)
