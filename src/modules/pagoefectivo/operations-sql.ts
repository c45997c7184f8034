import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { PROVIDER_ID_PREFIX } from "../../lib/pagoefectivo/provider-id"
import { DEAD_STATUSES } from "./ledger"
import { UNSTORABLE } from "../../lib/storable"

/**
 * What the admin's PagoEfectivo page asks across all orders (src/admin/routes/pagoefectivo): plain
 * SQL on the plugin's tables and, read-only, Medusa 2.21's refund, payment, order_payment_collection
 * and order_transaction tables, keyset-paged so that a page costs the same whatever the backlog.
 * Nothing here changes anything; the actions go through the workflows.
 */

/** Why a row needs a person, and the action the page offers for it. */
export type AttentionKind =
  /** A rejected/failed refund whose Medusa Refund row or order transaction still stands: Check now converges it. */
  | "counted_failed"
  /** A manual refund: staff make the bank transfer, then mark it transferred or failed. */
  | "awaiting_transfer"
  /** Asked for more than reconcileAfterMinutes ago and still unconfirmed (requested, verifying): Check now. */
  | "unconfirmed"
  /** A result that contradicted a final one, kept on the record: look at it (no action). */
  | "anomaly"
  /** A return's automatic refund that refunded nothing: Retry return refund. */
  | "return_error"
  /** A refund made in PagoEfectivo's own panel for a CIP of this store: Record in Medusa. */
  | "outside"
  /** A replaced CIP paid after all (not captured on its order): Refund overpayment, until refunded. */
  | "overpayment"

export type AttentionRow = {
  kind: AttentionKind
  /** Unique in the queue: refund:<refund_id>, return:<return_id>, outside:<notification_id> or overpayment:<cip>. */
  key: string
  /** Since when (requested, last changed, or received), the queue's order. */
  at: Date
  /** `at` at full precision, for the cursor. */
  at_text: string
  order_id: string | null
  refund_id: string | null
  return_id: string | null
  notification_id: string | null
  cip: string | null
  amount: string | null
  currency_code: string | null
  status: string
  detail: string | null
  anomaly: string | null
}

export type NotificationRow = {
  id: string
  key: string
  event_type: string
  cip: string | null
  refund_id: string | null
  status: string
  error: string | null
  deliveries: number
  payload: unknown
  created_at: Date
  updated_at: Date
  at_text: string
}

export type Cursor = { at: string; key: string }

/** The PagoEfectivo payment of a CIP (its session's data holds the CIP number). */
export type CipPayment = {
  payment_id: string
  payment_session_id: string | null
  payment_collection_id: string
  order_id: string | null
  currency_code: string
  amount: string
  captured: boolean
}

const PE_PAYMENT = `p.provider_id LIKE '${PROVIDER_ID_PREFIX}%' AND p.deleted_at IS NULL`
/** A Medusa Refund row or a refund order transaction of `r`'s refund still stands. */
const STILL_COUNTED = `(EXISTS (SELECT 1 FROM refund m WHERE m.id = r.refund_id AND m.deleted_at IS NULL)
  OR EXISTS (SELECT 1 FROM order_transaction t WHERE t.reference = 'refund' AND t.reference_id = r.refund_id AND t.deleted_at IS NULL))`

export class OperationsQueries {
  constructor(private readonly db: Knex) {}

  /**
   * One page of the needs-attention queue, oldest first, keyset-paged on (at, key): one row per
   * refund record (its most pressing reason), per return refund in error, and per refund made in
   * PagoEfectivo's panel (a refund.completed left unmatched) for a CIP whose payment this store has,
   * and per late payment of a replaced CIP (an overpayment) until its refund completes.
   */
  async attention(unconfirmedAfterMinutes: number, after: Cursor | null, limit: number): Promise<AttentionRow[]> {
    const { rows } = await this.db.raw(
      `WITH refunds AS (
         SELECT r.*, (r.status = ANY(:dead) AND ${STILL_COUNTED}) AS counted_dead
         FROM pagoefectivo_refund r
         WHERE r.deleted_at IS NULL
           AND (r.anomaly IS NOT NULL OR r.status = 'awaiting_transfer' OR r.status = ANY(:dead)
             OR (r.status IN ('requested', 'verifying') AND r.requested_at < now() - make_interval(secs => :secs)))
       ),
       outside AS (
         SELECT n.* FROM pagoefectivo_notification n
         WHERE n.deleted_at IS NULL AND n.event_type = 'refund.completed' AND n.status = 'unmatched' AND n.cip IS NOT NULL
       ),
       payments AS (
         SELECT DISTINCT ON (p.data->>'cip') p.data->>'cip' AS cip, opc.order_id
         FROM payment p LEFT JOIN order_payment_collection opc ON opc.payment_collection_id = p.payment_collection_id AND opc.deleted_at IS NULL
         WHERE ${PE_PAYMENT} AND p.data->>'cip' IN (SELECT cip FROM outside)
         ORDER BY p.data->>'cip', p.captured_at DESC NULLS LAST
       ),
       items AS (
         SELECT CASE
                  WHEN r.counted_dead THEN 'counted_failed'
                  WHEN r.status = 'awaiting_transfer' THEN 'awaiting_transfer'
                  WHEN r.status IN ('requested', 'verifying') AND r.requested_at < now() - make_interval(secs => :secs) THEN 'unconfirmed'
                  ELSE 'anomaly'
                END AS kind,
                'refund:' || r.refund_id AS key, r.requested_at AS at, r.order_id, r.refund_id, NULL::text AS return_id,
                NULL::text AS notification_id, r.cip, r.amount::text AS amount, r.currency_code, r.status::text AS status,
                coalesce(r.failure_reason, r.reversal_note) AS detail, r.anomaly
         FROM refunds r WHERE r.counted_dead OR r.anomaly IS NOT NULL OR NOT (r.status = ANY(:dead))
         UNION ALL
         SELECT 'return_error', 'return:' || q.return_id, q.updated_at, q.order_id, q.refund_id, q.return_id, NULL, NULL,
                coalesce(q.amount, q.requested_amount), q.currency_code, q.status::text, q.message, NULL
         FROM pagoefectivo_refund_request q
         WHERE q.deleted_at IS NULL AND q.source = 'return' AND q.status = 'error'
         UNION ALL
         SELECT 'outside', 'outside:' || n.id, n.created_at, pay.order_id, n.refund_id, NULL, n.id, n.cip,
                n.payload->'data'->>'amount', upper(n.payload->'data'->>'currency'), n.status::text, n.error, NULL
         FROM outside n JOIN payments pay ON pay.cip = n.cip
         UNION ALL
         SELECT 'overpayment', 'overpayment:' || c.cip, coalesce(c.paid_at, c.updated_at), c.order_id, c.refund_id, NULL, NULL, c.cip,
                c.amount, c.currency_code, coalesce(c.refund_status::text, 'overpaid'), c.refund_error, NULL
         FROM pagoefectivo_cip c
         WHERE c.deleted_at IS NULL AND c.status = 'overpaid' AND (c.refund_status IS NULL OR c.refund_status <> 'completed')
       )
       SELECT *, at::text AS at_text FROM items
       WHERE (CAST(:after_at AS timestamptz) IS NULL OR (at, key) > (CAST(:after_at AS timestamptz), :after_key))
       ORDER BY at, key
       LIMIT :limit`,
      { dead: DEAD_STATUSES, secs: unconfirmedAfterMinutes * 60, after_at: after?.at ?? null, after_key: after?.key ?? null, limit }
    )
    return rows
  }

  /**
   * One page of stored notifications in these statuses, newest first, keyset-paged on
   * (created_at, id) descending. The payload is the parsed body PagoEfectivo signed: it holds no
   * credential, and the signature itself is never stored.
   */
  async notifications(statuses: string[], after: Cursor | null, limit: number): Promise<NotificationRow[]> {
    const { rows } = await this.db.raw(
      `SELECT id, key, event_type, cip, refund_id, status, error, deliveries, payload, created_at, updated_at, created_at::text AS at_text
       FROM pagoefectivo_notification
       WHERE deleted_at IS NULL AND status = ANY(:statuses)
         AND (CAST(:after_at AS timestamptz) IS NULL OR (created_at, id) < (CAST(:after_at AS timestamptz), :after_key))
       ORDER BY created_at DESC, id DESC
       LIMIT :limit`,
      { statuses, after_at: after?.at ?? null, after_key: after?.key ?? null, limit }
    )
    return rows
  }

  /** When the last notification arrived (the first delivery of the newest one), or null. */
  async lastNotificationAt(): Promise<Date | null> {
    const { rows } = await this.db.raw(`SELECT max(created_at) AS at FROM pagoefectivo_notification WHERE deleted_at IS NULL`)
    return rows[0]?.at ?? null
  }

  /** The PagoEfectivo payment that holds this CIP (the captured one first), or null: a CIP this store does not know. */
  async paymentOfCip(cip: string): Promise<CipPayment | null> {
    const { rows } = await this.db.raw(
      `SELECT p.id AS payment_id, p.payment_session_id, p.payment_collection_id, opc.order_id, p.currency_code,
              coalesce((p.raw_amount->>'value')::numeric, p.amount)::text AS amount, p.captured_at IS NOT NULL AS captured
       FROM payment p LEFT JOIN order_payment_collection opc ON opc.payment_collection_id = p.payment_collection_id AND opc.deleted_at IS NULL
       WHERE ${PE_PAYMENT} AND p.data->>'cip' = ?
       ORDER BY p.captured_at DESC NULLS LAST, p.created_at DESC
       LIMIT 1`,
      [cip]
    )
    return rows[0] ?? null
  }

  /** Whether Medusa still counts this refund (its Refund row or a refund order transaction stands). */
  async countedByMedusa(refundId: string): Promise<boolean> {
    const { rows } = await this.db.raw(`SELECT ${STILL_COUNTED} AS counted FROM (SELECT ?::text AS refund_id) r`, [refundId])
    return !!rows[0]?.counted
  }
}

/** A cursor as the list routes hand it out: opaque, URL-safe. */
export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.at, c.key]), "utf8").toString("base64url")
}

/** The cursor a list route was given back, or null when it is not one of ours. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const parsed = JSON.parse(Buffer.from(text, "base64url").toString("utf8"))
    if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string") return null
    if (!isTimestamp(parsed[0]) || !isStorableKey(parsed[1])) return null
    return { at: parsed[0], key: parsed[1] }
  } catch {
    return null
  }
}

/**
 * A timestamp as PostgreSQL writes one (`2026-12-01 17:07:17.123456+00`) that names a real instant
 * PostgreSQL's timestamptz can hold: years 0001-9999 (there is no year 0000), a real day of the
 * month and time of day, an offset of at most ±15:59 (PostgreSQL refuses more).
 */
function isTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?(?:([+-])(\d{2})(?::?(\d{2}))?|Z)$/.exec(text)
  if (!m) return false
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number)
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate()
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour < 24 && minute < 60 && second < 60 && (m[9] === undefined || Number(m[9]) <= 15) && (m[10] === undefined || Number(m[10]) < 60)
}

/** A row key PostgreSQL's text holds as it is: at most 200 characters, no U+0000, no lone surrogate. */
function isStorableKey(key: string): boolean {
  return key.length <= 200 && !UNSTORABLE.test(key)
}
