import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { PAGOEFECTIVO_MODULE } from "../../../../modules/pagoefectivo"
import type { RefundRecord } from "../../../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../../../modules/pagoefectivo/service"

/**
 * What the admin's PagoEfectivo panel shows (src/admin/widgets/pagoefectivo-order.tsx), shared by
 * the routes under /admin/pagoefectivo. Nothing here is secret: records hold no credential.
 */

export type CipView = {
  code: string
  status: string | null
  amount: string | null
  currency: string | null
  expires_at: string | null
  paid_at: string | null
  voucher_url: string | null
}

export type RefundView = {
  refund_id: string
  payment_id: string | null
  amount: number
  currency_code: string
  status: string
  reference_id: string | null
  trace_id: string | null
  /** Manual mode: the bank transfer's reference, once staff marked it transferred. */
  bank_reference: string | null
  requested_at: string | null
  settled_at: string | null
  failure_reason: string | null
  /** Set when Medusa no longer counts this refund (its call failed, or a rejection undid it). */
  reversed_at: string | null
}

/** A PagoEfectivo payment's (or payment session's) `data`, as the provider keeps it. */
type PaymentData = {
  cip?: string | number
  cipUrl?: string
  cipStatus?: string
  amount?: string | number
  currency?: string
  dateExpiry?: string
  datePayment?: string | null
}

export function cipView(data: PaymentData | null | undefined): CipView | null {
  if (!data || data.cip === undefined || data.cip === null || data.cip === "") return null
  return {
    code: String(data.cip),
    status: data.cipStatus ?? null,
    amount: data.amount === undefined || data.amount === null ? null : String(data.amount),
    currency: data.currency ?? null,
    expires_at: data.dateExpiry ?? null,
    paid_at: data.datePayment ?? null,
    voucher_url: data.cipUrl ?? null,
  }
}

const iso = (d: unknown): string | null => {
  if (d === null || d === undefined || d === "") return null
  const date = d instanceof Date ? d : new Date(String(d))
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** A refund record (from the ledger or the module's generated list) as the panel shows it. */
export function refundView(r: Record<string, any>): RefundView {
  const raw = r.raw_amount?.value ?? r.amount
  return {
    refund_id: r.refund_id,
    payment_id: r.payment_id ?? null,
    amount: Number(raw),
    currency_code: String(r.currency_code ?? "").toUpperCase(),
    status: r.status,
    reference_id: r.reference_id ?? null,
    trace_id: r.trace_id ?? null,
    bank_reference: r.bank_reference ?? null,
    requested_at: iso(r.requested_at),
    settled_at: iso(r.settled_at),
    failure_reason: r.failure_reason ?? null,
    reversed_at: iso(r.reversed_at),
  }
}

/** Parses `value` with `schema`; a mismatch is Medusa's 400 (invalid_data) naming the field. */
export function parseOr400<S extends z.ZodTypeAny>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const where = issue?.path?.length ? `${what}.${issue.path.join(".")}` : what
  throw new MedusaError(MedusaError.Types.INVALID_DATA, `Invalid ${where}: ${issue?.message ?? "invalid value"}`)
}

/** Path ids: Medusa ids are prefix_ULID; anything outside this shape cannot name a record. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/

const RefundParams = z.object({ refund_id: z.string().regex(ID_PATTERN, "must be a refund id") })

/** The refund record named by the path's `:refund_id` (400 for a malformed id, 404 for an unknown one). */
export async function refundRecordOf(req: MedusaRequest): Promise<{ pe: PagoEfectivoModuleService; record: RefundRecord }> {
  const { refund_id } = parseOr400(RefundParams, req.params, "path")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const record = await pe.ledger().get(refund_id)
  if (!record) throw new MedusaError(MedusaError.Types.NOT_FOUND, `PagoEfectivo refund with id "${refund_id}" was not found`)
  return { pe, record }
}

/**
 * Answers a 409 with its reason. Sent directly: Medusa's error handler replaces a CONFLICT's
 * message with a generic "retry with the Idempotency-Key" text, which would hide why.
 */
export function sendConflict(res: MedusaResponse<any>, message: string, extra: Record<string, unknown> = {}): void {
  res.status(409).json({ type: "conflict", message, ...extra })
}

export type { MedusaRequest }
