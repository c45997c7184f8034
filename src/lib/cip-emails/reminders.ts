import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { emailCip } from "./email-cip"
import type { CipEmailResult } from "./plan"
import { PROVIDER_ID_PREFIX } from "../pagoefectivo/provider-id"

const PAGE = 200

export type CipReminderSummary = { checked: number; sent: number; already: number; skipped: number; errors: number }

/**
 * The reminder run (src/jobs/pagoefectivo-cip-reminders.ts): every order placed while its CIP is
 * unpaid (its PagoEfectivo payment session is `pending_authorization`) whose CIP expires within
 * `cipReminderHours` gets one reminder; planCipEmail decides for each and the notification's
 * idempotency key keeps it to one per CIP, however many workers run this at once.
 * `now` moves the clock (specs).
 */
export async function sendCipReminders(container: MedusaContainer, opts: { now?: number } = {}): Promise<CipReminderSummary> {
  const now = opts.now ?? Date.now()
  const summary: CipReminderSummary = { checked: 0, sent: 0, already: 0, skipped: 0, errors: 0 }
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const windowMs = pe.options.cipReminderHours * 3600_000
  if (!windowMs || !(await pe.cipEmailsOn())) return summary
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)

  let after: string | null = null
  for (;;) {
    const { data: sessions } = await query.graph({
      entity: "payment_session",
      fields: ["id", "data", "payment_collection_id"],
      filters: {
        provider_id: { $like: `${PROVIDER_ID_PREFIX}%` },
        status: "pending_authorization",
        ...(after ? { id: { $gt: after } } : {}),
      } as any,
      pagination: { take: PAGE, order: { id: "ASC" } },
    })
    if (!sessions.length) break
    after = sessions[sessions.length - 1].id

    // CIPs expiring within the window (the rest wait for a later run)
    const due = sessions.filter((s) => {
      const expiry = Date.parse(String((s.data as Record<string, unknown> | null)?.dateExpiry ?? ""))
      return !Number.isNaN(expiry) && expiry > now && expiry - now <= windowMs
    })
    if (due.length) {
      const { data: links } = await query.graph({
        entity: "order_payment_collection",
        fields: ["order_id"],
        filters: { payment_collection_id: due.map((s) => s.payment_collection_id) },
      })
      for (const orderId of new Set(links.map((l) => l.order_id as string))) {
        summary.checked++
        let result: CipEmailResult
        try {
          result = await emailCip(container, orderId, "reminder", now)
        } catch (e) {
          summary.errors++
          logger.warn(`pagoefectivo: CIP reminder for order ${orderId} failed: ${(e as Error).message}`)
          continue
        }
        if (result.sent) summary.sent++
        else if (result.duplicate) summary.already++
        else summary.skipped++
      }
    }
    if (sessions.length < PAGE) break
  }
  if (summary.checked) {
    logger.info(
      `pagoefectivo CIP reminders: checked=${summary.checked} sent=${summary.sent} already=${summary.already} skipped=${summary.skipped} errors=${summary.errors}`
    )
  }
  return summary
}
