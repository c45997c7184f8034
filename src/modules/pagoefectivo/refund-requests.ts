import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { RefundRequestStatus } from "./models/refund-request"

export type RefundRequestRow = {
  id: string
  key: string
  source: "return" | "batch"
  batch_key: string | null
  line: number | null
  return_id: string | null
  order_id: string | null
  payment_id: string | null
  requested_amount: string | null
  amount: string | null
  currency_code: string | null
  reason: string | null
  status: RefundRequestStatus
  refund_id: string | null
  message: string | null
  tries: number
  started_at: Date | null
  finished_at: Date | null
  created_at: Date
  updated_at: Date
}

export type NewRefundRequest = Pick<RefundRequestRow, "key" | "source"> &
  Partial<Pick<RefundRequestRow, "batch_key" | "line" | "return_id" | "order_id" | "payment_id" | "requested_amount" | "reason">>

export type RefundRequestOutcome = Partial<Pick<RefundRequestRow, "amount" | "currency_code" | "refund_id" | "message" | "payment_id" | "order_id">> & {
  status: Exclude<RefundRequestStatus, "running">
}

const TABLE = "pagoefectivo_refund_request"

/**
 * The keyed refund requests (returns, batch lines), written with plain SQL so that a claim is one
 * atomic statement: of two workers claiming the same key, exactly one gets the row.
 */
export class RefundRequests {
  constructor(private readonly db: Knex) {}

  /**
   * Claims `request.key`: inserts it as "running", or takes over an existing row that ended in
   * error (when `retryErrors`) or whose run went quiet for `staleAfterSeconds` (its process died).
   * Answers the row and whether this caller holds it; `previous` is the status taken over.
   */
  async claim(
    request: NewRefundRequest,
    { retryErrors, staleAfterSeconds }: { retryErrors: boolean; staleAfterSeconds: number }
  ): Promise<{ row: RefundRequestRow; claimed: boolean; previous: RefundRequestStatus | null }> {
    const { rows } = await this.db.raw(
      `WITH before AS (SELECT status FROM ${TABLE} WHERE key = ? AND deleted_at IS NULL)
       INSERT INTO ${TABLE} AS r (id, key, source, batch_key, line, return_id, order_id, payment_id, requested_amount, reason,
          status, tries, started_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'running', 1, now())
       ON CONFLICT (key) WHERE deleted_at IS NULL DO UPDATE
         SET status = 'running', tries = r.tries + 1, message = NULL, finished_at = NULL, updated_at = now(), refund_id = NULL, amount = NULL,
             payment_id = coalesce(r.payment_id, excluded.payment_id), order_id = coalesce(r.order_id, excluded.order_id)
         WHERE (r.status = 'error' AND ?::boolean) OR (r.status = 'running' AND r.updated_at < now() - make_interval(secs => ?))
       RETURNING r.*, (SELECT status FROM before) AS previous`,
      [
        request.key,
        generateEntityId(undefined, "perreq"),
        request.key,
        request.source,
        request.batch_key ?? null,
        request.line ?? null,
        request.return_id ?? null,
        request.order_id ?? null,
        request.payment_id ?? null,
        request.requested_amount ?? null,
        request.reason ?? null,
        retryErrors,
        staleAfterSeconds,
      ]
    )
    if (rows.length) {
      const { previous, ...row } = rows[0]
      return { row, claimed: true, previous: previous ?? null }
    }
    return { row: (await this.get(request.key))!, claimed: false, previous: null }
  }

  async get(key: string): Promise<RefundRequestRow | null> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE key = ? AND deleted_at IS NULL`, [key])
    return rows[0] ?? null
  }

  /** Keeps a claim alive (a long run is not taken for a dead one). */
  async heartbeat(key: string): Promise<void> {
    await this.db.raw(`UPDATE ${TABLE} SET updated_at = now() WHERE key = ? AND status = 'running' AND deleted_at IS NULL`, [key])
  }

  /** The database's clock (the refund records' requested_at is written by it). */
  async now(): Promise<Date> {
    const { rows } = await this.db.raw(`SELECT now() AS now`)
    return rows[0].now
  }

  /**
   * Records how the claimed run ended, if that run still holds the claim (`tries` is the count it
   * claimed with; a takeover increments it). Null when another run took it over.
   */
  async finish(key: string, outcome: RefundRequestOutcome, tries: number): Promise<RefundRequestRow | null> {
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} SET status = ?, amount = coalesce(?, amount), currency_code = coalesce(?, currency_code),
          refund_id = coalesce(?, refund_id), message = ?, payment_id = coalesce(?, payment_id), order_id = coalesce(?, order_id),
          finished_at = now(), updated_at = now()
       WHERE key = ? AND tries = ? AND status = 'running' AND deleted_at IS NULL
       RETURNING *`,
      [
        outcome.status,
        outcome.amount ?? null,
        outcome.currency_code ?? null,
        outcome.refund_id ?? null,
        outcome.message ?? null,
        outcome.payment_id ?? null,
        outcome.order_id ?? null,
        key,
        tries,
      ]
    )
    return rows[0] ?? null
  }

  /**
   * The requests whose refund was undone (rejected, never received, a failed transfer) end in
   * error, since nothing was refunded. Answers what they were, for a compensation.
   */
  async reopenUndone(refundId: string, message: string): Promise<{ key: string; status: string; message: string | null }[]> {
    const { rows } = await this.db.raw(
      `UPDATE ${TABLE} AS r SET status = 'error', message = ?, updated_at = now()
       FROM (SELECT key, status, message FROM ${TABLE} WHERE refund_id = ? AND status IN ('ok', 'pending') AND deleted_at IS NULL FOR UPDATE) AS before
       WHERE r.key = before.key
       RETURNING before.key, before.status, before.message`,
      [message.slice(0, 1000), refundId]
    )
    return rows
  }

  /**
   * A refund counted again after it was undone (a verdict PagoEfectivo overruled): the requests it
   * reopened say what was done again, so that a retry does not refund twice.
   */
  async revive(refundId: string, status: "ok" | "pending"): Promise<void> {
    await this.db.raw(
      `UPDATE ${TABLE} SET status = ?, message = ?, updated_at = now() WHERE refund_id = ? AND status = 'error' AND deleted_at IS NULL`,
      [status, `refund ${refundId} counts again: PagoEfectivo has it`, refundId]
    )
  }

  async restoreStatuses(previous: { key: string; status: string; message: string | null }[]): Promise<void> {
    for (const p of previous) {
      await this.db.raw(`UPDATE ${TABLE} SET status = ?, message = ?, updated_at = now() WHERE key = ? AND deleted_at IS NULL`, [p.status, p.message, p.key])
    }
  }

  /** Medusa refund ids some request already accounts for (so another request never adopts them). */
  async claimedRefundIds(refundIds: string[]): Promise<Set<string>> {
    if (!refundIds.length) return new Set()
    const { rows } = await this.db.raw(`SELECT refund_id FROM ${TABLE} WHERE refund_id = ANY(?) AND deleted_at IS NULL`, [refundIds])
    return new Set(rows.map((r: { refund_id: string }) => r.refund_id))
  }

  /**
   * Opens a batch under its key, or finds it: answers the items' hash it was first opened with
   * (a resubmission with other items must be refused).
   */
  async openBatch(batchKey: string, itemsHash: string, itemCount: number, createdBy: string | null): Promise<{ created: boolean; items_hash: string }> {
    const { rows } = await this.db.raw(
      `INSERT INTO pagoefectivo_refund_batch (id, batch_key, items_hash, item_count, created_by)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (batch_key) WHERE deleted_at IS NULL DO NOTHING
       RETURNING items_hash`,
      [generateEntityId(undefined, "perbatch"), batchKey, itemsHash, itemCount, createdBy]
    )
    if (rows.length) return { created: true, items_hash: rows[0].items_hash }
    const existing = await this.db.raw(`SELECT items_hash FROM pagoefectivo_refund_batch WHERE batch_key = ? AND deleted_at IS NULL`, [batchKey])
    return { created: false, items_hash: existing.rows[0].items_hash }
  }

  /** Return refunds whose run went quiet for `staleAfterSeconds` (their process died mid-run). */
  async listStaleReturns(staleAfterSeconds: number, limit: number): Promise<RefundRequestRow[]> {
    const { rows } = await this.db.raw(
      `SELECT * FROM ${TABLE} WHERE source = 'return' AND status = 'running' AND deleted_at IS NULL
         AND updated_at < now() - make_interval(secs => ?) ORDER BY updated_at LIMIT ?`,
      [staleAfterSeconds, limit]
    )
    return rows
  }

  async listByBatch(batchKey: string): Promise<RefundRequestRow[]> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE batch_key = ? AND deleted_at IS NULL ORDER BY line`, [batchKey])
    return rows
  }

  async listByReturn(returnId: string): Promise<RefundRequestRow[]> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE return_id = ? AND deleted_at IS NULL`, [returnId])
    return rows
  }

  async listByOrder(orderId: string): Promise<RefundRequestRow[]> {
    const { rows } = await this.db.raw(`SELECT * FROM ${TABLE} WHERE order_id = ? AND deleted_at IS NULL ORDER BY created_at`, [orderId])
    return rows
  }
}
