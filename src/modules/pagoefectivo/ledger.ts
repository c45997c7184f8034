import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { AttemptRecord } from "../../lib/pagoefectivo"
import type { RefundRecordStatus } from "./models/refund"

export type RefundRecord = {
  id: string
  refund_id: string
  payment_id: string | null
  payment_session_id: string | null
  payment_collection_id: string | null
  order_id: string | null
  merchant_order_id: string
  cip: string
  transaction_code: string
  amount: string
  currency_code: string
  status: RefundRecordStatus
  reason: string | null
  reference_id: string | null
  trace_id: string | null
  correlation_id: string | null
  failure_code: string | null
  failure_reason: string | null
  attempts: AttemptRecord[] | null
  requested_at: Date
  settled_at: Date | null
  reversed_at: Date | null
  reversal_note: string | null
  anomaly: string | null
  bank_reference: string | null
  settled_by: string | null
  created_at: Date
  updated_at: Date
}

export type NewRefundRecord = Pick<
  RefundRecord,
  | "refund_id"
  | "payment_id"
  | "payment_session_id"
  | "payment_collection_id"
  | "order_id"
  | "merchant_order_id"
  | "cip"
  | "transaction_code"
  | "currency_code"
  | "reason"
> & { amount: string }

export type RefundSettlement = {
  status: RefundRecordStatus
  reference_id?: string | null
  trace_id?: string | null
  correlation_id?: string | null
  failure_code?: string | null
  failure_reason?: string | null
  /** Manual refunds: the bank transfer's reference and the admin user who settled it. */
  bank_reference?: string | null
  settled_by?: string | null
}

/** Statuses waiting for PagoEfectivo's word (its answer, notification or status query). */
export const AWAITING_GATEWAY_STATUSES: RefundRecordStatus[] = ["requested", "pending", "verifying"]
/** Statuses that a later answer may still change (PagoEfectivo's, or staff's for a bank transfer). */
export const OPEN_REFUND_STATUSES: RefundRecordStatus[] = [...AWAITING_GATEWAY_STATUSES, "awaiting_transfer"]
/** Statuses whose money is (or may be) on its way back to the shopper. */
export const COUNTED_STATUSES: RefundRecordStatus[] = [...OPEN_REFUND_STATUSES, "completed"]

/**
 * What the reconciliation (and the admin's "Check status now") may settle: a record waiting for
 * PagoEfectivo, or a rejected/failed one that Medusa still counts. listForReconciliation's SQL
 * selects the same.
 */
export function needsReconciliation(r: Pick<RefundRecord, "status" | "reversed_at">): boolean {
  return AWAITING_GATEWAY_STATUSES.includes(r.status) || ((r.status === "rejected" || r.status === "failed") && !r.reversed_at)
}

const TABLE = "pagoefectivo_refund"

/**
 * The refund records, written with plain SQL on the shared PostgreSQL connection. The payment
 * provider uses it because it lives in the Payment module's container (it cannot resolve the
 * `pagoefectivo` module) and because its writes must commit on their own, outside the Payment
 * module's transaction: that transaction rolls back when the provider throws and never commits
 * when the process dies, while the refund at PagoEfectivo may have happened.
 */
export class RefundLedger {
  constructor(private readonly db: Knex) {}

  /** Inserts the record (status "requested") or returns the existing one for this refund id. */
  async begin(record: NewRefundRecord): Promise<{ record: RefundRecord; created: boolean }> {
    const { rows } = await this.db.raw(
      `INSERT INTO ${TABLE} (id, refund_id, payment_id, payment_session_id, payment_collection_id, order_id,
          merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, reason, attempts, requested_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'requested', ?, '[]'::jsonb, now())
       ON CONFLICT (refund_id) WHERE deleted_at IS NULL DO NOTHING
       RETURNING *`,
      [
        generateEntityId(undefined, "perefund"),
        record.refund_id,
        record.payment_id,
        record.payment_session_id,
        record.payment_collection_id,
        record.order_id,
        record.merchant_order_id,
        record.cip,
        record.transaction_code,
        record.amount,
        JSON.stringify({ value: record.amount, precision: 20 }),
        record.currency_code,
        record.reason,
      ]
    )
    if (rows.length) return { record: rows[0], created: true }
    return { record: (await this.get(record.refund_id))!, created: false }
  }

  async get(refundId: string): Promise<RefundRecord | null> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE refund_id = ? AND deleted_at IS NULL`, [refundId])
    return rows[0] ?? null
  }

  async getMany(refundIds: string[]): Promise<RefundRecord[]> {
    if (!refundIds.length) return []
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE refund_id = ANY(?) AND deleted_at IS NULL`, [refundIds])
    return rows
  }

  /**
   * Completes many records in one statement (PagoEfectivo said "completed" for each): only those
   * still waiting for PagoEfectivo's word (requested, pending, verifying) move. Returns them.
   */
  async completeMany(completions: { refund_id: string; reference_id?: string | null; trace_id?: string | null }[]): Promise<RefundRecord[]> {
    if (!completions.length) return []
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} AS r SET status = 'completed',
          reference_id = coalesce(v.reference_id, r.reference_id), trace_id = coalesce(v.trace_id, r.trace_id),
          failure_code = NULL, failure_reason = NULL, settled_at = now(), updated_at = now()
       FROM jsonb_to_recordset(?::jsonb) AS v(refund_id text, reference_id text, trace_id text)
       WHERE r.refund_id = v.refund_id AND r.deleted_at IS NULL AND r.status = ANY(?)
       RETURNING r.*`,
      [JSON.stringify(completions.map((c) => ({ refund_id: c.refund_id, reference_id: c.reference_id ?? null, trace_id: c.trace_id ?? null }))), AWAITING_GATEWAY_STATUSES]
    )
    return rows
  }

  async appendAttempt(refundId: string, attempt: AttemptRecord): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET attempts = coalesce(attempts, '[]'::jsonb) || ?::jsonb, updated_at = now()
       WHERE refund_id = ? AND deleted_at IS NULL`,
      [JSON.stringify([attempt]), refundId]
    )
  }

  /**
   * Moves an open record to `settlement.status`. A record already final (completed, rejected,
   * failed) is left as it is: the first final answer wins. Returns the record as stored.
   */
  async settle(refundId: string, settlement: RefundSettlement): Promise<RefundRecord | null> {
    return (await this.settleIfOpen(refundId, settlement)) ?? (await this.get(refundId))
  }

  /** settle, answering the record only when this call moved it (null: unknown, or final already). */
  async settleIfOpen(refundId: string, settlement: RefundSettlement): Promise<RefundRecord | null> {
    const final = !OPEN_REFUND_STATUSES.includes(settlement.status)
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} SET status = ?,
          reference_id = coalesce(?, reference_id), trace_id = coalesce(?, trace_id),
          correlation_id = coalesce(?, correlation_id), failure_code = ?, failure_reason = ?,
          bank_reference = coalesce(?, bank_reference), settled_by = coalesce(?, settled_by),
          settled_at = CASE WHEN ? THEN now() ELSE settled_at END, updated_at = now()
       WHERE refund_id = ? AND deleted_at IS NULL AND status = ANY(?)
       RETURNING *`,
      [
        settlement.status,
        settlement.reference_id ?? null,
        settlement.trace_id ?? null,
        settlement.correlation_id ?? null,
        settlement.failure_code ?? null,
        settlement.failure_reason ?? null,
        settlement.bank_reference ?? null,
        settlement.settled_by ?? null,
        final,
        refundId,
        OPEN_REFUND_STATUSES,
      ]
    )
    return rows[0] ?? null
  }

  /**
   * Marks that Medusa does not count this refund (its call failed, or a rejection undid it).
   * Only the first call wins: it returns the record, later calls null.
   */
  async markReversed(refundId: string, note: string): Promise<RefundRecord | null> {
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} SET reversed_at = now(), reversal_note = ?, updated_at = now()
       WHERE refund_id = ? AND deleted_at IS NULL AND reversed_at IS NULL AND status IN ('rejected', 'failed')
       RETURNING *`,
      [note, refundId]
    )
    return rows[0] ?? null
  }

  /** Compensation of markReversed. */
  async unmarkReversed(refundId: string): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET reversed_at = NULL, reversal_note = NULL, updated_at = now() WHERE refund_id = ? AND deleted_at IS NULL`,
      [refundId]
    )
  }

  /** Records a result that contradicts a final one (never applied). */
  async noteAnomaly(refundId: string, anomaly: string): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET anomaly = ?, updated_at = now() WHERE refund_id = ? AND deleted_at IS NULL`,
      [anomaly.slice(0, 1000), refundId]
    )
  }

  /** Puts a settled record back as it was (workflow compensation). */
  async restore(previous: RefundRecord): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET status = ?, reference_id = ?, trace_id = ?, failure_code = ?, failure_reason = ?,
          bank_reference = ?, settled_by = ?, settled_at = ?, updated_at = now()
       WHERE refund_id = ? AND deleted_at IS NULL`,
      [
        previous.status,
        previous.reference_id,
        previous.trace_id,
        previous.failure_code,
        previous.failure_reason,
        previous.bank_reference ?? null,
        previous.settled_by ?? null,
        previous.settled_at,
        previous.refund_id,
      ]
    )
  }

  /**
   * One page of records the reconciliation must look at, oldest first, keyset-paged by id: open
   * ones untouched for `olderThanMinutes`, and rejected/failed ones Medusa may still count.
   */
  async listForReconciliation(olderThanMinutes: number, afterId: string | null, limit: number): Promise<RefundRecord[]> {
    const { rows } = await this.db.raw(
      `SELECT * FROM ${TABLE}
       WHERE deleted_at IS NULL
         AND updated_at < now() - make_interval(mins => ?)
         AND (status = ANY(?) OR (status IN ('rejected', 'failed') AND reversed_at IS NULL))
         AND (?::text IS NULL OR id > ?)
       ORDER BY id
       LIMIT ?`,
      [olderThanMinutes, AWAITING_GATEWAY_STATUSES, afterId, afterId, limit]
    )
    return rows
  }

  /**
   * The refunds of a payment requested at or after `since` (newest first): what a keyed refund
   * made, found again after its run (see src/workflows/refund-once.ts).
   */
  async madeSince(paymentId: string, since: Date): Promise<RefundRecord[]> {
    const { rows } = await this.db.raw(
      `SELECT * FROM ${TABLE} WHERE payment_id = ? AND requested_at >= ? AND deleted_at IS NULL ORDER BY requested_at DESC`,
      [paymentId, since]
    )
    return rows
  }

  /**
   * One page of the refunds requested in [from, to), oldest first, keyset-paged by (requested_at,
   * id) on the requested_at index, for the finance export: memory stays at one page whatever the
   * range. `cursor` is the previous page's last row's `cursor` (its requested_at at full
   * microsecond precision, which a JS Date would lose).
   */
  async pageForExport(
    from: Date,
    to: Date,
    after: { cursor: string; id: string } | null,
    limit: number
  ): Promise<(RefundRecord & { cursor: string })[]> {
    const { rows } = await this.db.raw(
      `SELECT id, refund_id, payment_id, order_id, cip, amount, currency_code, status, reason, reference_id, trace_id,
              failure_reason, bank_reference, requested_at, settled_at, reversed_at, requested_at::text AS cursor
       FROM ${TABLE}
       WHERE deleted_at IS NULL AND requested_at >= ? AND requested_at < ?
         AND (?::timestamptz IS NULL OR (requested_at, id) > (?::timestamptz, ?))
       ORDER BY requested_at, id
       LIMIT ?`,
      [from, to, after?.cursor ?? null, after?.cursor ?? null, after?.id ?? null, limit]
    )
    return rows
  }

  /** The refund's reason (a batch line's or a return's), for the record and the finance export. */
  async setReason(refundId: string, reason: string): Promise<void> {
    await this.db.raw(`UPDATE ${TABLE} SET reason = ?, updated_at = now() WHERE refund_id = ? AND deleted_at IS NULL`, [reason.slice(0, 500), refundId])
  }

  /** Leaves a record alone until the next round (it was checked and is still open). */
  async touch(refundId: string): Promise<void> {
    await this.db.raw(`UPDATE ${TABLE} SET updated_at = now() WHERE refund_id = ? AND deleted_at IS NULL`, [refundId])
  }

  /** What has been refunded (or may be on its way) for a CIP, as a decimal string. */
  async countedTotal(cip: string): Promise<string> {
    const { rows } = await this.db.raw(
      `SELECT coalesce(sum(amount), 0)::text AS total FROM ${TABLE}
       WHERE cip = ? AND deleted_at IS NULL AND status = ANY(?)`,
      [cip, COUNTED_STATUSES]
    )
    return rows[0].total
  }

  /** The latest counted refund of a payment with this exact amount, for the double-click guard. */
  async recentSameAmount(cip: string, amount: string, withinSeconds: number): Promise<RefundRecord | null> {
    const { rows } = await this.db.raw(
      `SELECT * FROM ${TABLE}
       WHERE cip = ? AND amount = ?::numeric AND deleted_at IS NULL AND status = ANY(?)
         AND requested_at > now() - make_interval(secs => ?)
       ORDER BY requested_at DESC LIMIT 1`,
      [cip, amount, COUNTED_STATUSES, withinSeconds]
    )
    return rows[0] ?? null
  }

  /**
   * Where a payment session belongs: its payment, payment collection and order. Read across the
   * Payment module's and the order link's tables because the provider is given none of these ids.
   */
  async locate(sessionId: string): Promise<{ payment_id: string | null; payment_collection_id: string | null; order_id: string | null }> {
    const { rows } = await this.db.raw(
      `SELECT p.id AS payment_id, ps.payment_collection_id, opc.order_id
       FROM payment_session ps
       LEFT JOIN payment p ON p.payment_session_id = ps.id AND p.deleted_at IS NULL
       LEFT JOIN order_payment_collection opc ON opc.payment_collection_id = ps.payment_collection_id AND opc.deleted_at IS NULL
       WHERE ps.id = ?
       LIMIT 1`,
      [sessionId]
    )
    return rows[0] ?? { payment_id: null, payment_collection_id: null, order_id: null }
  }
}
