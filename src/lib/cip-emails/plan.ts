import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { type OrderLike, isPagoEfectivo, readPagoEfectivoCip } from "../cip/read"
import { formatCipAmount, formatLimaDateTime } from "../cip/format"

/**
 * The CIP by email, through Medusa's Notification module (channel "email"): the instructions when
 * an order awaiting a PagoEfectivo payment is placed (src/subscribers/pagoefectivo-order-placed.ts)
 * and one reminder before the CIP expires (src/jobs/pagoefectivo-cip-reminders.ts), and the
 * fresh CIP of a renewed order (src/lib/renewal/renew-order.ts).
 *
 * Once per CIP, across workers and redelivered events: each email carries the idempotency key
 * `pagoefectivo:cip-<kind>:<cip>`, and Medusa's notification table holds a unique index on that
 * key. createNotifications inserts the notification row (committed) before the provider sends it,
 * so of two workers racing, the second's insert fails on the index and it sends nothing; a
 * notification already sent is not sent again. (One whose provider failed is sent again on the
 * next try: Medusa retries notifications in `failure`.)
 */

export type CipEmailKind = "instructions" | "reminder" | "renewed"

export const TRIGGERS: Record<CipEmailKind, string> = {
  instructions: "order.placed",
  reminder: "pagoefectivo.cip.reminder",
  renewed: "pagoefectivo.cip.renewed",
}

/** What the template gets. No personal data beyond what the shopper's own order email holds. */
export type CipEmailData = {
  kind: CipEmailKind
  order_id: string
  order_display_id: number | null
  cip: string
  amount: string | null
  currency: string | null
  /** "S/ 199.90" */
  amount_formatted: string
  /** ISO-8601 with its offset (Lima, -05:00). */
  expires_at: string | null
  /** "27 nov. 2026, 23:59" (Lima time) */
  expires_at_lima: string | null
  /** Whole hours left, for the reminder. */
  hours_left: number | null
  voucher_url: string | null
}

export type CipEmailPlan =
  | {
      send: true
      to: string
      template: string
      idempotency_key: string
      order_id: string
      receiver_id: string | null
      data: CipEmailData
    }
  | { send: false; reason: string }

type OrderRow = OrderLike & {
  id: string
  display_id?: number | null
  email?: string | null
  status?: string | null
  customer_id?: string | null
  created_at?: string | Date | null
}

const ORDER_FIELDS = [
  "id",
  "display_id",
  "email",
  "status",
  "customer_id",
  "created_at",
  "payment_collections.payments.provider_id",
  "payment_collections.payments.data",
  "payment_collections.payments.captured_at",
  "payment_collections.payments.created_at",
  "payment_collections.payment_sessions.provider_id",
  "payment_collections.payment_sessions.status",
  "payment_collections.payment_sessions.data",
  "payment_collections.payment_sessions.created_at",
]

export const idempotencyKey = (kind: CipEmailKind, cip: string) => `pagoefectivo:cip-${kind}:${cip}`

/**
 * Whether `kind` is to be emailed for this order now, and what: only an order still awaiting its
 * PagoEfectivo payment (not canceled, no payment by another method, the CIP unpaid and not
 * expired) gets one; a reminder only within the last `cipReminderHours` before the expiry, and
 * only for an order placed before that window opened (the instructions said it all otherwise).
 */
export async function planCipEmail(container: MedusaContainer, orderId: string, kind: CipEmailKind, now = Date.now()): Promise<CipEmailPlan> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const options = pe.options
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "order", fields: ORDER_FIELDS, filters: { id: orderId } })
  const order = data[0] as OrderRow | undefined
  if (!order) return { send: false, reason: "no such order" }
  if (order.status === "canceled" || order.status === "draft") return { send: false, reason: `the order is ${order.status}` }
  const payments = (order.payment_collections ?? []).flatMap((c) => c?.payments ?? [])
  if (payments.some((p) => !isPagoEfectivo(p.provider_id))) return { send: false, reason: "paid another way" }
  const cip = readPagoEfectivoCip(order)
  if (!cip) return { send: false, reason: "not a PagoEfectivo order" }
  if (cip.status !== "pending") return { send: false, reason: `CIP ${cip.code} is ${cip.status}` }
  const expiresAt = cip.expires_at ? Date.parse(cip.expires_at) : NaN
  if (!Number.isNaN(expiresAt) && expiresAt <= now) return { send: false, reason: `CIP ${cip.code} has expired` }
  if (!order.email) return { send: false, reason: "the order has no email" }

  let hoursLeft: number | null = Number.isNaN(expiresAt) ? null : Math.floor((expiresAt - now) / 3600_000)
  if (kind === "reminder") {
    const windowMs = options.cipReminderHours * 3600_000
    if (!windowMs) return { send: false, reason: "reminders are off (cipReminderHours 0)" }
    if (Number.isNaN(expiresAt)) return { send: false, reason: `CIP ${cip.code} has no expiry` }
    if (expiresAt - now > windowMs) return { send: false, reason: "not within the reminder window yet" }
    const placedAt = order.created_at ? new Date(order.created_at).getTime() : 0
    if (placedAt >= expiresAt - windowMs) return { send: false, reason: "placed within the reminder window" }
  } else {
    hoursLeft = null
  }
  if (kind === "renewed") {
    const [record] = await pe.listPagoEfectivoCips({ cip: cip.code }, { select: ["sequence"] })
    if (!record || !(Number(record.sequence) > 0)) return { send: false, reason: `CIP ${cip.code} is not a renewal` }
  }

  return {
    send: true,
    to: order.email,
    template: { instructions: options.cipEmailTemplate, reminder: options.cipReminderTemplate, renewed: options.cipRenewedTemplate }[kind],
    idempotency_key: idempotencyKey(kind, cip.code),
    order_id: order.id,
    receiver_id: order.customer_id ?? null,
    data: {
      kind,
      order_id: order.id,
      order_display_id: order.display_id ?? null,
      cip: cip.code,
      amount: cip.amount,
      currency: cip.currency,
      amount_formatted: formatCipAmount(cip.amount, cip.currency),
      expires_at: cip.expires_at,
      expires_at_lima: formatLimaDateTime(cip.expires_at, "es"),
      hours_left: hoursLeft,
      voucher_url: cip.voucher_url,
    },
  }
}

export type CipEmailResult = { sent: boolean; duplicate: boolean; reason: string | null; notification_id: string | null }
