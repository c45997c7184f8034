import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { type RefundResultInput, applyRefundResultWorkflow } from "../../../../workflows/apply-refund-result"
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
  const { result } = await applyRefundResultWorkflow(req.scope).run({
    input: { refund_id, source: "manual", settled_by: req.auth_context?.actor_id ?? null, ...input },
  })
  if (result.kind === "anomaly") return conflict(`Refund ${refund_id} was settled otherwise meanwhile: ${result.message}`)
  const after = (await pe.ledger().get(refund_id))!
  res.json({ outcome: result.kind === "duplicate" ? "duplicate" : "applied", undone: result.undone, refund: refundView(after) })
}
