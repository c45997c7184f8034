import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { AWAITING_GATEWAY_STATUSES, DEAD_STATUSES, leaseHeld } from "../../../../../../modules/pagoefectivo/ledger"
import { reconcileRefund } from "../../../../../../lib/reconciliation/reconcile"
import { type RefundView, parseOr400, refundRecordOf, refundView, sendConflict } from "../../../orders/view"

/** No input: an empty JSON object (or no body) only. */
const Body = z.object({}).strict()

export type AdminPagoEfectivoCheckResponse = {
  /** What the check did: completed, failed, undone (Medusa's refund was undone), or still open. */
  outcome: "completed" | "failed" | "undone" | "open"
  refund: RefundView
}

/**
 * POST /admin/pagoefectivo/refunds/:refund_id/check — the panel's "Check status now": asks
 * PagoEfectivo about this one refund right away and applies the answer exactly as the
 * reconciliation job would (reconcileRefund → applyRefundResultWorkflow), then answers the record
 * as it is afterwards; a rejected or failed refund that Medusa still counts has its books converged
 * (outcome undone). 404 for an unknown refund; 409 when the record is already final (or, in
 * manual mode, waits for staff to record the bank transfer: nothing to ask PagoEfectivo), or while
 * its call lease runs (its refund call may still be under way at PagoEfectivo).
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoCheckResponse>) => {
  parseOr400(Body, req.body ?? {}, "body")
  const { pe, record } = await refundRecordOf(req)
  const { refund_id } = record

  if (AWAITING_GATEWAY_STATUSES.includes(record.status) && leaseHeld(record)) {
    const at = new Date(record.call_lease_until!).toISOString()
    return sendConflict(res, `Refund ${refund_id} cannot be checked yet: its call to PagoEfectivo may still be under way (until ${at}); try again then`)
  }
  // rejected or failed, but Medusa still counts it (a run that stopped mid-undo): the check
  // converges its books, as the reconciliation would
  const countedDead = DEAD_STATUSES.includes(record.status) && (await pe.operations().countedByMedusa(refund_id))
  if (!AWAITING_GATEWAY_STATUSES.includes(record.status) && !countedDead) {
    const why =
      (record.status as string) === "awaiting_transfer"
        ? "it is awaiting a bank transfer by staff (manual refund): mark it as transferred or as failed instead"
        : `it is already ${record.status}${record.reversed_at ? " and Medusa no longer counts it" : ""}; PagoEfectivo's answer is final`
    return sendConflict(res, `Refund ${refund_id} cannot be checked: ${why}`)
  }

  let outcome: AdminPagoEfectivoCheckResponse["outcome"]
  try {
    outcome = await reconcileRefund(req.scope, record)
  } catch (e) {
    // PagoEfectivo could not be asked (timeout, 5xx…): say so plainly; the job retries anyway.
    // (The client's errors never carry a credential; see docs/how-it-works.md, "Logs and secrets".)
    const message = e instanceof Error ? e.message : String(e)
    res.status(502).json({ type: "bad_gateway", message: `Could not check refund ${refund_id} with PagoEfectivo: ${message}` } as any)
    return
  }
  const after = (await pe.ledger().get(refund_id)) ?? record
  res.json({ outcome, refund: refundView(after) })
}
