import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { z } from "zod"
import { toCsvLine } from "../../../../../lib/csv"
import { PAGOEFECTIVO_MODULE } from "../../../../../modules/pagoefectivo"
import type { RefundRecord } from "../../../../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../../orders/view"

const PAGE = 1000
const FIRST_YEAR = 1900
const LAST_YEAR = 9999

/**
 * A day (2026-11-01: midnight in Lima, UTC−5, where PagoEfectivo's statements are kept) or an
 * instant with its offset (2026-11-01T05:00:00Z). A time without an offset is refused: it would
 * be read in the server's time zone. Impossible dates (2026-02-30) are refused, not rolled over.
 */
export const date = (what: string) =>
  z
    .string({ error: `is required: ${what}` })
    .trim()
    .transform((s, ctx) => {
      const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s)
      const instant = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.exec(s)
      const parts = day ?? instant
      const d = day ? new Date(`${s}T00:00:00-05:00`) : instant ? new Date(s) : null
      const real = parts && new Date(Date.UTC(+parts[1], +parts[2] - 1, +parts[3])).toISOString().slice(0, 10) === `${parts[1]}-${parts[2]}-${parts[3]}`
      if (!d || Number.isNaN(d.getTime()) || !real) {
        ctx.addIssue({ code: "custom", message: "must be a date such as 2026-11-01 (Lima) or an instant with its offset such as 2026-11-01T05:00:00Z" })
        return z.NEVER
      }
      // no refund is that old or that far ahead (and PostgreSQL has no year 0000)
      if (+parts[1] < FIRST_YEAR || +parts[1] > LAST_YEAR) {
        ctx.addIssue({ code: "custom", message: `must be in the years ${FIRST_YEAR} to ${LAST_YEAR}` })
        return z.NEVER
      }
      return d
    })

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

  // the client went away: stop reading pages (res, not req: a consumed request body closes req)
  let closed = false
  res.on("close", () => (closed = true))
  const write = async (chunk: string) => {
    if (res.write(chunk) || closed) return
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off("drain", done)
        res.off("close", done)
        resolve()
      }
      res.on("drain", done)
      res.on("close", done)
    })
  }

  try {
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
  } catch (e) {
    // the status line is gone already: cut the download so the file is visibly incomplete
    req.scope.resolve(ContainerRegistrationKeys.LOGGER).error(`pagoefectivo: refund export failed mid-stream: ${(e as Error).message}`)
    res.destroy(e as Error)
  }
}
