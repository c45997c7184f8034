import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { AttemptRecord } from "../../lib/pagoefectivo"
import {
  AWAITING_GATEWAY_STATUSES,
  COUNTED_STATUSES,
  type GatewayAnswer,
  OPEN_REFUND_STATUSES,
  type RefundRecordStatus,
  answerVerdict,
} from "../../lib/refund-status"

export {
  AWAITING_GATEWAY_STATUSES,
  CONFIRMED_STATUSES,
  COUNTED_STATUSES,
  DEAD_STATUSES,
  OPEN_REFUND_STATUSES,
  answerVerdict,
} from "../../lib/refund-status"
export type { GatewayAnswer } from "../../lib/refund-status"

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
  /**
   * While in the future, a refund call may be under way (or PagoEfectivo may still be processing
   * it): nobody judges the record. Once past, when the call ended (null: no call was made).
   */
  call_lease_until: Date | null
  /** The credit line owed with an order transaction the plugin booked, until it is written. */
  credit_line_owed: string | null
  /** "outside": made in PagoEfectivo's own panel and recorded in Medusa afterwards (see outside-refunds.ts). */
  origin: "medusa" | "outside"
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

export type BeginChecks = {
  /** What the shopper paid on the CIP (decimal string): counted refunds never pass it. */
  paid: string
  /** Same amount on the same CIP within this many seconds is a double click (0: off). */
  duplicateGuardSeconds: number
  /** The call lease the new record starts with (see RefundRecord.call_lease_until). */
  leaseSeconds: number
}

export type BeginResult =
  | { kind: "created" | "existing"; record: RefundRecord }
  /** Counted refunds plus this one would pass what was paid. */
  | { kind: "above_refundable"; counted: string }
  /** The same amount on the same CIP was asked for a moment ago. */
  | { kind: "double_click"; recent: RefundRecord }
  /**
   * Another refund of the CIP is still under way, or Medusa has not booked it (its Refund row or
   * order transaction is missing): a second refund now could repeat it, and Medusa's refund
   * workflow would book the first one with the second one's amount.
   */
  | { kind: "unbooked"; other: Pick<RefundRecord, "refund_id" | "status"> & { in_flight: boolean } }

/** Whether the record's call lease still runs (by the clock given, the database's where it matters). */
export function leaseHeld(r: Pick<RefundRecord, "call_lease_until">, now = new Date()): boolean {
  return !!r.call_lease_until && new Date(r.call_lease_until).getTime() > now.getTime()
}

const TABLE = "pagoefectivo_refund"

/**
 * The refund records, written with plain SQL on the shared PostgreSQL connection. The payment
 * provider uses it because it lives in the Payment module's container (it cannot resolve the
 * `pagoefectivo` module) and because its writes must commit on their own, whatever Medusa does
 * after the provider returns: Medusa 2.21 commits its Refund row before calling the provider and
 * books the order after it returns, outside any transaction of ours (see docs/how-it-works.md, "Why no refund is
 * forgotten or doubled").
 */
export class RefundLedger {
  constructor(private readonly db: Knex) {}

  /**
   * Checks and writes the record of a refund about to be sent, in one transaction serialized per
   * CIP (an advisory lock), so that two refunds of one CIP never both pass a check the other
   * makes false: the counted refunds plus this one stay within what was paid, and the same
   * amount asked for again within `duplicateGuardSeconds` is refused as a double click. The record
   * starts "requested" with its call lease held. A record already written for this refund id is
   * answered as it is (a retry of the same refund). Refunds of one CIP go one at a time: none while
   * another is under way or not booked in Medusa yet. The double-click guard does not apply while a
   * keyed refund of the payment (a return, a batch line) runs: those are deliberate.
   */
  async begin(record: NewRefundRecord, checks: BeginChecks): Promise<BeginResult> {
    return this.underCipChecks(record, checks.paid, async (trx) => {
      if (checks.duplicateGuardSeconds > 0) {
        const { rows: recent } = await trx.raw(
          `SELECT * FROM ${TABLE}
           WHERE cip = ? AND amount = ?::numeric AND deleted_at IS NULL AND status = ANY(?)
             AND requested_at > now() - make_interval(secs => ?)
             AND NOT EXISTS (SELECT 1 FROM pagoefectivo_refund_request q
                             WHERE q.payment_id = ? AND q.status = 'running' AND q.deleted_at IS NULL)
           ORDER BY requested_at DESC LIMIT 1`,
          [record.cip, record.amount, COUNTED_STATUSES, checks.duplicateGuardSeconds, record.payment_id]
        )
        if (recent.length) return { kind: "double_click" as const, recent: recent[0] }
      }

      const { rows: unbooked } = await trx.raw(
        `SELECT r.refund_id, r.status, coalesce(r.call_lease_until > now(), false) AS in_flight FROM ${TABLE} r
         WHERE r.cip = ? AND r.refund_id <> ? AND r.deleted_at IS NULL AND r.status = ANY(?)
           AND (r.call_lease_until > now()
             OR NOT EXISTS (SELECT 1 FROM refund m WHERE m.id = r.refund_id AND m.deleted_at IS NULL)
             OR (r.order_id IS NOT NULL AND NOT EXISTS (
                   SELECT 1 FROM order_transaction t
                   WHERE t.reference = 'refund' AND t.reference_id IN (r.refund_id, r.payment_id) AND t.deleted_at IS NULL)))
         ORDER BY r.requested_at LIMIT 1`,
        [record.cip, record.refund_id, COUNTED_STATUSES]
      )
      if (unbooked.length) return { kind: "unbooked" as const, other: unbooked[0] }

      const { rows } = await trx.raw(
        `INSERT INTO ${TABLE} (id, refund_id, payment_id, payment_session_id, payment_collection_id, order_id,
            merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, reason, attempts,
            requested_at, call_lease_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'requested', ?, '[]'::jsonb, now(), now() + make_interval(secs => ?))
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
          checks.leaseSeconds,
        ]
      )
      return { kind: "created" as const, record: rows[0] }
    })
  }

  /**
   * The checks every new record passes, in one transaction serialized per CIP (an advisory lock),
   * then `write`: a record already written for this refund id is answered as it is (a retry of the
   * same refund), and the counted refunds plus this one must stay within what was paid. begin and
   * the records of refunds made outside Medusa (outside-refunds.ts) both go through it, so that the
   * two never pass the paid amount together.
   */
  async underCipChecks<R>(
    record: Pick<NewRefundRecord, "refund_id" | "cip" | "amount">,
    paid: string,
    write: (trx: Knex.Transaction) => Promise<R>
  ): Promise<R | { kind: "existing"; record: RefundRecord } | { kind: "above_refundable"; counted: string }> {
    return this.db.transaction(async (trx) => {
      await trx.raw(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, [`pagoefectivo_refund:cip:${record.cip}`])
      const existing = await trx.raw(`SELECT * FROM ${TABLE} WHERE refund_id = ? AND deleted_at IS NULL`, [record.refund_id])
      if (existing.rows.length) return { kind: "existing" as const, record: existing.rows[0] }

      const { rows: counted } = await trx.raw(
        `SELECT coalesce(sum(amount), 0)::text AS total, coalesce(sum(amount), 0) + ?::numeric > ?::numeric AS above
         FROM ${TABLE} WHERE cip = ? AND deleted_at IS NULL AND status = ANY(?)`,
        [record.amount, paid, record.cip, COUNTED_STATUSES]
      )
      if (counted[0].above) return { kind: "above_refundable" as const, counted: counted[0].total }
      return write(trx)
    })
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
   * Every record whose refund belongs to these books: an order's, or (for a payment collection no
   * order owns) the collection's. The convergence computes Medusa's rows from them.
   */
  async forBooks(books: { order_id: string | null; payment_collection_id: string | null }): Promise<RefundRecord[]> {
    const { rows } = await this.db.raw(
      books.order_id
        ? `SELECT * FROM ${TABLE} WHERE order_id = ? AND deleted_at IS NULL ORDER BY requested_at, id`
        : `SELECT * FROM ${TABLE} WHERE order_id IS NULL AND payment_collection_id = ? AND deleted_at IS NULL ORDER BY requested_at, id`,
      [books.order_id ?? books.payment_collection_id]
    )
    return rows
  }

  /** The records of a payment's refunds (one query on the payment_id index). */
  async forPayment(paymentId: string): Promise<RefundRecord[]> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE payment_id = ? AND deleted_at IS NULL`, [paymentId])
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

  /**
   * settle, answering the record only when this call moved it (null: unknown, final already, or,
   * with `unlessLeased`, a record whose call lease still runs on the database's clock: a verdict of
   * ours, such as "never received", must not be written while the call may be under way).
   */
  async settleIfOpen(refundId: string, settlement: RefundSettlement, { unlessLeased = false } = {}): Promise<RefundRecord | null> {
    const final = !OPEN_REFUND_STATUSES.includes(settlement.status)
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} SET status = ?,
          reference_id = coalesce(?, reference_id), trace_id = coalesce(?, trace_id),
          correlation_id = coalesce(?, correlation_id), failure_code = ?, failure_reason = ?,
          bank_reference = coalesce(?, bank_reference), settled_by = coalesce(?, settled_by),
          settled_at = CASE WHEN ? THEN now() ELSE settled_at END, updated_at = now()
       WHERE refund_id = ? AND deleted_at IS NULL AND status = ANY(?)
         AND (NOT ?::boolean OR call_lease_until IS NULL OR call_lease_until <= now())
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
        unlessLeased,
      ]
    )
    return rows[0] ?? null
  }

  /**
   * Records PagoEfectivo's answer to the refund call itself (see answerVerdict) and ends the
   * call's lease, under the record's row lock so that a notification settling it meanwhile is
   * decided against, not overwritten.
   */
  async settleAnswer(refundId: string, answer: GatewayAnswer): Promise<RefundRecord | null> {
    return this.db.transaction(async (trx) => {
      const { rows } = await trx.raw(`SELECT * FROM ${TABLE} WHERE refund_id = ? AND deleted_at IS NULL FOR UPDATE`, [refundId])
      const record: RefundRecord | undefined = rows[0]
      if (!record) return null
      const { status, anomaly } = answerVerdict(record, answer)
      const moved = status !== record.status
      const { rows: updated } = await trx.raw(
        `UPDATE ${TABLE} SET status = ?, reference_id = coalesce(?, reference_id), trace_id = coalesce(?, trace_id),
            correlation_id = coalesce(?, correlation_id),
            failure_code = CASE WHEN ?::boolean THEN ? ELSE failure_code END,
            failure_reason = CASE WHEN ?::boolean THEN ? ELSE failure_reason END,
            settled_at = CASE WHEN ?::boolean THEN now() ELSE settled_at END,
            anomaly = coalesce(?, anomaly), call_lease_until = now(), updated_at = now()
         WHERE id = ? RETURNING *`,
        [
          status,
          answer.reference_id ?? null,
          answer.trace_id ?? null,
          answer.correlation_id ?? null,
          moved,
          status === "rejected" ? "rejected" : null,
          moved,
          status === "rejected" ? (answer.failure_reason ?? "rejected by PagoEfectivo") : null,
          moved && (status === "completed" || status === "rejected"),
          anomaly,
          record.id,
        ]
      )
      return updated[0]
    })
  }

  /** Holds (or renews) the record's call lease for `seconds` from now, on the database's clock. */
  async holdLease(refundId: string, seconds: number): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET call_lease_until = now() + make_interval(secs => ?) WHERE refund_id = ? AND deleted_at IS NULL`,
      [seconds, refundId]
    )
  }

  /** Ends the record's call lease now (its call returned a definite answer): it then says when the call ended. */
  async releaseLease(refundId: string): Promise<void> {
    await this.db.raw(`UPDATE ${TABLE} SET call_lease_until = now() WHERE refund_id = ? AND deleted_at IS NULL`, [refundId])
  }

  /**
   * Notes, after the convergence did it, which refunds Medusa counts no more (their Medusa rows
   * are gone) and which it counts again. Informational (the panel shows it): whether a refund is
   * counted is always read from Medusa's rows.
   */
  async noteCounted(counted: string[], notCounted: { refund_id: string; note: string }[]): Promise<void> {
    if (counted.length) {
      await this.db.raw(
        `UPDATE ${TABLE} SET reversed_at = NULL, reversal_note = NULL, updated_at = now()
         WHERE refund_id = ANY(?) AND reversed_at IS NOT NULL AND deleted_at IS NULL`,
        [counted]
      )
    }
    for (const { refund_id, note } of notCounted) {
      await this.db.raw(
        `UPDATE ${TABLE} SET reversed_at = now(), reversal_note = ?, updated_at = now()
         WHERE refund_id = ? AND reversed_at IS NULL AND deleted_at IS NULL`,
        [note.slice(0, 500), refund_id]
      )
    }
  }

  /** The credit line owed with a transaction the plugin books (null once written). */
  async oweCreditLine(refundId: string, amount: string | null): Promise<void> {
    await this.db.raw(`UPDATE ${TABLE} SET credit_line_owed = ?, updated_at = now() WHERE refund_id = ? AND deleted_at IS NULL`, [amount, refundId])
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
   * One page of records the reconciliation asks PagoEfectivo about, oldest first, keyset-paged by
   * id: those still waiting for its word, untouched for `olderThanMinutes` (fractions allowed),
   * whose call lease has run out.
   */
  async listForReconciliation(olderThanMinutes: number, afterId: string | null, limit: number): Promise<RefundRecord[]> {
    const { rows } = await this.db.raw(
      `SELECT * FROM ${TABLE}
       WHERE deleted_at IS NULL
         AND status = ANY(?)
         AND updated_at < now() - make_interval(secs => ?)
         AND (call_lease_until IS NULL OR call_lease_until <= now())
         AND (?::text IS NULL OR id > ?)
       ORDER BY id
       LIMIT ?`,
      [AWAITING_GATEWAY_STATUSES, olderThanMinutes * 60, afterId, afterId, limit]
    )
    return rows
  }

  /**
   * The refunds of a payment requested at or after `since` (newest first): what a keyed refund
   * made, found again after its run (see src/lib/refunds/refund-once.ts).
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
