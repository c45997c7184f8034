/**
 * The CIP as a storefront sees it, read from what Medusa's store API already returns: a cart's
 * payment session, or an order's payment (paid) or payment session (awaiting payment). Pure: no
 * React, no server code, no network. The one copy of this reading: the server's status route and
 * CIP emails import it, and the storefront kit (packages/storefront) bundles it.
 */

/** Medusa's id for this plugin's provider is `pp_pagoefectivo_<id in medusa-config>`. */
export const PAGOEFECTIVO_PROVIDER_PREFIX = "pp_pagoefectivo_"

/** Whether a payment provider id (of a session, a payment, a region's provider) is PagoEfectivo's. */
export function isPagoEfectivo(providerId: string | null | undefined): boolean {
  return typeof providerId === "string" && providerId.startsWith(PAGOEFECTIVO_PROVIDER_PREFIX)
}

/**
 * What a shopper needs to pay a CIP, and nothing else (no email, no name, no internal id).
 * - `status`: `pending` (to pay), `paid`, `expired`, `canceled` (replaced or canceled by the store)
 */
export type PagoEfectivoCipStatus = "pending" | "paid" | "expired" | "canceled"

export type PagoEfectivoCip = {
  /** The CIP number the shopper pays with, e.g. "2523136". */
  code: string
  /** With two decimals, e.g. "199.90". */
  amount: string | null
  /** "PEN" or "USD". */
  currency: string | null
  /** ISO-8601 with its offset, as PagoEfectivo gives it (Lima time, -05:00). */
  expires_at: string | null
  /** PagoEfectivo's voucher page for this CIP. */
  voucher_url: string | null
  status: PagoEfectivoCipStatus
}

/**
 * What `GET /store/pagoefectivo/carts/:id` and `GET /store/pagoefectivo/orders/:id` answer:
 * the CIP, and whether the store emails it to the shopper (`cipEmails` on and an email provider).
 */
export type StorePagoEfectivoCipResponse = {
  cip: PagoEfectivoCip
  /** Whether the store emails the CIP, so a voucher promises an email only then. */
  cip_emails: boolean
  /**
   * Orders only, and only when the CIP has expired: whether a fresh CIP may be asked for with
   * `POST /store/pagoefectivo/orders/:id/renew-cip`.
   */
  renewable?: boolean
}

/** What `POST /store/pagoefectivo/orders/:id/renew-cip` answers: the order's payable CIP. */
export type StorePagoEfectivoRenewResponse = {
  cip: PagoEfectivoCip
  /** Whether this call issued the CIP (false: it was issued already, e.g. by a first press). */
  renewed: boolean
  renewals_left: number
}

/** The part of a payment session or payment the reader looks at. */
export type PaymentLike = {
  provider_id?: string | null
  status?: string | null
  data?: Record<string, unknown> | null
  captured_at?: string | Date | null
  created_at?: string | Date | null
}

export type CartLike = { payment_collection?: { payment_sessions?: PaymentLike[] | null } | null }
export type OrderLike = {
  payment_collections?: { payments?: PaymentLike[] | null; payment_sessions?: PaymentLike[] | null }[] | null
}

const text = (v: unknown): string | null => (v === undefined || v === null || v === "" ? null : String(v))

function statusOf(data: Record<string, unknown>, recordStatus: string | null | undefined, captured: boolean): PagoEfectivoCipStatus {
  const cip = text(data.cipStatus)
  if (cip === "paid" || captured || recordStatus === "authorized" || recordStatus === "captured") return "paid"
  if (cip === "expired") return "expired"
  if (cip === "deleted" || recordStatus === "canceled" || recordStatus === "error") return "canceled"
  return "pending"
}

/**
 * The CIP of one PagoEfectivo payment session or payment, or null when it is not PagoEfectivo's
 * or holds no CIP. `provider_id` may be left out when the caller knows it already.
 */
export function cipOf(record: PaymentLike | null | undefined): PagoEfectivoCip | null {
  if (!record || (record.provider_id !== undefined && !isPagoEfectivo(record.provider_id))) return null
  const data = (record.data ?? {}) as Record<string, unknown>
  const code = text(data.cip)
  if (!code || !/^\d{1,20}$/.test(code)) return null
  return {
    code,
    amount: amountText(data.amount),
    currency: text(data.currency)?.toUpperCase() ?? null,
    expires_at: text(data.dateExpiry),
    voucher_url: safeUrl(text(data.cipUrl)),
    status: statusOf(data, record.status, !!record.captured_at),
  }
}

/** "199.9", 199.9, "199.90" → "199.90"; anything that is not an amount → null. */
function amountText(v: unknown): string | null {
  const s = text(v)
  if (s === null || !/^\d{1,16}(\.\d{1,2})?$/.test(s)) return null
  const [units, cents = ""] = s.split(".")
  return `${units}.${cents.padEnd(2, "0")}`
}

/** Only http(s) links are shown as the voucher (a javascript: URL must never become a link). */
function safeUrl(url: string | null): string | null {
  if (!url) return null
  try {
    return /^https?:$/.test(new URL(url).protocol) ? url : null
  } catch {
    return null
  }
}

const time = (d: string | Date | null | undefined) => (d ? new Date(d).getTime() || 0 : 0)
const newestFirst = <T extends PaymentLike>(xs: T[]) => [...xs].sort((a, b) => time(b.created_at) - time(a.created_at))

/**
 * The CIP of a cart or an order, or null when it has none (paid another way, no session yet):
 * - a cart: its PagoEfectivo payment session (the newest that holds a CIP);
 * - an order: its captured PagoEfectivo payment, else its newest one, else its newest payment
 *   session with a CIP (an order awaiting payment has a session and no payment). Ask for
 *   `*payment_collections.payments,*payment_collections.payment_sessions` when retrieving it.
 * - a payment session or payment itself.
 */
export function readPagoEfectivoCip(source: CartLike | OrderLike | PaymentLike | null | undefined): PagoEfectivoCip | null {
  if (!source) return null
  if ("payment_collections" in source && source.payment_collections) {
    const collections = source.payment_collections ?? []
    const payments = newestFirst(collections.flatMap((c) => c?.payments ?? []).filter((p) => isPagoEfectivo(p.provider_id)))
    const payment = payments.find((p) => p.captured_at && cipOf(p)) ?? payments.find((p) => cipOf(p))
    if (payment) return cipOf(payment)
    return firstCip(collections.flatMap((c) => c?.payment_sessions ?? []))
  }
  if ("payment_collection" in source) return firstCip(source.payment_collection?.payment_sessions ?? [])
  return cipOf(source as PaymentLike)
}

/** The newest session's CIP, preferring one still in force over a replaced or canceled one. */
function firstCip(sessions: PaymentLike[]): PagoEfectivoCip | null {
  const cips = newestFirst(sessions.filter((s) => isPagoEfectivo(s.provider_id)))
    .map(cipOf)
    .filter((c): c is PagoEfectivoCip => c !== null)
  return cips.find((c) => c.status !== "canceled") ?? cips[0] ?? null
}
