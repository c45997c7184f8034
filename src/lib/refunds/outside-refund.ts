import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { toWireAmount } from "../pagoefectivo/amount"
import type { Notification } from "../pagoefectivo"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"
import type { OutsideRefund } from "../../modules/pagoefectivo/outside-refunds"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { booksKeyOf, convergeBooks } from "../books/converge"
import { recordOutsideRefundWorkflow } from "../../workflows/record-outside-refund"

/**
 * Refunds made in PagoEfectivo's own panel (not through Medusa): PagoEfectivo notifies them with
 * `refund.completed` and a refundId this store never made, which the notification workflow stores
 * as `unmatched`. Recording one in Medusa ("Record in Medusa" on the admin's PagoEfectivo page, or
 * automatically with the option recordOutsideRefunds) calls PagoEfectivo for nothing: it writes the
 * refund's record (origin "outside", completed, PagoEfectivo's refundId as its refund id), and the
 * same convergence as every other refund (src/lib/books/) writes Medusa's Refund row (its id
 * is that refundId), the order transaction and the credit line. Once: the record's refund id is
 * unique, so a second press, or two at once, finds it and changes nothing.
 */

export type OutsideRefundPlan =
  | { ok: true; refund: OutsideRefund; notification_id: string }
  /** Nothing to record: `duplicate` when it was recorded already (then `record` is it). */
  | { ok: false; reason: "not_found"; message: string }
  | { ok: false; reason: "not_recordable"; message: string }
  | { ok: false; reason: "duplicate"; message: string; record: RefundRecord }

/** Reads the notification and the CIP's payment, and says what recording it would write (or why not). */
export async function planOutsideRefund(container: MedusaContainer, notificationId: string, recordedBy: string | null): Promise<OutsideRefundPlan> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const [stored] = await pe.listPagoEfectivoNotifications({ id: notificationId }, { take: 1 })
  if (!stored) return { ok: false, reason: "not_found", message: `PagoEfectivo notification with id "${notificationId}" was not found` }
  const n = stored.payload as unknown as Notification
  if (n.eventType !== "refund.completed") {
    return { ok: false, reason: "not_recordable", message: `notification ${notificationId} is a ${n.eventType}, not a refund PagoEfectivo made` }
  }
  const refundId = n.data.refundId
  const existing = await pe.ledger().get(refundId)
  if (existing?.origin === "outside") {
    return { ok: false, reason: "duplicate", message: `refund ${refundId} is recorded in Medusa already`, record: existing }
  }
  if (existing) {
    return { ok: false, reason: "not_recordable", message: `refund ${refundId} was made through Medusa: reprocess the notification instead` }
  }
  if (stored.status !== "unmatched") {
    return { ok: false, reason: "not_recordable", message: `notification ${notificationId} is ${stored.status}, not a refund this store never made` }
  }
  const payment = await pe.operations().paymentOfCip(n.data.cip)
  if (!payment) return { ok: false, reason: "not_recordable", message: `CIP ${n.data.cip} is not a payment of this store` }
  if (!payment.captured) return { ok: false, reason: "not_recordable", message: `the payment of CIP ${n.data.cip} (${payment.payment_id}) is not captured: nothing to refund` }
  if (payment.currency_code.toUpperCase() !== n.data.currency) {
    return { ok: false, reason: "not_recordable", message: `the refund is in ${n.data.currency} but the payment of CIP ${n.data.cip} is in ${payment.currency_code.toUpperCase()}` }
  }
  let amount: string
  try {
    amount = toWireAmount(n.data.amount).text
  } catch (e) {
    return { ok: false, reason: "not_recordable", message: `the refund's amount: ${(e as Error).message}` }
  }
  const processed = n.data.dateProcessed ? Date.parse(n.data.dateProcessed) : Number.NaN
  return {
    ok: true,
    notification_id: notificationId,
    refund: {
      refund_id: refundId,
      reference_id: n.data.referenceId ?? null,
      cip: n.data.cip,
      amount,
      currency_code: n.data.currency,
      reason: n.data.reason ?? null,
      processed_at: Number.isNaN(processed) ? new Date(stored.created_at) : new Date(processed),
      payment_id: payment.payment_id,
      payment_session_id: payment.payment_session_id,
      payment_collection_id: payment.payment_collection_id,
      order_id: payment.order_id,
      paid: MathBN.convert(payment.amount).toFixed(2),
      recorded_by: recordedBy,
    },
  }
}

export type OutsideRefundResult =
  | { outcome: "recorded"; record: RefundRecord; counted: boolean }
  | { outcome: "duplicate"; record: RefundRecord; counted: boolean }
  | { outcome: "not_found"; message: string }
  | { outcome: "not_recordable"; message: string }

/**
 * "Record in Medusa" for one notification: plans it, writes it through the workflow, and says
 * whether Medusa now counts the refund (its Refund row stands).
 */
export async function recordOutsideRefund(container: MedusaContainer, notificationId: string, recordedBy: string | null): Promise<OutsideRefundResult> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const plan = await planOutsideRefund(container, notificationId, recordedBy)
  let record: RefundRecord
  let outcome: "recorded" | "duplicate"
  if (!plan.ok) {
    if (plan.reason === "not_found") return { outcome: "not_found", message: plan.message }
    if (plan.reason === "not_recordable") return { outcome: "not_recordable", message: plan.message }
    // recorded already: converge once more (harmless), in case an earlier run stopped midway
    await convergeBooks(container, booksKeyOf(plan.record))
    await pe.updatePagoEfectivoNotifications({ selector: { id: notificationId, status: "unmatched" }, data: { status: "processed", error: null, processed_at: new Date() } })
    record = plan.record
    outcome = "duplicate"
  } else {
    const { result } = await recordOutsideRefundWorkflow(container).run({ input: { notification_id: notificationId, refund: plan.refund } })
    if (!result.record) return { outcome: "not_recordable", message: result.message! }
    record = result.record
    outcome = result.kind === "created" ? "recorded" : "duplicate"
  }
  return { outcome, record: (await pe.ledger().get(record.refund_id)) ?? record, counted: await pe.operations().countedByMedusa(record.refund_id) }
}

/**
 * The option recordOutsideRefunds: after a notification was applied, records it when it is a
 * refund made in PagoEfectivo's panel for a CIP of this store. Anything else is left as it is
 * (logged), and a refund that cannot be recorded waits in the page's queue for a person.
 */
export async function recordIfOutside(container: MedusaContainer, notificationId: string): Promise<void> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.recordOutsideRefunds) return
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  try {
    const [n] = await pe.listPagoEfectivoNotifications({ id: notificationId, status: "unmatched", event_type: "refund.completed" }, { select: ["id"], take: 1 })
    if (!n) return
    const result = await recordOutsideRefund(container, notificationId, "recordOutsideRefunds")
    if (result.outcome === "recorded") logger.info(`pagoefectivo: refund ${result.record.refund_id} made in PagoEfectivo's panel recorded in Medusa (recordOutsideRefunds)`)
    else if (result.outcome === "not_found" || result.outcome === "not_recordable") logger.warn(`pagoefectivo: notification ${notificationId} not recorded in Medusa: ${result.message}`)
  } catch (e) {
    logger.error(`pagoefectivo: notification ${notificationId}: recording the refund made in PagoEfectivo's panel failed: ${(e as Error).message}`)
  }
}
