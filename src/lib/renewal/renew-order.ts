import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { cipState } from "../pagoefectivo"
import { isPagoEfectivoProvider } from "../pagoefectivo/provider-id"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { emailCip } from "../cip-emails/email-cip"
import { renewCipWorkflow } from "../../workflows/renew-cip"

/**
 * A fresh CIP for an order whose CIP expired unpaid (see docs/how-it-works.md, "An expired CIP").
 *
 * The fresh CIP is a new PagoEfectivo payment session on the order's own payment collection,
 * made by Medusa's createPaymentSessionsWorkflow (which deletes the expired session, as it does
 * for any new session of a collection): its cip.paid then goes through processPaymentWorkflow
 * and captures the order exactly as the checkout's CIP would have.
 *
 * Money safety, per order and across processes (the Locking module, key renewalLockKey):
 * - one payable CIP at a time: PagoEfectivo is asked (/cips/search) about the order's current
 *   CIP, and a fresh one is issued only when it answers expired (or deleted); while it is still
 *   payable, that CIP is the answer (so two presses, also at once, make one CIP);
 * - a paid CIP, a captured payment, a canceled order: nothing is issued;
 * - at most maxCipRenewals fresh CIPs per order (counted in the pagoefectivo_cip records).
 */

export type RenewalTrigger = "expiry" | "shopper"

export type RenewalOutcome =
  /** A fresh CIP was issued (and the expired session replaced). */
  | { kind: "renewed"; cip: string; session_id: string; renewals_left: number }
  /** The order's CIP is still payable at PagoEfectivo: it is the one to pay. */
  | { kind: "current"; cip: string; renewals_left: number }
  /** The CIP is paid, or the order is captured: nothing to renew. */
  | { kind: "paid" }
  /** maxCipRenewals fresh CIPs were issued already. */
  | { kind: "exhausted" }
  /** Renewal is off, the order is canceled, or it is not a PagoEfectivo order. */
  | { kind: "not_renewable"; reason: string }

export const renewalLockKey = (orderId: string) => `pagoefectivo:cip-renewal:${orderId}`

type Session = { id: string; provider_id: string; status: string; amount: unknown; currency_code: string; data: Record<string, unknown> | null; created_at: string | Date }
type Address = { phone?: string | null; country_code?: string | null } | null
export type OrderRow = {
  id: string
  status: string
  email?: string | null
  billing_address?: Address
  shipping_address?: Address
  payment_collections?: { id: string; payment_sessions?: Session[] | null; payments?: { provider_id: string; captured_at?: unknown; data?: Record<string, unknown> | null }[] | null }[] | null
}

export const ORDER_FIELDS = [
  "id",
  "status",
  "email",
  "billing_address.phone",
  "billing_address.country_code",
  "shipping_address.phone",
  "shipping_address.country_code",
  "payment_collections.id",
  "payment_collections.payment_sessions.id",
  "payment_collections.payment_sessions.provider_id",
  "payment_collections.payment_sessions.status",
  "payment_collections.payment_sessions.amount",
  "payment_collections.payment_sessions.currency_code",
  "payment_collections.payment_sessions.data",
  "payment_collections.payment_sessions.created_at",
  "payment_collections.payments.provider_id",
  "payment_collections.payments.captured_at",
]

/** The order's PagoEfectivo session holding its newest CIP, with its collection; null when it has none. */
export function currentCipSession(order: OrderRow): { collectionId: string; session: Session } | null {
  const found = (order.payment_collections ?? []).flatMap((c) =>
    (c.payment_sessions ?? []).filter((s) => isPagoEfectivoProvider(s.provider_id) && s.data?.cip).map((session) => ({ collectionId: c.id, session }))
  )
  found.sort((a, b) => new Date(b.session.created_at).getTime() - new Date(a.session.created_at).getTime())
  return found[0] ?? null
}

/** How many fresh CIPs the order has had. */
export async function renewalsUsed(pe: PagoEfectivoModuleService, orderId: string): Promise<number> {
  const records = await pe.listPagoEfectivoCips({ order_id: orderId }, { select: ["sequence"] })
  return records.reduce((max, r) => Math.max(max, Number(r.sequence) || 0), 0)
}

/**
 * Whether the shopper may ask for a fresh CIP, from what the plugin stores (no call to
 * PagoEfectivo: the status route is polled): renewal on, renewals left, an open order.
 */
export async function renewalsLeft(container: MedusaContainer, orderId: string): Promise<number> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.renewExpiredCip) return 0
  return Math.max(pe.options.maxCipRenewals - (await renewalsUsed(pe, orderId)), 0)
}

/** Issues a fresh CIP for the order if it may have one now (see the file's comment). Serialized per order. */
export async function renewOrderCip(container: MedusaContainer, orderId: string, trigger: RenewalTrigger): Promise<RenewalOutcome> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.renewExpiredCip) return { kind: "not_renewable", reason: "CIP renewal is off (option renewExpiredCip)" }
  return container.resolve(Modules.LOCKING).execute(renewalLockKey(orderId), () => renewLocked(container, pe, orderId, trigger), { timeout: 60 })
}

async function renewLocked(container: MedusaContainer, pe: PagoEfectivoModuleService, orderId: string, trigger: RenewalTrigger): Promise<RenewalOutcome> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({ entity: "order", fields: ORDER_FIELDS, filters: { id: orderId } })
  const order = data[0] as OrderRow | undefined
  if (!order) return { kind: "not_renewable", reason: "no such order" }
  if (order.status === "canceled" || order.status === "draft") return { kind: "not_renewable", reason: `the order is ${order.status}` }
  const payments = (order.payment_collections ?? []).flatMap((c) => c.payments ?? [])
  if (payments.some((p) => p.captured_at)) return { kind: "paid" }
  const current = currentCipSession(order)
  if (!current) return { kind: "not_renewable", reason: "the order has no PagoEfectivo CIP" }
  const { session, collectionId } = current
  const cip = String(session.data!.cip)
  const used = await renewalsUsed(pe, orderId)
  const left = Math.max(pe.options.maxCipRenewals - used, 0)
  if (session.status === "authorized" || session.status === "captured") return { kind: "paid" }

  // PagoEfectivo's word on the current CIP, never the stored one: only an expired (or deleted)
  // CIP can no longer be paid, so only then may a second payable code exist.
  const found = await pe.client().searchCip(cip)
  const state = found ? cipState(found.status, found.statusName ?? undefined) : "deleted"
  if (state === "paid") return { kind: "paid" }
  if (state === "pending") return { kind: "current", cip, renewals_left: left }
  if (left <= 0) return { kind: "exhausted" }

  const address = [order.billing_address, order.shipping_address].find((a) => a?.phone)
  const { result } = await renewCipWorkflow(container).run({
    input: {
      order_id: orderId,
      payment_collection_id: collectionId,
      provider_id: session.provider_id,
      expired: {
        session_id: session.id,
        cip,
        amount: String(session.data!.amount ?? session.amount),
        currency_code: String(session.data!.currency ?? session.currency_code).toUpperCase(),
        cip_url: (session.data!.cipUrl as string | undefined) ?? null,
        date_expiry: (found?.dateExpiry ?? (session.data!.dateExpiry as string | undefined)) || null,
        issued_at: session.created_at ? new Date(session.created_at).toISOString() : null,
      },
      sequence: used + 1,
      renewed_by: trigger,
      data: {
        ...(order.email ? { email: order.email } : {}),
        ...(address?.phone ? { phone: address.phone, country_code: address.country_code ?? null } : {}),
      },
    },
  })
  container.resolve(ContainerRegistrationKeys.LOGGER).info(`pagoefectivo: order ${orderId}: CIP ${cip} expired; fresh CIP ${result.cip} issued (${trigger})`)
  return { kind: "renewed", cip: result.cip, session_id: result.session_id, renewals_left: left - 1 }
}

/** The fresh CIP by email (once per CIP; see cip-emails.ts). A failure is logged: the CIP stands. */
export async function emailRenewedCip(container: MedusaContainer, orderId: string): Promise<void> {
  try {
    await emailCip(container, orderId, "renewed")
  } catch (e) {
    container.resolve(ContainerRegistrationKeys.LOGGER).error(`pagoefectivo: could not email the fresh CIP of order ${orderId}: ${(e as Error).message}`)
  }
}

/** The pending CIP records matching `filters` show `status`, as of now. */
export async function markCip(container: MedusaContainer, filters: { order_id: string } | { session_id: string }, status: "paid" | "expired") {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const records = await pe.listPagoEfectivoCips({ ...filters, status: "pending" }, { select: ["id"] })
  if (!records.length) return
  const now = new Date()
  await pe.updatePagoEfectivoCips(records.map((r) => ({ id: r.id, status, ...(status === "paid" ? { paid_at: now } : { expired_at: now }) })))
}

