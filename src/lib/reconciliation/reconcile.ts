import { randomUUID } from "node:crypto"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { type CipSearchItem, type Notification, PagoEfectivoError, cipState } from "../pagoefectivo"
import { forEachLimited } from "../concurrency"
import { FAILPOINTS, failpoint } from "../failpoints"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import { type RefundRecord, leaseHeld } from "../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { applyNotification } from "../notifications/apply-notification"
import { AWAITING_PAYMENT_SESSION_STATUSES, PROVIDER_ID_PREFIX } from "../pagoefectivo/provider-id"
import { booksBlockedBy, booksOf, convergeBooks, convergeEach } from "../books/converge"
import { completeRefundsWorkflow } from "../../workflows/complete-refunds"
import { STALE_AFTER_SECONDS } from "../refunds/refund-once"
import { applyRefundResultWorkflow } from "../../workflows/apply-refund-result"
import { refundReturn } from "../refunds/refund-return"

export type ReconcileOptions = {
  /** Only look at records and sessions untouched for this long. Default: the plugin option (10). */
  olderThanMinutes?: number
  /** Page size (also the CIP search batch, at most 100). Default 100. */
  pageSize?: number
  /** Calls to PagoEfectivo in flight at once. Default 4. */
  concurrency?: number
}

export type ReconcileSummary = {
  refunds: { checked: number; completed: number; failed: number; stillOpen: number; undone: number; errors: number }
  cips: { checked: number; paid: number; expired: number; errors: number }
  notifications: { retried: number }
  /** Automatic return refunds whose run died, run again (refundOnce adopts what it had made). */
  returns: { resumed: number }
  /** Books (orders) found disagreeing with their refund records, and brought back to them. */
  books: { unbalanced: number; converged: number; errors: number; blocked?: string }
  skipped?: string
  durationMs: number
}

const LOCK_KEY = "pagoefectivo:reconcile"
/**
 * How long after its replacement a replaced CIP is still searched for a late payment: it had
 * expired at PagoEfectivo, so a payment can only be one settled late by an agent or bank, which
 * PagoEfectivo reports within days; a week covers weekends and holidays while keeping every run's
 * search small.
 */
export const REPLACED_CIP_WINDOW_DAYS = 7
/** `skipped` of a run that did nothing because another worker held the lock. */
export const SKIPPED_LOCKED = "another worker is reconciling"

/**
 * What a lost notification would have said, recovered by asking PagoEfectivo:
 * 1. refund records still requested/pending/verifying, untouched for `olderThanMinutes`, whose
 *    call lease ran out: GET /refunds/{refundId}; the page's completions are applied in one
 *    completeRefundsWorkflow run, each failure through applyRefundResultWorkflow — 404 for a
 *    refund PagoEfectivo never received means it never happened, and Medusa's refund is undone;
 * 2. notifications stored but not applied (received, failed, deferred): processed again;
 * 3. automatic refunds of returns whose run died mid-way: run again (never twice: refundOnce);
 * 4. CIPs of sessions still waiting for payment: /cips/search in batches of 100; a paid or expired
 *    one goes through the same path as its notification (stored once under the same key); then
 *    the CIPs that a renewal replaced (or withdrew) in the last REPLACED_CIP_WINDOW_DAYS, the same
 *    way: a paid one is captured or recorded as an overpayment, as its cip.paid would have been;
 * 5. the sweep: every order whose books disagree with its refund records (a rejected refund still
 *    counted after a crash mid-undo, a refund PagoEfectivo has that Medusa never booked on the
 *    order, a summary or refunded amount that lost an update) is converged (src/lib/books/).
 * Pages of `pageSize` keep memory flat whatever the backlog; at most `concurrency` calls are in
 * flight; a 429 the client could not wait out ends the run (the next run resumes). A lock keeps
 * two workers from running it at once; every step is idempotent anyway.
 */
export async function reconcilePagoEfectivo(container: MedusaContainer, opts: ReconcileOptions = {}): Promise<ReconcileSummary> {
  const started = Date.now()
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const olderThan = opts.olderThanMinutes ?? pe.options.reconcileAfterMinutes
  const pageSize = Math.min(Math.max(opts.pageSize ?? 100, 1), 100)
  const concurrency = Math.max(opts.concurrency ?? 4, 1)
  const summary: ReconcileSummary = {
    refunds: { checked: 0, completed: 0, failed: 0, stillOpen: 0, undone: 0, errors: 0 },
    cips: { checked: 0, paid: 0, expired: 0, errors: 0 },
    notifications: { retried: 0 },
    returns: { resumed: 0 },
    books: { unbalanced: 0, converged: 0, errors: 0 },
    durationMs: 0,
  }

  const locking = container.resolve(Modules.LOCKING)
  const owner = randomUUID()
  try {
    await locking.acquire(LOCK_KEY, { ownerId: owner, expire: 15 * 60 })
  } catch {
    summary.skipped = SKIPPED_LOCKED
    summary.durationMs = Date.now() - started
    logger.info(`pagoefectivo reconcile: skipped (${summary.skipped})`)
    return summary
  }

  const stop = { reason: null as string | null }
  /**
   * Asks PagoEfectivo about CIPs (number → its transactionCode) in one search and applies a paid
   * (or, for `paid or expired`, expired) one through the path of its notification, stored once
   * under the same key: a notification arriving later is a duplicate.
   */
  const recoverCips = async (transactionCodes: Map<string, string>, look: "paid" | "paid or expired") => {
    let found: CipSearchItem[] = []
    try {
      found = await pe.client().searchCips([...transactionCodes.keys()], { logContext: { purpose: "reconcile" } })
    } catch (e) {
      summary.cips.errors += transactionCodes.size
      noteStop(stop, e)
      logger.warn(`pagoefectivo reconcile: CIP search failed: ${(e as Error).message}`)
      return
    }
    summary.cips.checked += transactionCodes.size
    await forEachLimited(found, concurrency, async (item) => {
      const transactionCode = transactionCodes.get(item.cip)
      const state = cipState(item.status, item.statusName ?? undefined)
      if (!transactionCode || (state !== "paid" && (look === "paid" || state !== "expired"))) return
      const notification = {
        eventType: state === "paid" ? "cip.paid" : "cip.expired",
        operationNumber: "reconciliation",
        data: { cip: item.cip, currency: item.currency, amount: item.amount, transactionCode, paymentDate: item.datePayment ?? null },
      } as Notification
      try {
        const recorded = await pe.recordNotification(notification)
        if (!recorded.duplicate || recorded.status !== "processed") await applyNotification(container, recorded.id)
        state === "paid" ? summary.cips.paid++ : summary.cips.expired++
      } catch (e) {
        summary.cips.errors++
        logger.warn(`pagoefectivo reconcile: CIP ${item.cip}: ${(e as Error).message}`)
      }
    })
  }
  try {
    await failpoint(FAILPOINTS.reconcileLocked)
    // 1. refunds
    let after: string | null = null
    while (!stop.reason) {
      const page: RefundRecord[] = await pe.ledger().listForReconciliation(olderThan, after, pageSize)
      if (!page.length) break
      after = page[page.length - 1].id
      // ask PagoEfectivo about the page (at most `concurrency` calls at once), then apply
      const verdicts: Verdict[] = []
      await forEachLimited(page, concurrency, async (record) => {
        if (stop.reason) return
        summary.refunds.checked++
        try {
          verdicts.push(await judgeRefund(container, record))
        } catch (e) {
          summary.refunds.errors++
          noteStop(stop, e)
          logger.warn(`pagoefectivo reconcile: refund ${record.refund_id}: ${(e as Error).message}`)
        }
      })
      const onError = (refundId: string, e: unknown) => {
        summary.refunds.errors++
        logger.warn(`pagoefectivo reconcile: refund ${refundId}: ${(e as Error).message}`)
      }
      for (const outcome of await applyVerdicts(container, verdicts, concurrency, onError)) {
        if (outcome === "completed") summary.refunds.completed++
        else if (outcome === "failed") summary.refunds.failed++
        else if (outcome === "undone") summary.refunds.undone++
        else summary.refunds.stillOpen++
      }
    }

    // 2. notifications stored but not applied
    if (!stop.reason) {
      const stuck = await pe.listPagoEfectivoNotifications(
        { status: ["received", "failed", "deferred"], updated_at: { $lt: new Date(Date.now() - olderThan * 60_000) } },
        { select: ["id"], take: 1000, order: { created_at: "ASC" } }
      )
      for (const n of stuck) {
        await applyNotification(container, n.id)
        summary.notifications.retried++
      }
    }

    // 3. automatic return refunds interrupted mid-run
    if (!stop.reason) {
      for (const request of await pe.refundRequests().listStaleReturns(STALE_AFTER_SECONDS, 100)) {
        try {
          const result = await refundReturn(container, request.return_id!)
          // no longer refundable (the return was canceled…): close the dead run's claim
          if (result.status === "ignored") await pe.refundRequests().finish(request.key, { status: "skipped", message: result.message }, request.tries)
          summary.returns.resumed++
        } catch (e) {
          logger.warn(`pagoefectivo reconcile: return ${request.return_id}: ${(e as Error).message}`)
        }
      }
    }

    // 4. CIPs whose notification may have been lost
    let afterSession: string | null = null
    while (!stop.reason) {
      const sessions = await waitingSessions(container, afterSession, pageSize, olderThan)
      if (!sessions.length) break
      afterSession = sessions[sessions.length - 1].id
      await recoverCips(new Map(sessions.map((s) => [String(s.data.cip), s.id])), "paid or expired")
    }

    // 4b. replaced CIPs paid late whose notification was lost (REPLACED_CIP_WINDOW_DAYS)
    let afterReplaced: string | null = null
    while (!stop.reason) {
      const replaced = await pe.listPagoEfectivoCips(
        {
          status: ["expired", "deleted"],
          replaced_at: { $gt: new Date(Date.now() - REPLACED_CIP_WINDOW_DAYS * 86_400_000) },
          updated_at: { $lt: new Date(Date.now() - olderThan * 60_000) },
          ...(afterReplaced ? { id: { $gt: afterReplaced } } : {}),
        },
        { select: ["id", "cip", "session_id"], take: pageSize, order: { id: "ASC" } }
      )
      if (!replaced.length) break
      afterReplaced = replaced[replaced.length - 1].id
      await recoverCips(new Map(replaced.map((r) => [r.cip, r.session_id])), "paid")
    }

    // 5. the sweep: books that disagree with their records (it asks PagoEfectivo nothing, so it
    //    runs even when PagoEfectivo rate-limited the steps above). On a Medusa whose tables differ
    //    from the ones the plugin writes the books wait: the verdicts above are recorded, and the
    //    sweep of the plugin updated for that Medusa converges them.
    const shapes = await pe.medusaShapes()
    if (!shapes.ok) summary.books.blocked = booksBlockedBy(shapes)
    let afterBook: string | null = null
    for (; shapes.ok; ) {
      const page = await pe.books().unbalanced(pe.options.refundCallLeaseSeconds, afterBook, pageSize)
      if (!page.length) break
      afterBook = page[page.length - 1].book
      summary.books.unbalanced += page.length
      await forEachLimited(page, concurrency, async (books) => {
        try {
          await convergeBooks(container, books)
          summary.books.converged++
        } catch (e) {
          summary.books.errors++
          logger.warn(`pagoefectivo reconcile: books of ${books.order_id ?? books.payment_collection_id} (${books.why}): ${(e as Error).message}`)
        }
      })
    }
  } finally {
    await locking.release(LOCK_KEY, { ownerId: owner }).catch(() => undefined)
  }

  summary.skipped = stop.reason ?? undefined
  summary.durationMs = Date.now() - started
  logger.info(`pagoefectivo reconcile: ${summaryLine(summary)}`)
  return summary
}

/** The one line a run logs (and the admin's PagoEfectivo page shows), after "pagoefectivo reconcile: ". */
export function summaryLine(summary: ReconcileSummary): string {
  const r = summary.refunds
  const c = summary.cips
  const b = summary.books
  return (
    `refunds checked=${r.checked} completed=${r.completed} failed=${r.failed} undone=${r.undone} open=${r.stillOpen} errors=${r.errors}; ` +
    `cips checked=${c.checked} paid=${c.paid} expired=${c.expired} errors=${c.errors}; notifications retried=${summary.notifications.retried}; returns resumed=${summary.returns.resumed}; ` +
    `books unbalanced=${b.unbalanced} converged=${b.converged} errors=${b.errors}${b.blocked ? ` not written: ${b.blocked}` : ""}; ` +
    `${summary.durationMs} ms${summary.skipped ? `; stopped early: ${summary.skipped}` : ""}`
  )
}

type Outcome = "completed" | "failed" | "undone" | "open"

/** What PagoEfectivo's answer (or the record) says to do with one refund record. */
type Verdict =
  | { kind: "open" }
  /** PagoEfectivo completed it: applied in bulk (completeRefundsWorkflow). */
  | { kind: "complete"; refund_id: string; reference_id: string | null; trace_id: string | null }
  /** Rejected, never received, or final but still counted by Medusa: applyRefundResultWorkflow. */
  | { kind: "fail"; record: RefundRecord; status: "rejected" | "failed"; reference_id: string | null; reason: string | null }

/**
 * Asks PagoEfectivo for one refund and applies the answer (also the admin's "Check status now").
 * Returns what became of it.
 */
export async function reconcileRefund(container: MedusaContainer, record: RefundRecord): Promise<Outcome> {
  const [outcome] = await applyVerdicts(container, [await judgeRefund(container, record)], 1)
  return outcome
}

/**
 * Asks PagoEfectivo about one record (not when it is final already: then only Medusa's side may
 * be left to undo) and says what to apply. What needs no workflow — a refund still pending, a
 * contradiction to note — is written here.
 */
async function judgeRefund(container: MedusaContainer, record: RefundRecord): Promise<Verdict> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (record.status === "rejected" || record.status === "failed") {
    // final already: only the books may be left to follow it
    return { kind: "fail", record, status: record.status, reference_id: null, reason: null }
  }
  if (leaseHeld(record)) return { kind: "open" }
  const remote = await pe.client().getRefund(record.refund_id, { logContext: { purpose: "reconcile" } })
  if (!remote) {
    if (record.status === "pending") {
      // PagoEfectivo acknowledged it once: a 404 now contradicts that; keep it open and say so
      await pe.ledger().noteAnomaly(record.refund_id, "PagoEfectivo answered 404 for a refund it had acknowledged")
      await pe.ledger().touch(record.refund_id)
      return { kind: "open" }
    }
    return { kind: "fail", record, status: "failed", reference_id: null, reason: "PagoEfectivo never received this refund: nothing was refunded." }
  }
  if (remote.status === "pending") {
    // PagoEfectivo has it: the record says so (a refund Medusa lost is booked by the sweep)
    await pe.ledger().settle(record.refund_id, { status: "pending", reference_id: remote.referenceId ?? null, trace_id: remote.traceId ?? null })
    await pe.ledger().touch(record.refund_id)
    return { kind: "open" }
  }
  if (remote.status === "completed") {
    return { kind: "complete", refund_id: record.refund_id, reference_id: remote.referenceId ?? null, trace_id: remote.traceId ?? null }
  }
  return { kind: "fail", record, status: remote.status, reference_id: remote.referenceId ?? null, reason: remote.reason ?? null }
}

/**
 * Applies verdicts: every completion in one completeRefundsWorkflow run, each failure through
 * applyRefundResultWorkflow (at most `concurrency` at once). Answers an outcome per verdict.
 */
async function applyVerdicts(
  container: MedusaContainer,
  verdicts: Verdict[],
  concurrency: number,
  /** A failure's workflow that threw: reported here (else thrown) and left for the next run. */
  onError?: (refundId: string, e: unknown) => void
): Promise<Outcome[]> {
  const outcomes: Outcome[] = verdicts.filter((v) => v.kind === "open").map(() => "open" as const)
  const completions = verdicts.filter((v): v is Extract<Verdict, { kind: "complete" }> => v.kind === "complete")
  if (completions.length) {
    try {
      const { result } = await completeRefundsWorkflow(container).run({
        input: { refunds: completions.map(({ refund_id, reference_id, trace_id }) => ({ refund_id, reference_id, trace_id })) },
      })
      for (const _ of [...result.completed, ...result.duplicates]) outcomes.push("completed")
      for (const _ of [...result.anomalies, ...result.unmatched]) outcomes.push("open")
    } catch (e) {
      if (!onError) throw e
      for (const c of completions) onError(c.refund_id, e)
    }
  }
  // each failure's verdict on its own (the books of its order afterwards, once per order: an order
  // with many refunds is converged once for the page, not once per refund)
  const failures = verdicts.filter((v): v is Extract<Verdict, { kind: "fail" }> => v.kind === "fail")
  const settled: RefundRecord[] = []
  await forEachLimited(failures, concurrency, async ({ record, status, reference_id, reason }) => {
    let result
    try {
      ;({ result } = await applyRefundResultWorkflow(container).run({
        input: { refund_id: record.refund_id, status, reference_id, reason, source: "reconciliation", converge: false },
      }))
    } catch (e) {
      if (!onError) throw e
      return onError(record.refund_id, e)
    }
    if (result.kind === "leased") return void outcomes.push("open")
    settled.push(result.record ?? record)
  })
  // books not converged now are left to the sweep below (and the next run's): the verdicts stand
  const reports = await convergeEach(container, booksOf(settled), { concurrency, after: "the reconciliation's verdicts" })
  const undone = new Set(reports.flatMap((r) => r.undone))
  for (const r of settled) outcomes.push(undone.has(r.refund_id) ? "undone" : "failed")
  return outcomes
}

type WaitingSession = { id: string; data: { cip?: string } }

/** PagoEfectivo sessions still waiting for their CIP to be paid, keyset-paged by id. */
async function waitingSessions(container: MedusaContainer, after: string | null, limit: number, olderThanMinutes: number): Promise<WaitingSession[]> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data } = await query.graph({
    entity: "payment_session",
    fields: ["id", "data", "provider_id"],
    filters: {
      provider_id: { $like: `${PROVIDER_ID_PREFIX}%` },
      status: [...AWAITING_PAYMENT_SESSION_STATUSES],
      created_at: { $lt: new Date(Date.now() - olderThanMinutes * 60_000) },
      ...(after ? { id: { $gt: after } } : {}),
    } as any,
    pagination: { take: limit, order: { id: "ASC" } },
  })
  return (data as WaitingSession[]).filter((s) => s.data?.cip)
}

function noteStop(stop: { reason: string | null }, e: unknown) {
  if (e instanceof PagoEfectivoError && e.status === 429) {
    stop.reason = `PagoEfectivo is rate limiting (${e.message}); the next run resumes`
  }
}
