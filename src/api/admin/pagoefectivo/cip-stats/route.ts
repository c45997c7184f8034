import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { z } from "zod"
import { type CipStats, cipStats } from "../../../../modules/pagoefectivo/cip-stats-sql"
import { parseOr400 } from "../orders/view"
import { date } from "../refunds/export/route"

const Query = z
  .object({ from: date("the first day (inclusive)"), to: date("the end (exclusive)") })
  .strict()
  .refine((q) => q.to > q.from, { message: "must be after from", path: ["to"] })

export type AdminPagoEfectivoCipStatsResponse = CipStats & {
  from: string
  to: string
  /** renewed_paid / renewed, 0-1; null when no CIP was renewed. */
  renewed_conversion: number | null
}

/**
 * GET /admin/pagoefectivo/cip-stats?from=&to= — the Finance tab's CIP counts over [from, to) (days
 * in Lima time, or instants with an offset, as the refunds export takes them): issued, paid,
 * expired, renewed, and how many of the renewed ones were paid.
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoCipStatsResponse>) => {
  const { from, to } = parseOr400(Query, req.query ?? {}, "query")
  const stats = await cipStats(req.scope.resolve(ContainerRegistrationKeys.PG_CONNECTION), from, to)
  res.json({
    from: from.toISOString(),
    to: to.toISOString(),
    ...stats,
    renewed_conversion: stats.renewed ? Math.round((stats.renewed_paid / stats.renewed) * 1000) / 1000 : null,
  })
}
