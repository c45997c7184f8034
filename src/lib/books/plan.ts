/**
 * What Medusa's books must be, from the facts: pure functions, no I/O (src/lib/books/converge.ts
 * reads the facts and applies what these say).
 *
 * The facts are the refund records (PagoEfectivo's verdicts) and Medusa's rows, deleted ones
 * included. A record's verdict says what Medusa must show for its refund:
 * - live (requested, pending, verifying, completed, awaiting_transfer): its Refund row stands, and
 *   so does exactly one order transaction of its amount (reference "refund", reference_id = the
 *   refund id), and the credit line Medusa would add with it;
 * - dead (rejected, failed): neither stands.
 * On a PagoEfectivo payment nothing else stands: a Refund row with no record (its process died
 * before the provider wrote one, so no call was made), an order transaction of no live refund; nor
 * does, on the order, a transaction of a refund Medusa deleted. Other providers' rows are left alone.
 * Medusa books some refunds its own way, which the plan maps back: order cancellation
 * (refundPaymentsWorkflow) keys its transaction by the payment id, and refundPaymentWorkflow books
 * every refund of the payment that has no transaction yet with the new refund's amount. The
 * payment collection's refunded amount and the order's summary are then sums of what stands.
 *
 * Medusa's own refund workflow writes its rows without any lock of ours: its Refund row before it
 * calls the provider, the order transaction after. So a missing row is only made good once the
 * record says PagoEfectivo has the refund (pending, completed, or a bank transfer staff will make)
 * and Medusa had `graceSeconds` since the refund call ended (its lease) to book it; a row Medusa
 * adds later anyway is a duplicate, which the next run removes.
 */
import { MathBN } from "@medusajs/framework/utils"
import type { BigNumberInput } from "@medusajs/framework/types"
import { CONFIRMED_STATUSES, DEAD_STATUSES, type RefundRecord } from "../../modules/pagoefectivo/ledger"

export type RecordFact = Pick<
  RefundRecord,
  "refund_id" | "status" | "amount" | "payment_id" | "currency_code" | "call_lease_until" | "requested_at" | "failure_reason" | "failure_code" | "reversed_at" | "credit_line_owed"
>
export type RefundRowFact = { id: string; payment_id: string; amount: BigNumberInput; created_at: Date | string; deleted_at: Date | string | null }
export type TransactionFact = { id: string; amount: BigNumberInput; reference: string | null; reference_id: string | null; created_at: Date | string; deleted_at: Date | string | null }

export type BooksFacts = {
  now: Date
  graceSeconds: number
  /** Null for a payment collection no order owns (no order transactions to keep). */
  orderId: string | null
  records: RecordFact[]
  /** The PagoEfectivo payments of the books (other providers' rows are never touched)… */
  pagoEfectivoPayments: string[]
  /** …and the books' other payments. */
  otherPayments: string[]
  /** Medusa's Refund rows of the books' payments, soft-deleted ones included. */
  refunds: RefundRowFact[]
  /** The order's transactions with reference "refund", soft-deleted ones included. */
  transactions: TransactionFact[]
  /** Refund ids the order has a credit line for (reference "pagoefectivo_refund"). */
  creditLines: string[]
}

export type RowPlan = {
  softDeleteRefunds: string[]
  restoreRefunds: string[]
  /** Refund rows to write again for refunds PagoEfectivo has but Medusa lost (id = the record's refund id). */
  createRefunds: { id: string; payment_id: string; amount: string }[]
  softDeleteTransactions: string[]
  restoreTransactions: string[]
  /** Medusa's transactions booked under another key (the payment id) that are this refund's. */
  rekeyTransactions: { id: string; reference_id: string }[]
  createTransactions: { refund_id: string; amount: string; currency_code: string }[]
  /** Credit lines owed with a transaction the plugin booked, not written yet. */
  creditLines: { refund_id: string; amount: string }[]
  /** Records whose Medusa rows all stand (again) / are all gone once the plan is applied. */
  counted: string[]
  notCounted: { refund_id: string; note: string }[]
  /** Live records whose missing rows must wait (Medusa may still be writing them). */
  waiting: string[]
  /** Dead records some of whose rows this plan removes (Medusa counted them until now). */
  undone: string[]
}

const isDead = (r: Pick<RecordFact, "status">) => DEAD_STATUSES.includes(r.status)
const ms = (d: Date | string | null | undefined) => (d ? new Date(d).getTime() : 0)
const sameAmount = (t: TransactionFact, amount: BigNumberInput) => MathBN.eq(MathBN.convert(t.amount), MathBN.mult(MathBN.convert(amount), -1))

/** The row changes that bring Medusa's Refund rows and order transactions to the records' verdicts. */
export function planRowChanges(facts: BooksFacts): RowPlan {
  const plan: RowPlan = {
    softDeleteRefunds: [],
    restoreRefunds: [],
    createRefunds: [],
    softDeleteTransactions: [],
    restoreTransactions: [],
    rekeyTransactions: [],
    createTransactions: [],
    creditLines: [],
    counted: [],
    notCounted: [],
    waiting: [],
    undone: [],
  }
  const graceOver = (since: Date | string | null | undefined) => ms(since) <= facts.now.getTime() - facts.graceSeconds * 1000
  const ours = new Set(facts.pagoEfectivoPayments)
  const recordOf = new Map(facts.records.map((r) => [r.refund_id, r]))
  const rowOf = new Map(facts.refunds.map((r) => [r.id, r]))
  const byReference = new Map<string, TransactionFact[]>()
  for (const t of [...facts.transactions].sort((a, b) => ms(a.created_at) - ms(b.created_at))) {
    if (t.reference !== "refund" || !t.reference_id) continue
    byReference.set(t.reference_id, [...(byReference.get(t.reference_id) ?? []), t])
  }
  const live = (ts: TransactionFact[] | undefined) => (ts ?? []).filter((t) => !t.deleted_at)
  const dropTransaction = (t: TransactionFact) => plan.softDeleteTransactions.push(t.id)

  // Medusa's bookings under the payment id (order cancellation): each is a live refund's
  // transaction when one of that payment lacks its own and the amount matches; otherwise junk
  const adopted = new Map<string, string>()
  for (const paymentId of ours) {
    for (const t of live(byReference.get(paymentId))) {
      const owner = facts.records.find(
        (r) => !isDead(r) && r.payment_id === paymentId && !adopted.has(r.refund_id) && sameAmount(t, r.amount) && !live(byReference.get(r.refund_id)).some((x) => sameAmount(x, r.amount))
      )
      if (owner) {
        adopted.set(owner.refund_id, t.id)
        plan.rekeyTransactions.push({ id: t.id, reference_id: owner.refund_id })
      } else dropTransaction(t)
    }
  }

  for (const record of facts.records) {
    const row = rowOf.get(record.refund_id)
    const transactions = byReference.get(record.refund_id) ?? []
    const standing = live(transactions)

    if (isDead(record)) {
      if (row && !row.deleted_at) plan.softDeleteRefunds.push(row.id)
      standing.forEach(dropTransaction)
      if ((row && !row.deleted_at) || standing.length) plan.undone.push(record.refund_id)
      if (!record.reversed_at) plan.notCounted.push({ refund_id: record.refund_id, note: undoneNote(record) })
      continue
    }

    // live: its Refund row and one order transaction of its amount stand; a missing one is
    // written once PagoEfectivo has the refund and Medusa had the grace since the call ended
    const settledLongAgo = CONFIRMED_STATUSES.includes(record.status) && graceOver(record.call_lease_until ?? record.requested_at)
    let waits = false
    if (row?.deleted_at) plan.restoreRefunds.push(row.id)
    else if (!row) {
      if (settledLongAgo && record.payment_id) plan.createRefunds.push({ id: record.refund_id, payment_id: record.payment_id, amount: fixed(record.amount) })
      else waits = true
    }
    if (facts.orderId) {
      const right = standing.filter((t) => sameAmount(t, record.amount))
      // another amount is Medusa booking it with another refund's amount; a second one, a duplicate
      standing.filter((t) => t !== right[0]).forEach(dropTransaction)
      if (!right.length && !adopted.has(record.refund_id)) {
        const deleted = transactions.filter((t) => t.deleted_at && sameAmount(t, record.amount)).pop()
        if (!settledLongAgo) waits = true
        else if (deleted) plan.restoreTransactions.push(deleted.id)
        else plan.createTransactions.push({ refund_id: record.refund_id, amount: fixed(record.amount), currency_code: record.currency_code })
      }
      if (record.credit_line_owed && !facts.creditLines.includes(record.refund_id) && (right.length || adopted.has(record.refund_id))) {
        plan.creditLines.push({ refund_id: record.refund_id, amount: record.credit_line_owed })
      }
    }
    if (waits) plan.waiting.push(record.refund_id)
    else if (record.reversed_at) plan.counted.push(record.refund_id)
  }

  // on a PagoEfectivo payment: a Refund row without a record (no call was made) once its grace is
  // over, and a transaction of no live refund of ours (nor of a row of another provider)
  for (const row of facts.refunds) {
    if (row.deleted_at || recordOf.has(row.id) || !ours.has(row.payment_id)) continue
    if (graceOver(row.created_at)) plan.softDeleteRefunds.push(row.id)
  }
  if (facts.orderId) {
    const theirs = new Set(facts.otherPayments)
    for (const [reference, ts] of byReference) {
      if (recordOf.has(reference) || ours.has(reference) || theirs.has(reference)) continue
      // Medusa books a refund's own transaction only after the provider returned (its record
      // exists by then): one keyed to a row of ours without a record is another refund's booking;
      // one keyed to no row at all, a refund Medusa deleted (its provider failed)
      const row = rowOf.get(reference)
      if (row && !ours.has(row.payment_id)) continue
      live(ts).forEach(dropTransaction)
    }
  }
  return plan
}

export type Totals = Record<string, unknown>

/**
 * The order summary's sums, from the transactions that stand, the way Medusa's order module
 * computes them (OrderChangeProcessing): paid = the positive ones, refunded = the negative ones,
 * transaction total = all, pending difference = the current order total less that. Answers the
 * totals to write, or null when the summary already says so.
 */
export function summaryTotals(current: Totals, standing: { amount: BigNumberInput }[]): Totals | null {
  let paid = MathBN.convert(0)
  let refunded = MathBN.convert(0)
  let total = MathBN.convert(0)
  for (const t of standing) {
    const amount = MathBN.convert(t.amount)
    if (MathBN.lt(amount, 0)) refunded = MathBN.add(refunded, MathBN.abs(amount))
    else paid = MathBN.add(paid, amount)
    total = MathBN.add(total, amount)
  }
  const orderTotal = MathBN.convert(summaryValue(current, "current_order_total"))
  const pending = MathBN.sub(orderTotal, total)
  const wanted = { paid_total: paid, refunded_total: refunded, transaction_total: total, pending_difference: pending }
  const differs = Object.entries(wanted).some(([k, v]) => !MathBN.eq(MathBN.convert(summaryValue(current, k)), v))
  if (!differs) return null
  const next: Totals = { ...current }
  for (const [k, v] of Object.entries(wanted)) {
    next[k] = v.toNumber()
    next[`raw_${k}`] = { value: v.toString(), precision: 20 }
  }
  return next
}

/** The sum of the Refund rows that stand, or null when `refunded` already says so. */
export function refundedAmount(refunded: BigNumberInput | null | undefined, standing: { amount: BigNumberInput }[]): string | null {
  const sum = standing.reduce((s, r) => MathBN.add(s, MathBN.convert(r.amount)), MathBN.convert(0))
  return MathBN.eq(MathBN.convert(refunded ?? 0), sum) ? null : sum.toString()
}

/**
 * The amount of the credit line Medusa's refund workflow adds with a refund (so that the order
 * does not show the shopper owing it): what the refund leaves over what the order already owed
 * the shopper (a negative pending difference), given the pending difference before the refund.
 */
export function creditLineAmount(refund: BigNumberInput, pendingDifference: BigNumberInput): string {
  const amount = MathBN.convert(refund)
  const pending = MathBN.convert(pendingDifference)
  if (!MathBN.lt(pending, 0)) return amount.toString()
  const owed = MathBN.mult(pending, -1)
  return MathBN.gt(amount, owed) ? MathBN.sub(amount, owed).toString() : "0"
}

/** A summary value, from its raw form when there is one (full precision). */
export function summaryValue(totals: Totals, key: string): BigNumberInput {
  const raw = totals[`raw_${key}`] as { value?: string } | undefined
  return (raw?.value ?? (totals[key] as BigNumberInput | undefined) ?? 0) as BigNumberInput
}

function undoneNote(r: Pick<RecordFact, "status" | "failure_code" | "failure_reason">): string {
  const why = r.failure_code === "transfer_failed" ? "its bank transfer failed" : r.status === "failed" ? "nothing was refunded (PagoEfectivo never received it, or the call failed)" : "PagoEfectivo rejected it"
  return `Medusa no longer counts it: ${why}${r.failure_reason ? `: ${r.failure_reason}` : ""}`
}

const fixed = (v: BigNumberInput) => MathBN.convert(v).toFixed(2)
