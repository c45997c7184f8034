import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { PROVIDER_ID_PREFIX } from "../../lib/pagoefectivo/provider-id"
import { CONFIRMED_STATUSES, DEAD_STATUSES } from "../../lib/refund-status"

/** `book`: the order id, else the payment collection id (the paging key). */
export type UnbalancedBooks = { book: string; order_id: string | null; payment_collection_id: string | null; why: string }

/** A numeric money value of Medusa's: its raw form (full precision) when there is one. */
const money = (raw: string, plain: string) => `coalesce((${raw}->>'value')::numeric, ${plain})`

/**
 * Finds the books (an order's, or a payment collection's no order owns) whose Medusa rows disagree
 * with the refund records, for the reconciliation's sweep. It reads Medusa 2.21's tables directly
 * (refund, payment, payment_collection, order_payment_collection, order_transaction,
 * order_summary) because the question is set-based and must stay cheap at any backlog; the books
 * themselves are only ever changed through Medusa's modules (src/lib/books/converge.ts).
 * A book is listed when:
 * - a rejected/failed refund still has its Refund row or an order transaction;
 * - a refund PagoEfectivo has (pending, completed, a bank transfer) lacks its Refund row, or its
 *   order has no single transaction of its amount for it (or a credit line is still owed), once
 *   Medusa had `graceSeconds` since the refund call ended to book it;
 * - an order transaction of a refund that does not stand: keyed by the payment id (Medusa's order
 *   cancellation), of another amount than its refund's, or of no refund of ours at all;
 * - a Refund row on a PagoEfectivo payment without a record, past the grace;
 * - a payment collection's refunded amount is not the sum of its Refund rows;
 * - an order's summary is not the sum of its transactions (paid, refunded, pending difference).
 * Keyset-paged on the book's id (the order id, else the collection id).
 */
export class BooksQueries {
  constructor(private readonly db: Knex) {}

  async unbalanced(graceSeconds: number, after: string | null, limit: number): Promise<UnbalancedBooks[]> {
    const { rows } = await this.db.raw(
      `WITH ours AS (
         SELECT r.*, coalesce(r.order_id, r.payment_collection_id) AS book
         FROM pagoefectivo_refund r WHERE r.deleted_at IS NULL AND coalesce(r.order_id, r.payment_collection_id) IS NOT NULL
       ),
       found AS (
         SELECT o.book, o.order_id, o.payment_collection_id, 'a rejected or failed refund still counted' AS why
         FROM ours o
         WHERE o.status = ANY(:dead)
           AND (EXISTS (SELECT 1 FROM refund m WHERE m.id = o.refund_id AND m.deleted_at IS NULL)
             OR EXISTS (SELECT 1 FROM order_transaction t WHERE t.reference = 'refund' AND t.reference_id = o.refund_id AND t.deleted_at IS NULL))
         UNION ALL
         SELECT o.book, o.order_id, o.payment_collection_id, 'a refund PagoEfectivo has that Medusa does not count'
         FROM ours o LEFT JOIN refund m ON m.id = o.refund_id
         WHERE o.status = ANY(:confirmed)
           AND coalesce(o.call_lease_until, o.requested_at) < now() - make_interval(secs => :grace)
           AND (m.id IS NULL OR m.deleted_at IS NOT NULL
             OR (o.order_id IS NOT NULL AND (SELECT count(*) FROM order_transaction t
                  WHERE t.reference = 'refund' AND t.reference_id = o.refund_id AND t.deleted_at IS NULL AND t.amount = -o.amount) <> 1)
             OR o.credit_line_owed IS NOT NULL)
         UNION ALL
         SELECT o.book, o.order_id, o.payment_collection_id, 'an order transaction of a refund that does not stand'
         FROM ours o
         JOIN order_transaction t ON t.order_id = o.order_id AND t.reference = 'refund' AND t.deleted_at IS NULL
         WHERE o.order_id IS NOT NULL
           AND (t.reference_id = o.payment_id
             OR (t.reference_id = o.refund_id AND o.status <> ALL(:dead) AND t.amount <> -o.amount)
             OR (NOT EXISTS (SELECT 1 FROM pagoefectivo_refund x WHERE x.refund_id = t.reference_id AND x.deleted_at IS NULL)
                 AND NOT EXISTS (SELECT 1 FROM payment p WHERE p.id = t.reference_id)
                 AND NOT EXISTS (SELECT 1 FROM refund m JOIN payment p ON p.id = m.payment_id
                                 WHERE m.id = t.reference_id AND p.provider_id NOT LIKE :ours_like)))
         UNION ALL
         SELECT coalesce(opc.order_id, p.payment_collection_id), opc.order_id, p.payment_collection_id, 'a Refund row of ours without a record'
         FROM refund m
         JOIN payment p ON p.id = m.payment_id AND p.provider_id LIKE :ours_like
         LEFT JOIN order_payment_collection opc ON opc.payment_collection_id = p.payment_collection_id AND opc.deleted_at IS NULL
         WHERE m.deleted_at IS NULL AND m.created_at < now() - make_interval(secs => :grace)
           AND NOT EXISTS (SELECT 1 FROM pagoefectivo_refund x WHERE x.refund_id = m.id AND x.deleted_at IS NULL)
         UNION ALL
         SELECT coalesce(opc.order_id, pc.id), opc.order_id, pc.id, 'a payment collection whose refunded amount is not its refunds'
         FROM payment_collection pc
         LEFT JOIN order_payment_collection opc ON opc.payment_collection_id = pc.id AND opc.deleted_at IS NULL
         WHERE pc.id IN (SELECT payment_collection_id FROM ours WHERE payment_collection_id IS NOT NULL)
           AND ${money("pc.raw_refunded_amount", "pc.refunded_amount")} IS DISTINCT FROM (
             SELECT coalesce(sum(${money("m.raw_amount", "m.amount")}), 0) FROM refund m JOIN payment p ON p.id = m.payment_id
             WHERE p.payment_collection_id = pc.id AND m.deleted_at IS NULL AND p.deleted_at IS NULL)
         UNION ALL
         SELECT o.id, o.id, NULL, 'an order summary that is not its transactions'
         FROM "order" o
         JOIN order_summary s ON s.order_id = o.id AND s.version = o.version AND s.deleted_at IS NULL
         CROSS JOIN LATERAL (
           SELECT coalesce(sum(${money("t.raw_amount", "t.amount")}) FILTER (WHERE t.amount < 0), 0) AS refunded,
                  coalesce(sum(${money("t.raw_amount", "t.amount")}) FILTER (WHERE t.amount >= 0), 0) AS paid
           FROM order_transaction t WHERE t.order_id = o.id AND t.deleted_at IS NULL) tx
         WHERE o.id IN (SELECT order_id FROM ours WHERE order_id IS NOT NULL)
           AND (${money("s.totals->'raw_refunded_total'", "(s.totals->>'refunded_total')::numeric")} IS DISTINCT FROM -tx.refunded
             OR ${money("s.totals->'raw_paid_total'", "(s.totals->>'paid_total')::numeric")} IS DISTINCT FROM tx.paid
             OR ${money("s.totals->'raw_pending_difference'", "(s.totals->>'pending_difference')::numeric")} IS DISTINCT FROM
                ${money("s.totals->'raw_current_order_total'", "(s.totals->>'current_order_total')::numeric")} - (tx.paid + tx.refunded))
       )
       SELECT DISTINCT ON (book) book, order_id, CASE WHEN order_id IS NULL THEN payment_collection_id END AS payment_collection_id, why
       FROM found
       WHERE (CAST(:after AS text) IS NULL OR book > :after)
       ORDER BY book
       LIMIT :limit`,
      { dead: DEAD_STATUSES, confirmed: CONFIRMED_STATUSES, ours_like: `${PROVIDER_ID_PREFIX}%`, grace: graceSeconds, after, limit }
    )
    return rows
  }
}
