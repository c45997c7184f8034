import { randomUUID } from "node:crypto"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { type CipSearchItem, type Notification, PagoEfectivoError, cipState } from "../lib/pagoefectivo"
import { forEachLimited } from "../lib/concurrency"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type { RefundRecord } from "../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"
import { PROVIDER_ID_PREFIX, applyNotification } from "./process-notification"
import { STALE_AFTER_SECONDS } from "./refund-once"
import { applyRefundResultWorkflow } from "./refund-result"
import { refundReturn } from "./refund-return"

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
  skipped?: string
  durationMs: number
}

const LOCK_KEY = "pagoefectivo:reconcile"

/**
 * What a lost notification would have said, recovered by asking PagoEfectivo:
 * 1. refund records still requested/pending/verifying (or rejected/failed but still counted by
 *    Medusa) and untouched for `olderThanMinutes`: GET /refunds/{refundId}, applied through
 *    applyRefundResultWorkflow — 404 for a refund PagoEfectivo never received means it never
 *    happened, and Medusa's refund is undone;
 * 2. notifications stored but not applied (received, failed, deferred): processed again;
 * 3. automatic refunds of returns whose run died mid-way: run again (never twice: refundOnce);
 * 4. CIPs of sessions still waiting for payment: /cips/search in batches of 100; a paid or expired
 *    one goes through the same path as its notification (stored once under the same key).
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
    durationMs: 0,
  }

  const locking = container.resolve(Modules.LOCKING)
  const owner = randomUUID()
  try {
    await locking.acquire(LOCK_KEY, { ownerId: owner, expire: 15 * 60 })
  } catch {
    summary.skipped = "another worker is reconciling"
    summary.durationMs = Date.now() - started
    logger.info(`pagoefectivo reconcile: skipped (${summary.skipped})`)
    return summary
  }

  const stop = { reason: null as string | null }
  try {
    // 1. refunds
    let after: string | null = null
    while (!stop.reason) {
      const page: RefundRecord[] = await pe.ledger().listForReconciliation(olderThan, after, pageSize)
      if (!page.length) break
      after = page[page.length - 1].id
      await forEachLimited(page, concurrency, async (record) => {
        if (stop.reason) return
        summary.refunds.checked++
        try {
          const outcome = await reconcileRefund(container, record)
          if (outcome === "completed") summary.refunds.completed++
          else if (outcome === "failed") summary.refunds.failed++
          else if (outcome === "undone") summary.refunds.undone++
          else summary.refunds.stillOpen++
        } catch (e) {
          summary.refunds.errors++
          noteStop(stop, e)
          logger.warn(`pagoefectivo reconcile: refund ${record.refund_id}: ${(e as Error).message}`)
        }
      })
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
          await refundReturn(container, request.return_id!)
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
      const byCip = new Map(sessions.map((s) => [String(s.data.cip), s]))
      let found: CipSearchItem[] = []
      try {
        found = await pe.client().searchCips([...byCip.keys()], { logContext: { purpose: "reconcile" } })
      } catch (e) {
        summary.cips.errors += byCip.size
        noteStop(stop, e)
        logger.warn(`pagoefectivo reconcile: CIP search failed: ${(e as Error).message}`)
        continue
      }
      summary.cips.checked += byCip.size
      await forEachLimited(found, concurrency, async (item) => {
        const session = byCip.get(item.cip)
        const state = cipState(item.status, item.statusName ?? undefined)
        if (!session || (state !== "paid" && state !== "expired")) return
        const notification = {
          eventType: state === "paid" ? "cip.paid" : "cip.expired",
          operationNumber: "reconciliation",
          data: {
            cip: item.cip,
            currency: item.currency,
            amount: item.amount,
            transactionCode: session.id,
            paymentDate: item.datePayment ?? null,
          },
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
  } finally {
    await locking.release(LOCK_KEY, { ownerId: owner }).catch(() => undefined)
  }

  summary.skipped = stop.reason ?? undefined
  summary.durationMs = Date.now() - started
  const r = summary.refunds
  const c = summary.cips
  logger.info(
    `pagoefectivo reconcile: refunds checked=${r.checked} completed=${r.completed} failed=${r.failed} undone=${r.undone} open=${r.stillOpen} errors=${r.errors}; ` +
      `cips checked=${c.checked} paid=${c.paid} expired=${c.expired} errors=${c.errors}; notifications retried=${summary.notifications.retried}; returns resumed=${summary.returns.resumed}; ` +
      `${summary.durationMs} ms${stop.reason ? `; stopped early: ${stop.reason}` : ""}`
  )
  return summary
}

/**
 * Asks PagoEfectivo for one refund and applies the answer (also the admin's "Check status now").
 * Returns what became of it.
 */
export async function reconcileRefund(
  container: MedusaContainer,
  record: RefundRecord
): Promise<"completed" | "failed" | "undone" | "open"> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  let status: "completed" | "rejected" | "failed" | null = null
  let referenceId: string | null = null
  let reason: string | null = null
  if (record.status === "rejected" || record.status === "failed") {
    status = record.status // already final: only Medusa's side may be left to undo
  } else {
    const remote = await pe.client().getRefund(record.refund_id, { logContext: { purpose: "reconcile" } })
    if (!remote) {
      if (record.status === "pending") {
        // PagoEfectivo acknowledged it once: a 404 now contradicts that; keep it open and say so
        await pe.ledger().noteAnomaly(record.refund_id, "PagoEfectivo answered 404 for a refund it had acknowledged")
        await pe.ledger().touch(record.refund_id)
        return "open"
      }
      status = "failed"
      reason = "PagoEfectivo never received this refund: nothing was refunded."
    } else if (record.status === "requested" && !(await medusaHasRefund(container, record.refund_id))) {
      // The refund call reached PagoEfectivo but the process stopped before Medusa kept its
      // refund: the money moved (or will), and only a person can record it in Medusa.
      await pe.ledger().settle(record.refund_id, { status: remote.status, reference_id: remote.referenceId ?? null, trace_id: remote.traceId ?? null })
      await pe.ledger().noteAnomaly(
        record.refund_id,
        `PagoEfectivo has this refund (${remote.status}) but Medusa never kept it (the process stopped mid-refund): record ${record.currency_code} ${record.amount} on order ${record.order_id ?? record.merchant_order_id} by hand`
      )
      container.resolve(ContainerRegistrationKeys.LOGGER).error(`pagoefectivo reconcile: refund ${record.refund_id} exists at PagoEfectivo but not in Medusa; see its record's anomaly`)
      return "open"
    } else if (remote.status === "pending") {
      await pe.ledger().settle(record.refund_id, { status: "pending", reference_id: remote.referenceId ?? null, trace_id: remote.traceId ?? null })
      await pe.ledger().touch(record.refund_id)
      return "open"
    } else {
      status = remote.status
      referenceId = remote.referenceId ?? null
      reason = remote.reason ?? null
    }
  }
  const { result } = await applyRefundResultWorkflow(container).run({
    input: { refund_id: record.refund_id, status, reference_id: referenceId, reason, source: "reconciliation" },
  })
  if (result.undone) return "undone"
  if (result.deferred) {
    // rejected/failed but Medusa has no refund row: if the record is old, Medusa never kept it
    await pe.ledger().markReversed(record.refund_id, "no Medusa refund to undo (its refund call had failed)")
  }
  return status === "completed" ? "completed" : "failed"
}

async function medusaHasRefund(container: MedusaContainer, refundId: string): Promise<boolean> {
  const [refund] = await container.resolve(Modules.PAYMENT).listRefunds({ id: refundId }, { select: ["id"] })
  return !!refund
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
      status: ["pending", "pending_authorization"],
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
