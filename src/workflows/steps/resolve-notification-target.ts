import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { FAILPOINTS, failpoint } from "../../lib/failpoints"
import type { CipNotification, Notification } from "../../lib/pagoefectivo"
import { isPagoEfectivoProvider } from "../../lib/pagoefectivo/provider-id"
import { lateCipTarget } from "../../lib/renewal/late-payment"
import { isOverpaymentRefundId } from "../../lib/renewal/overpayment"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export const resolveNotificationTargetStepId = "pagoefectivo-resolve-notification-target"
export type ResolveNotificationTargetStepInput = { id: string }

export type NotificationTarget =
  | { kind: "cip.paid"; notification_id: string; session_id: string; amount: number }
  | { kind: "cip.expired"; notification_id: string; session_id: string; order_id: string | null; cancel_order: boolean }
  /** A cip.paid of a CIP that a renewal replaced (or of a renewed CIP withdrawn): captured or an overpayment (see src/lib/renewal/late-payment.ts). */
  | { kind: "cip.late_paid"; notification_id: string; cip: string; order_id: string }
  /** The result of an overpayment's refund (see src/lib/renewal/overpayment.ts). */
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
  resolveNotificationTargetStepId,
  async ({ id }: ResolveNotificationTargetStepInput, { container }) => {
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
