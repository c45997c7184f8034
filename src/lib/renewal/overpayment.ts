import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { FAILPOINTS, failpoint } from "../failpoints"
import { PagoEfectivoError } from "../pagoefectivo"
import { toWireAmount } from "../pagoefectivo/amount"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

/**
 * The refund of an overpayment: a replaced CIP that PagoEfectivo reports paid (see
 * late-payment.ts). The money is not in Medusa's books, so Medusa's refund path (a Refund row on
 * a payment) does not apply: the plugin calls PagoEfectivo's refund endpoint itself, for the
 * CIP's whole amount, under a refundId fixed per attempt (overpaymentRefundId). PagoEfectivo
 * answers a repeated refundId with the first refund, so however often "Refund overpayment" is
 * pressed (serialized per CIP), and however a call ended (a timeout is pressed again), an attempt
 * refunds at most once. A new attempt (`retry`, a new refundId) is made only once PagoEfectivo
 * rejected the previous one, which is final: never two live refunds for one overpayment. The
 * result comes in the answer, or later in refund.completed / refund.rejected
 * (settleOverpaymentRefund).
 */

export const OVERPAYMENT_REFUND_PREFIX = "peover_"
/** peover_<cip> for the first attempt, peover_<cip>_<n> for the n-th retry. */
export const overpaymentRefundId = (cip: string, attempt = 0) => `${OVERPAYMENT_REFUND_PREFIX}${cip}${attempt > 0 ? `_${attempt}` : ""}`
export const isOverpaymentRefundId = (refundId: string | null | undefined) => !!refundId && refundId.startsWith(OVERPAYMENT_REFUND_PREFIX)

export type OverpaymentRefundResult =
  | { status: "pending" | "completed"; refund_id: string; already: boolean }
  | { status: "not_found" | "not_overpaid"; message: string }
  /** PagoEfectivo refused it (nothing was refunded) or did not answer (press again: same refundId). */
  | { status: "rejected" | "failed" | "requested"; refund_id: string; message: string }
  /** Refused here: a retry while the current refund is unconfirmed, pending or completed; a plain press on a rejected one. */
  | { status: "conflict"; refund_id: string; message: string }

const REASON = "Pago de un CIP reemplazado por uno nuevo"

/** `retry`: a new refund after PagoEfectivo's final rejection of the previous one (refused otherwise). */
export async function refundOverpayment(container: MedusaContainer, cip: string, { retry = false }: { retry?: boolean } = {}): Promise<OverpaymentRefundResult> {
  return container.resolve(Modules.LOCKING).execute(overpaymentLockKey(cip), () => refundLocked(container, cip, retry), { timeout: 60 })
}

/**
 * One overpayment's refund is asked for, answered and settled one at a time, across processes:
 * PagoEfectivo's final notification can arrive while the call that made the refund is still
 * writing its answer ("pending"), and must not be overwritten by it.
 */
const overpaymentLockKey = (cip: string) => `pagoefectivo:overpayment:${cip}`

async function refundLocked(container: MedusaContainer, cip: string, retry: boolean): Promise<OverpaymentRefundResult> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const [record] = await pe.listPagoEfectivoCips({ cip })
  if (!record) return { status: "not_found", message: `No CIP ${cip} of a renewed order` }
  if (record.status !== "overpaid") return { status: "not_overpaid", message: `CIP ${cip} is ${record.status}, not an overpayment` }
  const attempt = Number(record.refund_attempt ?? 0)
  const current = record.refund_id ?? overpaymentRefundId(cip, attempt)
  const status = record.refund_status
  if (retry && status !== "rejected") {
    const why =
      status === "completed"
        ? "is completed: the overpayment is refunded"
        : status === "pending"
          ? "is still pending at PagoEfectivo"
          : status === "requested"
            ? "is not confirmed yet (PagoEfectivo did not answer): press Refund overpayment to ask again under the same refund"
            : "was not rejected by PagoEfectivo: press Refund overpayment"
    return { status: "conflict", refund_id: current, message: `A new refund is made only after PagoEfectivo rejects the previous one; refund ${current} ${why}` }
  }
  if (!retry && (status === "pending" || status === "completed")) return { status, refund_id: current, already: true }
  if (!retry && status === "rejected") {
    return { status: "conflict", refund_id: current, message: `PagoEfectivo rejected refund ${current} (${record.refund_error ?? "no reason given"}); ask for a new refund with retry` }
  }
  const next = retry ? attempt + 1 : attempt
  const refundId = overpaymentRefundId(cip, next)
  // recorded before the call: a crash mid-call leaves "requested", and the next press asks again
  // under the same refundId
  await pe.updatePagoEfectivoCips({ id: record.id, refund_id: refundId, refund_attempt: next, refund_status: "requested", refund_error: null, refund_reference: null })
  try {
    const { data } = await pe.client().createRefund({
      cip,
      transactionCode: record.session_id,
      merchantOrderId: record.order_id,
      refundId,
      amount: toWireAmount(record.amount),
      currency: record.currency_code.toUpperCase() as "PEN" | "USD",
      reason: REASON,
    })
    await failpoint(FAILPOINTS.overpaymentRefundAnswered, { cip, refund_id: refundId, status: data.status })
    await settle(pe, record.id, data.status, data.referenceId ?? null, data.status === "rejected" ? (data.reason ?? "rejected by PagoEfectivo") : null)
    logger.info(`pagoefectivo: overpayment of CIP ${cip} (order ${record.order_id}) refunded: ${data.status}`)
    if (data.status === "rejected") return { status: "rejected", refund_id: refundId, message: data.reason ?? "PagoEfectivo rejected the refund" }
    return { status: data.status, refund_id: refundId, already: false }
  } catch (e) {
    const err = e as PagoEfectivoError
    const definite = err instanceof PagoEfectivoError && err.kind === "http" && !err.ambiguous && (err.status ?? 500) < 500 && err.status !== 429
    const message = (err?.message ?? String(e)).slice(0, 500)
    await pe.updatePagoEfectivoCips({ id: record.id, refund_status: definite ? "failed" : "requested", refund_error: message })
    logger.warn(`pagoefectivo: overpayment refund of CIP ${cip}: ${message}`)
    return { status: definite ? "failed" : "requested", refund_id: refundId, message }
  }
}

async function settle(pe: PagoEfectivoModuleService, id: string, status: "pending" | "completed" | "rejected", reference: string | null, error: string | null) {
  await pe.updatePagoEfectivoCips({
    id,
    refund_status: status,
    refund_reference: reference,
    refund_error: error,
    ...(status === "completed" ? { refunded_at: new Date() } : {}),
  })
}

/** refund.completed / refund.rejected of an overpayment's refund: the record takes the result once (a final one stands). */
export async function settleOverpaymentRefund(
  container: MedusaContainer,
  refundId: string,
  status: "completed" | "rejected",
  reference: string | null,
  reason: string | null
): Promise<{ applied: boolean; reason: string }> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const [found] = await pe.listPagoEfectivoCips({ refund_id: refundId }, { select: ["cip"] })
  if (!found) return { applied: false, reason: `no overpayment refund ${refundId}` }
  return container.resolve(Modules.LOCKING).execute(overpaymentLockKey(found.cip), () => settleLocked(pe, refundId, status, reference, reason), { timeout: 120 })
}

async function settleLocked(
  pe: PagoEfectivoModuleService,
  refundId: string,
  status: "completed" | "rejected",
  reference: string | null,
  reason: string | null
): Promise<{ applied: boolean; reason: string }> {
  const [record] = await pe.listPagoEfectivoCips({ refund_id: refundId })
  if (!record) return { applied: false, reason: `no overpayment refund ${refundId}` }
  if (record.refund_status === "completed" || record.refund_status === "rejected") {
    return { applied: false, reason: `overpayment refund ${refundId} is ${record.refund_status} already` }
  }
  await settle(pe, record.id, status, reference ?? record.refund_reference ?? null, status === "rejected" ? reason ?? "rejected by PagoEfectivo" : null)
  return { applied: true, reason: `overpayment refund ${refundId} ${status}` }
}
