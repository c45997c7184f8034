import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN } from "@medusajs/framework/utils"
import { refundPaymentWorkflow } from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import { COUNTED_STATUSES, type RefundRecord } from "../../modules/pagoefectivo/ledger"
import type { NewRefundRequest, RefundRequestOutcome, RefundRequestRow } from "../../modules/pagoefectivo/refund-requests"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { isPagoEfectivoProvider } from "../pagoefectivo/provider-id"

/** A payment as the keyed refunds need it. */
export type PaymentFacts = {
  id: string
  provider_id: string
  currency_code: string
  order_id: string | null
  /** captured − refunded, as Medusa counts it (decimal string). */
  refundable: string
}

export type RefundOnceInput = NewRefundRequest & {
  payment_id: string
  /** Decimal string; null/undefined = everything still refundable on the payment. */
  amount?: string | null
  created_by?: string | null
  /** Take over a request that ended in error (nothing was refunded): a resubmitted batch, staff's retry. */
  retryErrors: boolean
  /** Why there is nothing to refund, when the amount comes to 0 (recorded as "skipped"). */
  nothingToRefund?: string
}

export type RefundOnceResult = {
  key: string
  /** ok: refunded; pending: refunded, PagoEfectivo's result to come (or a bank transfer); error: nothing refunded; skipped: nothing to refund; running: another run holds it. */
  status: RefundRequestRow["status"]
  refund_id: string | null
  amount: string | null
  currency_code: string | null
  message: string | null
  /** This call did not run it: the answer is what an earlier run recorded (or is doing). */
  duplicate: boolean
  /** PagoEfectivo was rate limiting: nothing was refunded and trying again later is safe. */
  rate_limited?: boolean
}

/** A run quiet for this long is taken for dead (a refund call with all its retries takes < 1 min). */
export const STALE_AFTER_SECONDS = 300

/**
 * One refund under a key, at most once, through the same workflow as the admin's Refund button
 * (Medusa's refundPaymentWorkflow → the payment provider → PagoEfectivo):
 * 1. claims the key (pagoefectivo_refund_request): a key already ok/pending/skipped answers what
 *    it recorded (duplicate); one running elsewhere answers "running"; one that ended in error is
 *    run again only with `retryErrors` (nothing was refunded then);
 * 2. taking over a run that died, first adopts the refund it may have made (a counted refund
 *    record of the payment, of the same amount, since the run started, that no other request
 *    accounts for) instead of refunding again;
 * 3. refunds `amount` (default: all that is still refundable) and records the outcome with
 *    Medusa's Refund id; the reason goes on Medusa's refund (its note) and on the refund record.
 * Refunds of one payment must not run concurrently under different keys (callers serialize them:
 * Medusa locks the payment anyway, and step 2 tells refunds apart by payment and time).
 */
export async function refundOnce(container: MedusaContainer, input: RefundOnceInput): Promise<RefundOnceResult> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const requests = pe.refundRequests()
  const { amount, created_by, retryErrors, nothingToRefund, ...request } = input
  const { row, claimed, previous } = await requests.claim(
    { ...request, requested_amount: amount ?? null },
    { retryErrors, staleAfterSeconds: STALE_AFTER_SECONDS }
  )
  if (!claimed) return resultOf(row, true)

  // Keep the claim alive while this run works (a stalled run is taken over after 5 minutes), and
  // write the outcome only while this run still holds it (the `tries` it claimed with).
  const heartbeat = setInterval(() => void requests.heartbeat(row.key).catch(() => undefined), (STALE_AFTER_SECONDS * 1000) / 5)
  heartbeat.unref()
  const done = async (outcome: RefundRequestOutcome, extra: Partial<RefundOnceResult> = {}) => {
    clearInterval(heartbeat)
    const finished = await requests.finish(row.key, outcome, row.tries)
    return { ...resultOf(finished ?? (await requests.get(row.key))!, !finished), ...extra }
  }

  /** Once Medusa's refund workflow has returned, the money has moved: never record "error" after. */
  let refunded: { facts: Partial<RefundRequestOutcome>; amount: string } | null = null
  try {
    if (previous === "running") {
      // the amount the dead run asked for (this run's may differ: a return's balance after it)
      const adopted = await findMade(pe, row.payment_id ?? input.payment_id, row.started_at!, row.requested_amount)
      if (adopted) return await done({ ...outcomeOf(adopted), message: "found the refund an interrupted run had made" })
    }

    const [payment] = await loadPayments(container, [input.payment_id])
    if (!payment) return await done({ status: "error", message: `unknown payment ${input.payment_id}` })
    if (!isPagoEfectivoProvider(payment.provider_id)) {
      return await done({ status: "error", message: `payment ${payment.id} was not made with PagoEfectivo (${payment.provider_id})` })
    }
    const facts = { payment_id: payment.id, order_id: payment.order_id, currency_code: payment.currency_code.toUpperCase() }
    const wanted = amount ?? payment.refundable
    if (!MathBN.gt(MathBN.convert(wanted), 0)) {
      return await done({ status: "skipped", ...facts, amount: "0.00", message: nothingToRefund ?? "nothing left to refund on this payment" })
    }
    if (MathBN.gt(MathBN.convert(wanted), MathBN.convert(payment.refundable))) {
      return await done({
        status: "error",
        ...facts,
        amount: fixed(wanted),
        message: `${facts.currency_code} ${fixed(wanted)} is above what is still refundable on payment ${payment.id}: ${facts.currency_code} ${fixed(payment.refundable)}`,
      })
    }

    const started = await requests.now() // the database's clock: the records' requested_at
    let failure: Error | null = null
    try {
      await refundPaymentWorkflow(container).run({
        input: { payment_id: payment.id, amount: MathBN.convert(wanted).toNumber(), note: input.reason ?? undefined, created_by: created_by ?? undefined },
      })
      refunded = { facts, amount: fixed(wanted) }
    } catch (e) {
      failure = e as Error
    }
    if (failure) {
      // Medusa's refund workflow can fail after its refund step went through (its later steps have
      // no way to undo the money): a refund Medusa still counts means it was made.
      const kept = await findMade(pe, payment.id, started, wanted)
      if (kept) return await done({ ...outcomeOf(kept), ...facts, message: `refunded, but Medusa's refund workflow then failed: ${failure.message}` })
      const attempt = await findMade(pe, payment.id, started, wanted, { counted: false })
      const rateLimited = attempt?.failure_code === "429" || attempt?.attempts?.[attempt.attempts.length - 1]?.status === 429
      return await done({ status: "error", ...facts, amount: fixed(wanted), message: failure.message }, rateLimited ? { rate_limited: true } : {})
    }
    const made = await findMade(pe, payment.id, started, wanted)
    if (made && input.reason) await pe.ledger().setReason(made.refund_id, input.reason)
    return await done(made ? { ...outcomeOf(made), ...facts } : { status: "pending", ...facts, amount: fixed(wanted), message: "refunded; its record was not found" })
  } catch (e) {
    // Before or after the refund call: never leave the claim "running" for five minutes.
    const message = (e as Error).message
    container.resolve(ContainerRegistrationKeys.LOGGER).error(`pagoefectivo: refund request ${row.key} failed: ${message}`)
    if (refunded) return await done({ status: "pending", ...refunded.facts, amount: refunded.amount, message: `refunded; recording it failed: ${message}` })
    return await done({ status: "error", message })
  } finally {
    clearInterval(heartbeat)
  }
}

/** The fields of an order that pagoEfectivoPaymentIds reads. */
export const ORDER_PAYMENT_FIELDS = ["payment_collections.payments.id", "payment_collections.payments.provider_id"]

/** The ids of an order's PagoEfectivo payments (an order row queried with ORDER_PAYMENT_FIELDS). */
export function pagoEfectivoPaymentIds(order: { payment_collections?: ({ payments?: { id: string; provider_id: string }[] | null } | null)[] | null }): string[] {
  return (order.payment_collections ?? []).flatMap((pc) => pc?.payments ?? []).filter((p) => isPagoEfectivoProvider(p.provider_id)).map((p) => p.id)
}

/** What Medusa's query says of these payments: provider, currency, order, still refundable. */
export async function loadPayments(container: MedusaContainer, ids: string[]): Promise<PaymentFacts[]> {
  if (!ids.length) return []
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment",
    fields: ["id", "provider_id", "currency_code", "captures.amount", "refunds.amount", "payment_collection.order.id"],
    filters: { id: ids },
  })
  return (data as any[]).map((p) => {
    const sum = (rows: { amount: unknown }[] | undefined) => (rows ?? []).reduce((t, r) => MathBN.add(t, MathBN.convert(r.amount as any)), MathBN.convert(0))
    return {
      id: p.id,
      provider_id: p.provider_id,
      currency_code: p.currency_code,
      order_id: p.payment_collection?.order?.id ?? null,
      refundable: MathBN.sub(sum(p.captures), sum(p.refunds)).toFixed(2),
    }
  })
}

/**
 * The refund record a run made on this payment since `since`: the newest of that amount that no
 * other request accounts for; with `counted`, only one Medusa still counts.
 */
async function findMade(
  pe: PagoEfectivoModuleService,
  paymentId: string,
  since: Date,
  amount: string | null,
  { counted = true }: { counted?: boolean } = {}
): Promise<RefundRecord | null> {
  const records = (await pe.ledger().madeSince(paymentId, since)).filter(
    (r) => (amount === null || MathBN.eq(MathBN.convert(r.amount), MathBN.convert(amount))) && (!counted || (COUNTED_STATUSES.includes(r.status) && !r.reversed_at))
  )
  const taken = await pe.refundRequests().claimedRefundIds(records.map((r) => r.refund_id))
  return records.find((r) => !taken.has(r.refund_id)) ?? null
}

function outcomeOf(r: RefundRecord): RefundRequestOutcome {
  return {
    status: r.status === "completed" ? "ok" : "pending",
    refund_id: r.refund_id,
    amount: fixed(r.amount),
    currency_code: r.currency_code,
    message:
      r.status === "completed"
        ? null
        : r.status === "awaiting_transfer"
          ? "awaiting a bank transfer by staff (manual refund)"
          : `PagoEfectivo's result is to come (${r.status})`,
  }
}

function resultOf(row: RefundRequestRow, duplicate: boolean): RefundOnceResult {
  return {
    key: row.key,
    status: row.status,
    refund_id: row.refund_id,
    amount: row.amount,
    currency_code: row.currency_code,
    message: row.status === "running" && duplicate ? "another run of this refund is in progress" : row.message,
    duplicate,
  }
}

const fixed = (v: unknown) => MathBN.convert(v as any).toFixed(2)
