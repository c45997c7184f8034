import { PaymentActions } from "@medusajs/framework/utils"
import { WorkflowResponse, createWorkflow, transform, when } from "@medusajs/framework/workflows-sdk"
import { cancelOrderWorkflow, processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { type RefundResultOutcome, applyRefundResultWorkflow } from "./apply-refund-result"
import { applyLatePaymentStep } from "./steps/apply-late-payment"
import { cancelExpiredSessionStep } from "./steps/cancel-expired-session"
import { confirmCapturedStep } from "./steps/confirm-captured"
import { type NotificationMark, markNotificationStep } from "./steps/mark-notification"
import { markRenewedCipPaidStep } from "./steps/mark-renewed-cip-paid"
import { renewOnExpiryStep } from "./steps/renew-on-expiry"
import { type NotificationTarget, resolveNotificationTargetStep } from "./steps/resolve-notification-target"
import { settleOverpaymentRefundStep } from "./steps/settle-overpayment-refund"

export type { NotificationTarget }

/**
 * Turns one stored notification into Medusa state:
 * - cip.paid → Medusa's processPaymentWorkflow with the "captured" action: the session is
 *   authorized and captured (the provider confirms the CIP is paid), the cart becomes an order if
 *   it was not one yet, and the order shows paid;
 * - cip.expired → the payment session is canceled and so is the unpaid order (its reservations
 *   are released);
 * - refund.completed / refund.rejected → applyRefundResultWorkflow (record, undo, events);
 * - anything unknown to this store is kept and marked unmatched.
 * Running it twice for the same notification is harmless: each step is idempotent.
 */
export const processPagoEfectivoNotificationWorkflow = createWorkflow(
  "pagoefectivo-process-notification",
  (input: { id: string }) => {
    const target = resolveNotificationTargetStep(input)

    when("pagoefectivo-cip-paid", { target }, ({ target }) => target.kind === "cip.paid").then(() => {
      const processInput = transform({ target }, ({ target }) => ({
        action: PaymentActions.SUCCESSFUL,
        data: {
          session_id: (target as Extract<NotificationTarget, { kind: "cip.paid" }>).session_id,
          amount: (target as Extract<NotificationTarget, { kind: "cip.paid" }>).amount,
        },
      }))
      processPaymentWorkflow.runAsStep({ input: processInput })
      const sessionInput = transform({ target }, ({ target }) => ({ session_id: (target as Extract<NotificationTarget, { kind: "cip.paid" }>).session_id }))
      confirmCapturedStep(sessionInput)
      markRenewedCipPaidStep(sessionInput)
    })

    when("pagoefectivo-cip-expired", { target }, ({ target }) => target.kind === "cip.expired").then(() => {
      const sessionInput = transform({ target }, ({ target }) => ({
        session_id: (target as Extract<NotificationTarget, { kind: "cip.expired" }>).session_id,
      }))
      cancelExpiredSessionStep(sessionInput)
    })

    // an open order's expired CIP is renewed instead, when renewal is on and renewals are left
    const renewal = when(
      "pagoefectivo-renew-expired-cip",
      { target },
      ({ target }) => target.kind === "cip.expired" && target.cancel_order && !!target.order_id
    ).then(() => {
      const orderInput = transform({ target }, ({ target }) => ({ order_id: (target as Extract<NotificationTarget, { kind: "cip.expired" }>).order_id! }))
      return renewOnExpiryStep(orderInput)
    })

    when(
      "pagoefectivo-cancel-expired-order",
      { target, renewal },
      ({ target, renewal }) => target.kind === "cip.expired" && target.cancel_order && !!target.order_id && renewal?.cancel_order !== false
    ).then(() => {
      const orderInput = transform({ target }, ({ target }) => ({
        order_id: (target as Extract<NotificationTarget, { kind: "cip.expired" }>).order_id!,
      }))
      cancelOrderWorkflow.runAsStep({ input: orderInput })
    })

    when("pagoefectivo-cip-late-paid", { target }, ({ target }) => target.kind === "cip.late_paid").then(() => {
      const cipInput = transform({ target }, ({ target }) => ({ cip: (target as Extract<NotificationTarget, { kind: "cip.late_paid" }>).cip }))
      applyLatePaymentStep(cipInput)
    })

    when("pagoefectivo-overpayment-refund", { target }, ({ target }) => target.kind === "overpayment.refund").then(() => {
      settleOverpaymentRefundStep(target as unknown as Extract<NotificationTarget, { kind: "overpayment.refund" }>)
    })

    const refundResult = when("pagoefectivo-refund-result", { target }, ({ target }) => target.kind === "refund").then(() => {
      const resultInput = transform({ target }, ({ target }) => {
        const t = target as Extract<NotificationTarget, { kind: "refund" }>
        return { refund_id: t.refund_id, status: t.status, reference_id: t.reference_id, reason: t.reason, source: "notification" as const }
      })
      return applyRefundResultWorkflow.runAsStep({ input: resultInput })
    })

    const mark = transform({ target, refundResult }, ({ target, refundResult }) => {
      if (target.kind === "refund") {
        const r = refundResult as unknown as RefundResultOutcome | undefined
        const status = r?.kind === "unmatched" ? "unmatched" : r?.kind === "anomaly" ? "anomaly" : "processed"
        return { id: target.notification_id, status: status as NotificationMark, error: r?.message ?? null }
      }
      return {
        id: target.notification_id,
        status: (target.kind === "unmatched" ? "unmatched" : target.kind === "ignore" ? "ignored" : "processed") as NotificationMark,
        error: "reason" in target ? target.reason : null,
      }
    })
    markNotificationStep(mark)
    return new WorkflowResponse(target)
  }
)
