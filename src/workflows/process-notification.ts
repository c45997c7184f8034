import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules, PaymentActions } from "@medusajs/framework/utils"
import {
  StepResponse,
  WorkflowResponse,
  createStep,
  createWorkflow,
  transform,
  when,
} from "@medusajs/framework/workflows-sdk"
import { cancelOrderWorkflow, processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import type { CipNotification, Notification } from "../lib/pagoefectivo"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { type RefundResultOutcome, applyRefundResultWorkflow } from "./apply-refund-result"
import { cancelExpiredSessionStep } from "./steps/cancel-expired-session"
import { confirmCapturedStep } from "./steps/confirm-captured"
import { lateCipTarget, latePaymentLockKey } from "../lib/renewal/late-payment"
import { applyLatePaymentStep } from "./steps/apply-late-payment"
import { isOverpaymentRefundId } from "../lib/renewal/overpayment"
import { type NotificationMark, markNotificationStep } from "./steps/mark-notification"
import { settleOverpaymentRefundStep } from "./steps/settle-overpayment-refund"
import { markRenewedCipPaidStep } from "./steps/mark-renewed-cip-paid"
import { renewOnExpiryStep } from "./steps/renew-on-expiry"

import { FAILPOINTS, failpoint } from "../lib/failpoints"
import { isPagoEfectivoProvider } from "../lib/pagoefectivo/provider-id"
export { PROVIDER_ID_PREFIX, isPagoEfectivoProvider } from "../lib/pagoefectivo/provider-id"

export type NotificationTarget =
  | { kind: "cip.paid"; notification_id: string; session_id: string; amount: number }
  | { kind: "cip.expired"; notification_id: string; session_id: string; order_id: string | null; cancel_order: boolean }
  /** A cip.paid of a CIP that a renewal replaced (or of a renewed CIP withdrawn): captured or an overpayment (see src/lib/renewal/late-payment.ts). */
  | { kind: "cip.late_paid"; notification_id: string; cip: string; order_id: string }
  /** The result of an overpayment's refund (see overpayment.ts). */
  | { kind: "overpayment.refund"; notification_id: string; refund_id: string; status: "completed" | "rejected"; reference_id: string | null; reason: string | null }
  /** Known to us but nothing to do (already applied, or not this version's to handle). */
  | { kind: "ignore"; notification_id: string; reason: string }
  | { kind: "refund"; notification_id: string; refund_id: string; status: "completed" | "rejected"; reference_id: string | null; reason: string | null }
  /** About a CIP or refund that this store does not know. */
  | { kind: "unmatched"; notification_id: string; reason: string }

/**
 * Reads the stored notification and finds what it is about: the payment session (by the CIP's
 * transactionCode, which is the session id), its order, and whether the facts agree (provider,
 * CIP number, currency, amount). Reads only.
 */
export const resolveNotificationTargetStep = createStep(
  "pagoefectivo-resolve-notification-target",
  async ({ id }: { id: string }, { container }) => {
    const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
    const stored = await pe.retrievePagoEfectivoNotification(id)
    const n = stored.payload as unknown as Notification
    if (n.eventType === "refund.completed" || n.eventType === "refund.rejected") {
      return new StepResponse<NotificationTarget>({
        kind: isOverpaymentRefundId(n.data.refundId) ? "overpayment.refund" : "refund",
        notification_id: id,
        refund_id: n.data.refundId,
        status: n.eventType === "refund.completed" ? "completed" : "rejected",
        reference_id: n.data.referenceId ?? null,
        reason: n.data.reason ?? null,
      })
    }
    const target = await resolveCipTarget(container, pe, id, n)
    await failpoint(FAILPOINTS.notificationResolved, { id, kind: target.kind, cip: n.data.cip })
    return new StepResponse<NotificationTarget>(target)
  }
)

async function resolveCipTarget(
  container: MedusaContainer,
  pe: PagoEfectivoModuleService,
  id: string,
  n: CipNotification
): Promise<NotificationTarget> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const sessionId = n.data.transactionCode ?? (await pe.client().searchCip(n.data.cip))?.transactionCode
  if (!sessionId) return { kind: "unmatched", notification_id: id, reason: `CIP ${n.data.cip} has no transactionCode` }

  const { data: sessions } = await query.graph({
    entity: "payment_session",
    fields: ["id", "provider_id", "status", "amount", "currency_code", "data", "payment_collection_id"],
    filters: { id: sessionId },
  })
  const session = sessions[0]
  // a replaced CIP (its session deleted), or a renewed CIP withdrawn (its session now holds the
  // replaced CIP that was paid first)
  if (!session || String((session.data as Record<string, unknown>)?.cip) !== n.data.cip) {
    const late = await lateCipTarget(pe, id, n)
    if (late) return late
  }
  if (!session || !isPagoEfectivoProvider(session.provider_id)) {
    return { kind: "unmatched", notification_id: id, reason: `no PagoEfectivo payment session ${sessionId}` }
  }
  if (String((session.data as Record<string, unknown>)?.cip) !== n.data.cip) {
    return {
      kind: "unmatched",
      notification_id: id,
      reason: `payment session ${sessionId} holds CIP ${(session.data as Record<string, unknown>)?.cip}, not ${n.data.cip}`,
    }
  }
  const sameCurrency = String(session.currency_code).toUpperCase() === n.data.currency
  const sameAmount = MathBN.eq(MathBN.convert(session.amount).decimalPlaces(2, 4), MathBN.convert(n.data.amount))
  if (!sameCurrency || !sameAmount) {
    throw new Error(
      `CIP ${n.data.cip} reports ${n.data.amount} ${n.data.currency} but payment session ${sessionId} is for ${session.amount} ${String(session.currency_code).toUpperCase()}; not applied`
    )
  }

  if (n.eventType === "cip.paid") {
    return { kind: "cip.paid", notification_id: id, session_id: sessionId, amount: n.data.amount }
  }
  if (session.status === "authorized" || session.status === "captured") {
    return { kind: "ignore", notification_id: id, reason: `payment session ${sessionId} is already ${session.status}` }
  }
  const { data: links } = await query.graph({
    entity: "order_payment_collection",
    fields: ["order_id"],
    filters: { payment_collection_id: session.payment_collection_id },
  })
  const orderId = (links[0]?.order_id as string | undefined) ?? null
  let cancelOrder = false
  if (orderId) {
    const { data: orders } = await query.graph({ entity: "order", fields: ["id", "status"], filters: { id: orderId } })
    cancelOrder = !!orders[0] && orders[0].status !== "canceled"
  }
  return { kind: "cip.expired", notification_id: id, session_id: sessionId, order_id: orderId, cancel_order: cancelOrder }
}

export { cancelExpiredSessionStep, markNotificationStep }


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

/**
 * Runs processPagoEfectivoNotificationWorkflow for one stored notification (the subscriber and
 * the reconciliation both call this). A failure is logged and recorded on the notification
 * (status "failed", with the error), never thrown: the next delivery or reconciliation retries.
 */
export async function applyNotification(container: MedusaContainer, id: string): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  try {
    const run = async () => (await processPagoEfectivoNotificationWorkflow(container).run({ input: { id } })).result
    // a cip.paid of a renewed order's CIP: one at a time per order (the replaced and the renewed
    // CIP can both be paid; see src/lib/renewal/late-payment.ts), also against a renewal
    const stored = await pe.retrievePagoEfectivoNotification(id, { select: ["event_type", "cip"] })
    const lockKey = stored.event_type === "cip.paid" && stored.cip ? await latePaymentLockKey(pe, stored.cip) : null
    const result = lockKey ? await container.resolve(Modules.LOCKING).execute(lockKey, run, { timeout: 120 }) : await run()
    logger.info(`pagoefectivo: notification ${id} → ${result.kind}${"reason" in result ? ` (${result.reason})` : ""}`)
  } catch (e) {
    const message = (e as Error)?.message ?? String(e)
    logger.error(`pagoefectivo: notification ${id} failed: ${message}`)
    await pe.updatePagoEfectivoNotifications({ id, status: "failed", error: message.slice(0, 1000) })
  }
}
