import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../../modules/pagoefectivo"
import type { CipRecordStatus } from "../../../../../modules/pagoefectivo/models/cip"
import type { RefundRequestStatus } from "../../../../../modules/pagoefectivo/models/refund-request"
import type PagoEfectivoModuleService from "../../../../../modules/pagoefectivo/service"
import { isPagoEfectivoProvider } from "../../../../../lib/pagoefectivo/provider-id"
import { ID_PATTERN, type CipView, type RefundView, cipView, parseOr400, refundView } from "../view"

const Params = z.object({ id: z.string().regex(ID_PATTERN, "must be an order id") })
/** The panel takes no query parameters; anything else is refused rather than ignored. */
const Query = z.object({}).strict()

export type AdminPagoEfectivoOrderResponse = {
  order_id: string
  /** Whether the order was paid (or is to be paid) with PagoEfectivo. */
  pagoefectivo: boolean
  refund_mode: "api" | "manual"
  cip: CipView | null
  refunds: RefundView[]
  /** Automatic refunds of the order's returns (autoRefundOnReturn), with a failure's reason. */
  return_refunds: ReturnRefundView[]
  /**
   * Every CIP of an order that has been renewed (see CIP renewal), oldest first; empty for an
   * order that has had one CIP only (`cip` says it all).
   */
  cips: CipHistoryView[]
}

export type CipHistoryView = {
  code: string
  /** 0: the checkout's CIP; n: the n-th fresh one. */
  sequence: number
  /** pending (payable), expired, paid, overpaid (paid after it was replaced: refunded apart, never captured). */
  status: CipRecordStatus
  /** Replaced by a fresh CIP (renewed). */
  renewed: boolean
  /** Who asked for this fresh CIP: "expiry" (cip.expired) or "shopper"; null for the checkout's. */
  renewed_by: string | null
  amount: string
  currency_code: string
  issued_at: string | null
  expires_at: string | null
  paid_at: string | null
  /** An overpayment's refund: requested, pending, completed, rejected, failed; null when none. */
  refund_status: string | null
}

export type ReturnRefundView = {
  return_id: string
  /** ok, pending, error (nothing refunded: retry with POST /admin/pagoefectivo/returns/:id/refund), skipped, running */
  status: RefundRequestStatus
  amount: string | null
  currency_code: string | null
  refund_id: string | null
  message: string | null
  tries: number
  updated_at: string | null
}

type OrderRow = {
  id: string
  payment_collections?: {
    id: string
    payments?: { id: string; provider_id: string; data: Record<string, any> | null; captured_at: string | Date | null; created_at: string | Date }[]
    payment_sessions?: { id: string; provider_id: string; data: Record<string, any> | null; status: string; created_at: string | Date }[]
  }[]
}

const time = (d: string | Date | null | undefined) => (d ? new Date(d).getTime() : 0)

/**
 * GET /admin/pagoefectivo/orders/:id — the PagoEfectivo side of an order, for the order page's
 * panel: its CIP (from the PagoEfectivo payment, else the payment session of an order not paid
 * yet), every refund record of the order, oldest first, and, for a renewed order, each of its
 * CIPs (issued, expired, renewed, paid). Admin-authenticated like every
 * /admin route; 404 for an unknown order; `pagoefectivo: false` for an order paid another way.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoOrderResponse>) => {
  const { id } = parseOr400(Params, req.params, "path")
  parseOr400(Query, req.query ?? {}, "query")

  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "order",
    fields: [
      "id",
      "payment_collections.id",
      "payment_collections.payments.id",
      "payment_collections.payments.provider_id",
      "payment_collections.payments.data",
      "payment_collections.payments.captured_at",
      "payment_collections.payments.created_at",
      "payment_collections.payment_sessions.id",
      "payment_collections.payment_sessions.provider_id",
      "payment_collections.payment_sessions.data",
      "payment_collections.payment_sessions.status",
      "payment_collections.payment_sessions.created_at",
    ],
    filters: { id },
  })
  const order = (data as OrderRow[])[0]
  if (!order) throw new MedusaError(MedusaError.Types.NOT_FOUND, `Order with id "${id}" was not found`)

  const collections = order.payment_collections ?? []
  const payments = collections.flatMap((pc) => pc.payments ?? []).filter((p) => isPagoEfectivoProvider(p.provider_id))
  const sessions = collections.flatMap((pc) => pc.payment_sessions ?? []).filter((s) => isPagoEfectivoProvider(s.provider_id))

  // The CIP: the captured PagoEfectivo payment's, else the latest payment's, else the latest
  // session's (an order placed while its CIP is unpaid has a session and no payment yet).
  const byNewest = <T extends { created_at: string | Date }>(xs: T[]) => [...xs].sort((a, b) => time(b.created_at) - time(a.created_at))
  const payment = byNewest(payments).find((p) => p.captured_at) ?? byNewest(payments)[0]
  const source = payment?.data ?? byNewest(sessions).find((s) => s.data?.cip)?.data ?? null

  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const paymentIds = payments.map((p) => p.id)
  const records = await pe.listPagoEfectivoRefunds(
    (paymentIds.length ? { $or: [{ order_id: id }, { payment_id: paymentIds }] } : { order_id: id }) as any,
    { order: { requested_at: "ASC" } }
  )

  const returnRefunds = (await pe.refundRequests().listByOrder(order.id)).filter((r) => r.source === "return")
  const cipRecords = await pe.listPagoEfectivoCips({ order_id: order.id }, { order: { sequence: "ASC" } })
  const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null)

  const refundMode = ((pe.options as { refundMode?: "api" | "manual" }).refundMode ?? "api") as "api" | "manual"
  res.json({
    order_id: order.id,
    pagoefectivo: payments.length > 0 || sessions.length > 0 || records.length > 0,
    refund_mode: refundMode,
    cip: cipView(source),
    refunds: (records as Record<string, any>[]).map(refundView),
    return_refunds: returnRefunds.map((r) => ({
      return_id: r.return_id!,
      status: r.status,
      amount: r.amount,
      currency_code: r.currency_code,
      refund_id: r.refund_id,
      message: r.message,
      tries: r.tries,
      updated_at: r.updated_at ? new Date(r.updated_at).toISOString() : null,
    })),
    cips: cipRecords.map((c) => ({
      code: c.cip,
      sequence: Number(c.sequence),
      status: c.status,
      renewed: !!c.replaced_at,
      renewed_by: c.renewed_by ?? null,
      amount: c.amount,
      currency_code: c.currency_code,
      issued_at: iso(c.created_at),
      expires_at: iso(c.date_expiry),
      paid_at: iso(c.paid_at),
      refund_status: c.refund_status ?? null,
    })),
  })
}
