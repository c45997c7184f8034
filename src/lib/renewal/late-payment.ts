import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules, PaymentActions } from "@medusajs/framework/utils"
import { processPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { CIP_CODES, type CipNotification, PagoEfectivoError, cipState } from "../pagoefectivo"
import { FAILPOINTS, failpoint } from "../failpoints"
import { AWAITING_PAYMENT_SESSION_STATUSES } from "../pagoefectivo/provider-id"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { ORDER_FIELDS, type OrderRow, currentCipSession, renewalLockKey } from "./renew-order"
import { assertCaptured } from "../../workflows/steps/confirm-captured"

/**
 * A cip.paid of a CIP that a renewal replaced (its payment session is gone: Medusa deleted it
 * when the fresh CIP's session was made), or of a renewed CIP withdrawn because the replaced one
 * was paid first. Its cip.expired changes nothing. Its cip.paid means PagoEfectivo took money;
 * the first CIP of the order to be paid is the one captured (applyLatePayment):
 * - the order is still unpaid: the renewed CIP is deleted at PagoEfectivo (DELETE /v1/cips/{cip},
 *   so it can no longer be paid), the order's live payment session is pointed at the paid CIP, and
 *   Medusa's processPaymentWorkflow captures it, as for any cip.paid;
 * - another CIP of the order is captured, or is paid at PagoEfectivo (its own cip.paid captures
 *   it), or the order is canceled: this money is never captured on the order (so Medusa's books
 *   never show more than the order's total); it is recorded as an overpayment, shown in the
 *   needs-attention queue and refunded with one press (overpayment.ts).
 * Every cip.paid of a renewed order's CIP is applied under the order's renewal lock (see
 * applyNotification), so the two CIPs' payments, and a renewal, are decided one at a time.
 */
export type LateCipTarget =
  | { kind: "ignore"; notification_id: string; reason: string }
  | { kind: "cip.late_paid"; notification_id: string; cip: string; order_id: string }

export async function lateCipTarget(pe: PagoEfectivoModuleService, id: string, n: CipNotification): Promise<LateCipTarget | null> {
  const [record] = await pe.listPagoEfectivoCips({ cip: n.data.cip })
  if (!record || !record.replaced_at) return null
  if (String(record.currency_code).toUpperCase() !== n.data.currency || !MathBN.eq(MathBN.convert(record.amount), MathBN.convert(n.data.amount))) {
    throw new Error(`CIP ${n.data.cip} reports ${n.data.amount} ${n.data.currency} but was issued for ${record.amount} ${record.currency_code}; not applied`)
  }
  if (n.eventType === "cip.expired") return { kind: "ignore", notification_id: id, reason: `CIP ${n.data.cip} was replaced by a fresh CIP` }
  if (record.status === "overpaid") return { kind: "ignore", notification_id: id, reason: `CIP ${n.data.cip}'s late payment is recorded already` }
  if (record.status === "paid") return { kind: "ignore", notification_id: id, reason: `CIP ${n.data.cip}'s payment is captured already` }
  return { kind: "cip.late_paid", notification_id: id, cip: n.data.cip, order_id: record.order_id }
}

/** The lock a cip.paid of this CIP is applied under: its order's, when the CIP is a renewed order's (it has a record); else none. */
export async function latePaymentLockKey(pe: PagoEfectivoModuleService, cip: string): Promise<string | null> {
  const [record] = await pe.listPagoEfectivoCips({ cip }, { select: ["order_id"] })
  return record ? renewalLockKey(record.order_id) : null
}

export type LatePaymentOutcome = "captured" | "overpaid" | "recorded already"

/** The CIP of the order's captured payment (null while none is captured). */
function capturedCip(order: OrderRow | undefined): string | null {
  const payment = (order?.payment_collections ?? []).flatMap((c) => c.payments ?? []).find((p) => p.captured_at)
  return payment ? String((payment.data as Record<string, unknown> | null)?.cip ?? "") : null
}

/** Applies a paid CIP of a renewed order that is not its live session's (see the file's comment). Runs under the order's lock. */
export async function applyLatePayment(container: MedusaContainer, cip: string): Promise<LatePaymentOutcome> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const [record] = await pe.listPagoEfectivoCips({ cip })
  if (!record || record.status === "overpaid" || record.status === "paid") return "recorded already"
  const orderOf = async () => (await query.graph({ entity: "order", fields: [...ORDER_FIELDS, "payment_collections.payments.data"], filters: { id: record.order_id } })).data[0] as OrderRow | undefined

  const order = await orderOf()
  const live = order && order.status !== "canceled" && !capturedCip(order) ? currentCipSession(order) : null
  const unpaid = !!live && AWAITING_PAYMENT_SESSION_STATUSES.includes(live.session.status)
  // the live session holds this CIP already when an earlier run withdrew the renewed one
  let capture = unpaid && String(live!.session.data!.cip) === cip
  if (unpaid && !capture) {
    const renewed = String(live!.session.data!.cip)
    if (await withdraw(pe, renewed, logger)) {
      await failpoint(FAILPOINTS.latePaymentCapturing, { cip, renewed, order_id: record.order_id })
      await pe.updatePagoEfectivoCips(
        (await pe.listPagoEfectivoCips({ cip: renewed })).map((r) => ({ id: r.id, status: "deleted" as const, replaced_at: r.replaced_at ?? new Date() }))
      )
      await pointSessionAt(container, live!.session.id, record)
      logger.info(`pagoefectivo: order ${record.order_id}: the replaced CIP ${cip} was paid first and is captured; the renewed CIP ${renewed} is withdrawn`)
      capture = true
    }
  }
  if (capture) {
    await processPaymentWorkflow(container).run({ input: { action: PaymentActions.SUCCESSFUL, data: { session_id: live!.session.id, amount: Number(record.amount) } } })
    await assertCaptured(container, live!.session.id, `CIP ${cip}`)
  }
  // the captured payment's CIP is the order's; any other paid CIP is an overpayment
  const outcome = capturedCip(await orderOf()) === cip ? "captured" : "overpaid"
  await pe.updatePagoEfectivoCips({ id: record.id, status: outcome === "captured" ? "paid" : "overpaid", paid_at: new Date() })
  return outcome
}

/**
 * Makes the renewed CIP unpayable (DELETE /v1/cips/{cip}); false when PagoEfectivo says it is
 * paid (its own cip.paid captures it). A deletion PagoEfectivo did not confirm counts as done: the
 * paid CIP is captured all the same, and should the renewed one be paid after all, its cip.paid
 * finds it withdrawn and records it as the overpayment.
 */
async function withdraw(pe: PagoEfectivoModuleService, cip: string, logger: { warn: (m: string) => void }): Promise<boolean> {
  try {
    await pe.client().deleteCip(cip)
    return true
  } catch (e) {
    if (e instanceof PagoEfectivoError && e.code === CIP_CODES.CIP_ALREADY_PAID) return false
    const found = await pe.client().searchCip(cip).catch(() => undefined)
    if (found && cipState(found.status, found.statusName ?? undefined) === "paid") return false
    logger.warn(`pagoefectivo: could not delete the renewed CIP ${cip} (${(e as Error).message}); should it be paid, it is recorded as an overpayment`)
    return true
  }
}

/** Points the order's live session at the paid CIP (its number, voucher and transactionCode), for Medusa's processPaymentWorkflow to capture it. */
async function pointSessionAt(container: MedusaContainer, sessionId: string, record: { cip: string; cip_url: string | null; date_expiry: Date | null; session_id: string }) {
  const payment = container.resolve(Modules.PAYMENT)
  const session = await payment.retrievePaymentSession(sessionId)
  const data = session.data as Record<string, unknown>
  await payment.updatePaymentSession({
    id: session.id,
    amount: session.amount,
    currency_code: session.currency_code,
    data: {
      ...data,
      cip: record.cip,
      cipUrl: record.cip_url,
      dateExpiry: record.date_expiry ? new Date(record.date_expiry).toISOString() : null,
      transactionCode: record.session_id,
      withdrawnCip: data.cip,
    },
  })
}
