import { generateEntityId } from "@medusajs/framework/utils"
import type { RefundLedger, RefundRecord } from "./ledger"

/** A refund PagoEfectivo made from its own panel, as its refund.completed said, and where it belongs. */
export type OutsideRefund = {
  refund_id: string
  reference_id: string | null
  cip: string
  amount: string
  currency_code: string
  reason: string | null
  /** When PagoEfectivo processed it (its dateProcessed), else when the store heard of it. */
  processed_at: Date
  payment_id: string
  payment_session_id: string | null
  payment_collection_id: string
  order_id: string | null
  /** What the shopper paid on the CIP (decimal string): the counted refunds never pass it. */
  paid: string
  recorded_by: string | null
}

export type OutsideRecordResult =
  | { kind: "created" | "existing"; record: RefundRecord }
  /** The counted refunds plus this one would pass what was paid. */
  | { kind: "above_refundable"; counted: string }

/**
 * Writes the refund record of a refund made outside Medusa (origin "outside", status completed),
 * once per PagoEfectivo refundId (the records' unique refund_id), through the same per-CIP lock and
 * checks as the provider's own refunds (RefundLedger.underCipChecks, begin's), so that the two never
 * pass the paid amount together.
 *
 * Its call lease is stamped as having ended `graceSeconds` ago. The grace exists because Medusa's
 * own refund workflow writes its Refund row and order transaction around the provider's call, and
 * the convergence must not write them a second time meanwhile (src/lib/books/plan.ts). For
 * this refund no call of ours was ever made and Medusa writes nothing, so there is nothing to wait
 * for: the convergence books it at once.
 */
export class OutsideRefunds {
  constructor(private readonly ledger: RefundLedger) {}

  async record(r: OutsideRefund, graceSeconds: number): Promise<OutsideRecordResult> {
    return this.ledger.underCipChecks(r, r.paid, async (trx) => {
      const { rows } = await trx.raw(
        `INSERT INTO pagoefectivo_refund (id, refund_id, payment_id, payment_session_id, payment_collection_id, order_id,
            merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, reason, reference_id,
            attempts, requested_at, settled_at, settled_by, origin, call_lease_until)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, 'completed', ?, ?, '[]'::jsonb, least(?::timestamptz, now()), now(), ?, 'outside',
            least(?::timestamptz, now()) - make_interval(secs => ?))
         ON CONFLICT (refund_id) WHERE deleted_at IS NULL DO NOTHING
         RETURNING *`,
        [
          generateEntityId(undefined, "perefund"),
          r.refund_id,
          r.payment_id,
          r.payment_session_id,
          r.payment_collection_id,
          r.order_id,
          r.order_id ?? r.payment_collection_id,
          r.cip,
          r.payment_session_id ?? "",
          r.amount,
          JSON.stringify({ value: r.amount, precision: 20 }),
          r.currency_code,
          r.reason,
          r.reference_id,
          r.processed_at,
          r.recorded_by,
          r.processed_at,
          graceSeconds + 1,
        ]
      )
      if (!rows.length) return { kind: "existing" as const, record: (await trx.raw(`SELECT * FROM pagoefectivo_refund WHERE refund_id = ? AND deleted_at IS NULL`, [r.refund_id])).rows[0] }
      return { kind: "created" as const, record: rows[0] }
    })
  }
}
