/**
 * The refund records' statuses and the rules on them, stated once: the model, the records' SQL,
 * the result workflow and the admin panel import them. Dependency-free, so that the admin panel (a
 * browser bundle) can import it too.
 */

export const REFUND_RECORD_STATUSES = ["requested", "pending", "verifying", "awaiting_transfer", "completed", "rejected", "failed"] as const
export type RefundRecordStatus = (typeof REFUND_RECORD_STATUSES)[number]

/** Statuses waiting for PagoEfectivo's word (its answer, notification or status query). */
export const AWAITING_GATEWAY_STATUSES: RefundRecordStatus[] = ["requested", "pending", "verifying"]
/** Statuses that a later answer may still change (PagoEfectivo's, or staff's for a bank transfer). */
export const OPEN_REFUND_STATUSES: RefundRecordStatus[] = [...AWAITING_GATEWAY_STATUSES, "awaiting_transfer"]
/** Statuses no later answer changes: the first final word wins. */
export const FINAL_REFUND_STATUSES: RefundRecordStatus[] = ["completed", "rejected", "failed"]
/** Statuses whose money is (or may be) on its way back to the shopper: Medusa must count these refunds. */
export const COUNTED_STATUSES: RefundRecordStatus[] = [...OPEN_REFUND_STATUSES, "completed"]
/** Statuses that say nothing was refunded: Medusa must not count these refunds. */
export const DEAD_STATUSES: RefundRecordStatus[] = ["rejected", "failed"]
/**
 * Live statuses that PagoEfectivo (or staff, for a bank transfer) confirmed: the money moved or will.
 * A record in one of these whose Medusa refund is missing is booked again by the convergence;
 * requested and verifying ones are asked about first (see src/lib/reconciliation/reconcile.ts).
 */
export const CONFIRMED_STATUSES: RefundRecordStatus[] = ["pending", "completed", "awaiting_transfer"]

export const isFinalStatus = (s: string): boolean => (FINAL_REFUND_STATUSES as string[]).includes(s)
export const isDeadStatus = (s: string | null | undefined): boolean => !!s && (DEAD_STATUSES as string[]).includes(s)

/** What the refund call's answer (or a status query) says of a refund. */
export type GatewayAnswer = {
  status: "pending" | "completed" | "rejected"
  reference_id?: string | null
  trace_id?: string | null
  correlation_id?: string | null
  failure_reason?: string | null
}

/**
 * What a record becomes when the refund call's answer arrives. The answer is PagoEfectivo's
 * freshest word, so it wins over a verdict of ours, and a contradiction is kept as an anomaly for
 * staff, never turned into "nothing was refunded":
 * - an open record (requested, verifying, pending) takes the answer;
 * - a record PagoEfectivo settled meanwhile (a notification overtook the answer) stays settled
 *   when the answer is "pending";
 * - a record we judged failed takes the answer: pending or completed means the money moved after
 *   all (anomaly), rejected only says why;
 * - completed and rejected contradict each other: a completion is kept whichever came first, so
 *   that money that may have left stays counted (anomaly).
 */
export function answerVerdict(record: { status: RefundRecordStatus; failure_reason: string | null }, answer: Pick<GatewayAnswer, "status">): { status: RefundRecordStatus; anomaly: string | null } {
  const s = record.status
  const a = answer.status
  if (s === "requested" || s === "verifying" || s === "pending" || s === a) return { status: a, anomaly: null }
  if (a === "pending" && (s === "completed" || s === "rejected")) return { status: s, anomaly: null }
  if (s === "failed" && a === "rejected") return { status: a, anomaly: null }
  const keep = s === "completed" || s === "awaiting_transfer"
  return {
    status: keep ? s : a,
    anomaly: `the refund call answered "${a}" while the record said "${s}"${record.failure_reason ? ` (${record.failure_reason})` : ""}; kept "${keep ? s : a}"`.slice(0, 1000),
  }
}

/** A final result (completed; rejected or failed: nothing refunded) and who gives it. */
export type RefundResult = { status: "completed" | "rejected" | "failed"; source: "notification" | "reconciliation" | "manual" }

/**
 * What a final result does to a record that is final already: the same outcome (rejected and
 * failed both say nothing was refunded) is a duplicate; PagoEfectivo completing a refund we had
 * judged failed overrules us (the money moved); anything else contradicts the first final word,
 * which wins, and is an anomaly.
 */
export function finalResultVerdict(recordStatus: RefundRecordStatus, result: RefundResult): "duplicate" | "overrule" | "anomaly" {
  if (sameOutcome(recordStatus, result.status)) return "duplicate"
  if (recordStatus === "failed" && result.status === "completed" && result.source !== "manual") return "overrule"
  return "anomaly"
}

/** Whether two statuses say the same of the money: equal, or both "nothing was refunded". */
export const sameOutcome = (a: string, b: string): boolean => a === b || (isDeadStatus(a) && isDeadStatus(b))
