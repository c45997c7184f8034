import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MathBN } from "@medusajs/framework/utils"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../modules/pagoefectivo"
import { AWAITING_GATEWAY_STATUSES, type RefundRecord } from "../../../../modules/pagoefectivo/ledger"
import type { AttentionRow } from "../../../../modules/pagoefectivo/operations-sql"
import type PagoEfectivoModuleService from "../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../orders/view"
import { type Page, iso, pageOf, pagingShape } from "../paging"

const Query = z.object(pagingShape).strict()

/**
 * What a row offers (each is an existing route):
 * check → POST /admin/pagoefectivo/refunds/:refund_id/check; mark_transferred / mark_failed →
 * …/complete and …/fail; retry_return → POST /admin/pagoefectivo/returns/:return_id/refund;
 * record → POST /admin/pagoefectivo/notifications/:notification_id/record;
 * refund_overpayment → POST /admin/pagoefectivo/overpayments/:cip/refund;
 * retry_overpayment_refund → the same with { retry: true }.
 */
export type AttentionAction = "check" | "mark_transferred" | "mark_failed" | "retry_return" | "record" | "refund_overpayment" | "retry_overpayment_refund"

/** A queue row: the query's row (see AttentionRow), its time as ISO, and the actions it offers. */
export type AttentionItem = Omit<AttentionRow, "at" | "at_text"> & {
  /** Requested (refunds), last changed (returns) or received (refunds made in PagoEfectivo's panel). */
  at: string
  actions: AttentionAction[]
}

export type AdminPagoEfectivoAttentionResponse = Page<AttentionItem> & {
  /** Refunds unconfirmed for longer than this many minutes are listed (the option reconcileAfterMinutes). */
  unconfirmed_after_minutes: number
}

function actionsOf(r: AttentionRow): AttentionAction[] {
  switch (r.kind) {
    case "counted_failed":
    case "unconfirmed":
      return ["check"]
    case "awaiting_transfer":
      return ["mark_transferred", "mark_failed"]
    case "anomaly":
      return AWAITING_GATEWAY_STATUSES.includes(r.status as RefundRecord["status"]) ? ["check"] : []
    case "return_error":
      return ["retry_return"]
    case "outside":
      return ["record"]
    case "overpayment":
      // pending: PagoEfectivo has it; rejected (final): a new refund under the next refundId
      return r.status === "pending" ? [] : r.status === "rejected" ? ["retry_overpayment_refund"] : ["refund_overpayment"]
  }
}

function money(v: string | null): string | null {
  if (v === null || v === undefined || v === "") return null
  try {
    return MathBN.convert(v).toFixed(2)
  } catch {
    return null
  }
}

function attentionItem(r: AttentionRow): AttentionItem {
  return {
    kind: r.kind,
    key: r.key,
    at: iso(r.at)!,
    order_id: r.order_id,
    refund_id: r.refund_id,
    return_id: r.return_id,
    notification_id: r.notification_id,
    cip: r.cip,
    amount: money(r.amount),
    currency_code: r.currency_code ? r.currency_code.toUpperCase() : null,
    status: r.status,
    detail: r.detail,
    anomaly: r.anomaly,
    actions: actionsOf(r),
  }
}

/**
 * GET /admin/pagoefectivo/attention — the refunds that need a person, across all orders, oldest
 * first: rejected or failed ones Medusa still counts, manual refunds awaiting a bank transfer,
 * refunds still unconfirmed (requested, verifying) for longer than reconcileAfterMinutes, records
 * with an anomaly, return refunds that ended in error, and refunds made in PagoEfectivo's own panel
 * for a CIP of this store (not recorded in Medusa yet), and late payments of replaced CIPs
 * (overpayments) until refunded. Each row says the actions it offers.
 * Keyset-paged: `?limit=&cursor=`.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoAttentionResponse>) => {
  const { limit, cursor } = parseOr400(Query, req.query ?? {}, "query")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const minutes = pe.options.reconcileAfterMinutes
  const rows = await pe.operations().attention(minutes, cursor ?? null, limit + 1)
  res.json({ ...pageOf(rows, limit, (r) => r.key, attentionItem), unconfirmed_after_minutes: minutes })
}
