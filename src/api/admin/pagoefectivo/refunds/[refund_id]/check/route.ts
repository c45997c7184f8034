import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../../../modules/pagoefectivo/service"
import { reconcileRefund, refundCallInProgress } from "../../../../../../workflows/reconcile"
import { ID_PATTERN, type RefundView, parseOr400, refundView } from "../../../orders/view"

const Params = z.object({ refund_id: z.string().regex(ID_PATTERN, "must be a refund id") })
/** No input: an empty JSON object (or no body) only. */
const Body = z.object({}).strict()

export type AdminPagoEfectivoCheckResponse = {
  /** What the check did: completed, failed, undone (Medusa's refund was undone), or still open. */
  outcome: "completed" | "failed" | "undone" | "open"
  refund: RefundView
}

/** Asking PagoEfectivo can still change these (or Medusa may still count a failed one). */
function checkable(r: { status: string; reversed_at: unknown }): boolean {
  if (r.status === "requested" || r.status === "pending" || r.status === "verifying") return true
  return (r.status === "rejected" || r.status === "failed") && !r.reversed_at
}

/**
 * POST /admin/pagoefectivo/refunds/:refund_id/check — the panel's "Check status now": asks
 * PagoEfectivo about this one refund right away and applies the answer exactly as the
 * reconciliation job would (reconcileRefund → applyRefundResultWorkflow), then answers the record
 * as it is afterwards. 404 for an unknown refund; 409 when the record is already final (or, in
 * manual mode, waits for staff to record the bank transfer: nothing to ask PagoEfectivo).
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoCheckResponse>) => {
  const { refund_id } = parseOr400(Params, req.params, "path")
  parseOr400(Body, req.body ?? {}, "body")

  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const record = await pe.ledger().get(refund_id)
  if (!record) throw new MedusaError(MedusaError.Types.NOT_FOUND, `PagoEfectivo refund with id "${refund_id}" was not found`)

  if (refundCallInProgress(pe, record)) {
    res.status(409).json({ type: "conflict", message: `Refund ${refund_id} cannot be checked yet: its call to PagoEfectivo may still be under way; try again in a minute` } as any)
    return
  }
  if (!checkable(record)) {
    const why =
      (record.status as string) === "awaiting_transfer"
        ? "it is awaiting a bank transfer by staff (manual refund): mark it as transferred or as failed instead"
        : `it is already ${record.status}${record.reversed_at ? " and Medusa no longer counts it" : ""}; PagoEfectivo's answer is final`
    // Answered here: Medusa's error handler replaces every CONFLICT's message with a generic
    // "retry with the Idempotency-Key" text, which would hide why.
    res.status(409).json({ type: "conflict", message: `Refund ${refund_id} cannot be checked: ${why}` } as any)
    return
  }

  let outcome: AdminPagoEfectivoCheckResponse["outcome"]
  try {
    outcome = await reconcileRefund(req.scope, record)
  } catch (e) {
    // PagoEfectivo could not be asked (timeout, 5xx…): say so plainly; the job retries anyway.
    // (The client's errors never carry a credential; see README "Logs and secrets".)
    const message = e instanceof Error ? e.message : String(e)
    res.status(502).json({ type: "bad_gateway", message: `Could not check refund ${refund_id} with PagoEfectivo: ${message}` } as any)
    return
  }
  const after = (await pe.ledger().get(refund_id)) ?? record
  res.json({ outcome, refund: refundView(after) })
}
