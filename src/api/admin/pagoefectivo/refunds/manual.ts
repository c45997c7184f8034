import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { medusaHasRefund } from "../../../../workflows/reconcile"
import { type RefundResultInput, applyRefundResultWorkflow } from "../../../../workflows/refund-result"
import { type RefundView, parseOr400, refundRecordOf, refundView, sendConflict } from "../orders/view"

export type AdminPagoEfectivoManualSettleResponse = {
  /** applied: the refund was settled now; duplicate: it already was, the same way. */
  outcome: "applied" | "duplicate"
  /** A failed transfer: Medusa's refund was undone (the amount is owed to the shopper again). */
  undone: boolean
  refund: RefundView
}

/**
 * The route handler of one staff outcome: its body is `{ [field]: text }` (required, trimmed, at
 * most `max` characters), e.g. `{ bank_reference }` for completed, `{ reason }` for failed.
 */
export function manualSettleRoute(status: "completed" | "failed", field: "bank_reference" | "reason", what: string, max: number) {
  const text = z.string({ error: `is required: ${what}` }).trim().min(1, `is required: ${what}`).max(max, `must be at most ${max} characters`)
  const Body = z.object({ [field]: text }).strict()
  return async (req: AuthenticatedMedusaRequest, res: MedusaResponse<AdminPagoEfectivoManualSettleResponse>) => {
    const body = parseOr400(Body, req.body ?? {}, "body") as Record<string, string>
    await settleManualRefund(req, res, { status, [field]: body[field] })
  }
}

/**
 * Staff settling a refund that awaits a bank transfer (manual refund mode): completed with the
 * bank's reference, or failed, which undoes Medusa's refund exactly as PagoEfectivo's rejection
 * does (applyRefundResultWorkflow, source "manual"). 404 for an unknown refund; 409 for one that
 * is not awaiting a transfer or was already settled the other way. Repeating the same call is a
 * no-op answering `duplicate`.
 */
export async function settleManualRefund(
  req: AuthenticatedMedusaRequest,
  res: MedusaResponse<AdminPagoEfectivoManualSettleResponse>,
  input: Pick<RefundResultInput, "status" | "reason" | "bank_reference">
) {
  const { pe, record } = await refundRecordOf(req)
  const { refund_id } = record
  const settledByStaff = record.bank_reference !== null || record.failure_code === "transfer_failed"
  const mark = input.status === "completed" ? "transferred" : "failed"
  const conflict = (message: string) => sendConflict(res, message)
  if (record.status !== "awaiting_transfer" && !settledByStaff) {
    return conflict(`Refund ${refund_id} is ${record.status}, not awaiting a bank transfer: only a manual refund can be marked ${mark}`)
  }
  if (settledByStaff && record.status !== input.status) {
    return conflict(`Refund ${refund_id} was already marked ${record.status === "completed" ? "transferred" : "failed"}; it cannot be marked ${mark}`)
  }
  if (record.status === "awaiting_transfer" && !(await medusaHasRefund(req.scope, refund_id))) {
    // the Refund button's transaction rolled back after the record was written: nothing to pay
    await pe.ledger().settle(refund_id, { status: "failed", failure_code: "not_kept", failure_reason: "Medusa did not keep this refund; nothing is to be transferred" })
    await pe.ledger().markReversed(refund_id, "Medusa did not keep this refund")
    return conflict(`Refund ${refund_id} was not kept by Medusa (its refund did not complete); nothing is to be transferred`)
  }
  const { result } = await applyRefundResultWorkflow(req.scope).run({
    input: { refund_id, source: "manual", settled_by: req.auth_context?.actor_id ?? null, ...input },
  })
  if (result.kind === "anomaly") return conflict(`Refund ${refund_id} was settled otherwise meanwhile: ${result.message}`)
  const after = (await pe.ledger().get(refund_id))!
  res.json({ outcome: result.kind === "duplicate" ? "duplicate" : "applied", undone: result.undone, refund: refundView(after) })
}
