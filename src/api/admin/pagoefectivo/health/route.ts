import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { z } from "zod"
import { RECONCILE_EVERY_MINUTES } from "../../../../jobs/reconcile-pagoefectivo"
import { PAGOEFECTIVO_MODULE } from "../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../orders/view"
import { iso } from "../paging"
import { type ReconcileRunView, publicUrl, runView } from "./view"

const Query = z.object({}).strict()

export type AdminPagoEfectivoHealthResponse = {
  refund_mode: "api" | "manual"
  environment: "sandbox" | "production"
  /** The API base URL the plugin calls. */
  base_url: string
  /** The URL to give PagoEfectivo for its notifications. */
  notification_url: string
  record_outside_refunds: boolean
  auto_refund_on_return: boolean
  last_notification_at: string | null
  /**
   * The installed Medusa and whether its tables are the ones this plugin writes (checked at boot):
   * when not, `books_written` is false and `differences` says what differs; the plugin then
   * records PagoEfectivo's verdicts without writing Medusa's books.
   */
  medusa: { version: string; books_written: boolean; differences: string[]; checked_at: string }
  reconciliation: {
    every_minutes: number
    after_minutes: number
    last_run: ReconcileRunView | null
    /** No run for more than twice the schedule (since the last one, or since this process started): the job may not be running. */
    overdue: boolean
  }
}

/**
 * GET /admin/pagoefectivo/health — how the plugin is set up and whether its background work runs:
 * refund mode, environment and API base URL (never a credential), the notification URL to give
 * PagoEfectivo (the admin's backendUrl, else this request's origin), when the last notification
 * arrived, the last reconciliation run, and whether the installed Medusa's tables are the ones the
 * plugin writes (src/modules/pagoefectivo/medusa-shapes.ts).
 */
export const GET = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoHealthResponse>) => {
  parseOr400(Query, req.query ?? {}, "query")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const o = pe.options
  const [last] = await pe.reconcileRuns().list(null, 1)
  const lastAt = await pe.operations().lastNotificationAt()
  const shapes = await pe.medusaShapes()
  // overdue: no run for twice the schedule (and a minute), counted from the last run, or, when
  // none was ever kept, from when this process started
  const bound = 2 * RECONCILE_EVERY_MINUTES * 60_000 + 60_000
  const overdue = last ? Date.now() - new Date(last.started_at).getTime() > bound : process.uptime() * 1000 > bound
  res.json({
    refund_mode: o.refundMode,
    environment: o.environment,
    base_url: publicUrl(o.baseUrl),
    notification_url: `${origin(req)}/webhooks/pagoefectivo`,
    record_outside_refunds: o.recordOutsideRefunds,
    auto_refund_on_return: o.autoRefundOnReturn,
    last_notification_at: iso(lastAt),
    medusa: { version: shapes.medusa_version, books_written: shapes.ok, differences: shapes.differences, checked_at: shapes.checked_at },
    reconciliation: {
      every_minutes: RECONCILE_EVERY_MINUTES,
      after_minutes: o.reconcileAfterMinutes,
      last_run: last ? runView(last) : null,
      overdue,
    },
  })
}

/** Where this store is reached: the admin's configured backend URL, else the request's own origin. */
function origin(req: MedusaRequest): string {
  const config = req.scope.resolve(ContainerRegistrationKeys.CONFIG_MODULE) as { admin?: { backendUrl?: string } }
  const configured = config.admin?.backendUrl
  if (configured && /^https?:\/\//.test(configured)) return publicUrl(configured)
  return publicUrl(`${req.protocol}://${req.get("host")}`)
}
