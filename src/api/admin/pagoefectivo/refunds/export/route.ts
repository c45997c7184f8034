import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { MathBN } from "@medusajs/framework/utils"
import { z } from "zod"
import { toCsvLine } from "../../../../../lib/csv"
import { PAGOEFECTIVO_MODULE } from "../../../../../modules/pagoefectivo"
import type { RefundRecord } from "../../../../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../../orders/view"

const PAGE = 1000

const date = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .refine((s) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO date such as 2026-11-01 or 2026-11-01T05:00:00Z")
    .transform((s) => new Date(s))

const Query = z
  .object({
    from: date("the first day (inclusive)"),
    to: date("the end (exclusive)"),
    format: z.enum(["csv", "json"], { error: 'must be "csv" or "json"' }).default("csv"),
  })
  .strict()
  .refine((q) => q.to > q.from, { message: "must be after from", path: ["to"] })

/** The columns, in order: what finance matches against PagoEfectivo's statements. */
const COLUMNS = ["order_id", "cip", "refund_id", "reference_id", "amount", "currency_code", "status", "requested_at", "settled_at", "reason", "failure_reason"] as const

function row(r: RefundRecord) {
  return {
    order_id: r.order_id,
    cip: r.cip,
    refund_id: r.refund_id,
    reference_id: r.reference_id ?? r.bank_reference,
    amount: MathBN.convert(r.amount).toFixed(2),
    currency_code: r.currency_code,
    status: r.status,
    requested_at: r.requested_at ? new Date(r.requested_at).toISOString() : null,
    settled_at: r.settled_at ? new Date(r.settled_at).toISOString() : null,
    reason: r.reason,
    failure_reason: r.status === "rejected" || r.status === "failed" ? r.failure_reason : null,
  }
}

/**
 * GET /admin/pagoefectivo/refunds/export?from=2026-11-01&to=2026-12-01&format=csv|json
 *
 * Every PagoEfectivo refund requested in [from, to), oldest first: order id, CIP, Medusa's refund
 * id, PagoEfectivo's referenceId (the bank's reference for a manual refund), amount, currency,
 * status, requested and settled times, reason (and why a failed one failed). Streamed a page of
 * 1,000 records at a time, waiting for the client to drain each, so 100k rows never sit in memory.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse) => {
  const { from, to, format } = parseOr400(Query, req.query, "query")
  const ledger = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
  const name = `pagoefectivo-refunds-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.${format}`
  res.status(200)
  res.setHeader("content-type", format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8")
  res.setHeader("content-disposition", `attachment; filename="${name}"`)
  res.setHeader("cache-control", "no-store")

  let closed = false
  req.on("close", () => (closed = true))
  const write = async (chunk: string) => {
    if (!res.write(chunk)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve))
  }

  await write(format === "csv" ? toCsvLine([...COLUMNS]) : "[")
  let after: { cursor: string; id: string } | null = null
  let first = true
  while (!closed) {
    const page = await ledger.pageForExport(from, to, after, PAGE)
    if (!page.length) break
    after = { cursor: page[page.length - 1].cursor, id: page[page.length - 1].id }
    let chunk = ""
    for (const r of page) {
      const line = row(r)
      if (format === "csv") chunk += toCsvLine(COLUMNS.map((c) => line[c]))
      else {
        chunk += (first ? "\n" : ",\n") + JSON.stringify(line)
        first = false
      }
    }
    await write(chunk)
    if (page.length < PAGE) break
  }
  res.end(format === "csv" ? undefined : "\n]\n")
}
