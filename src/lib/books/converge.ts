/**
 * Brings one order's books (or a payment collection's, when no order owns it) to what the refund
 * records say, idempotently and one run at a time per order across processes (Medusa's Locking
 * module). Every path that changes a verdict or Medusa's books ends here: refund results
 * (notification, reconciliation, "Check status now", manual settle), the provider's failure path,
 * Medusa's `payment.refunded`, and the reconciliation's sweep. Running it twice, or on two workers
 * at once, gives the same books. See src/lib/books/plan.ts for the rules.
 */
import type { BigNumberInput, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, MathBN, Modules } from "@medusajs/framework/utils"
import { createOrderCreditLinesWorkflow } from "@medusajs/medusa/core-flows"
import { forEachLimited } from "../concurrency"
import { FAILPOINTS, failpoint } from "../failpoints"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"
import type { MedusaShapeCheck } from "../../modules/pagoefectivo/medusa-shapes"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { isPagoEfectivoProvider } from "../pagoefectivo/provider-id"
import { type RowPlan, type Totals, creditLineAmount, planRowChanges, refundedAmount, summaryTotals, summaryValue } from "./plan"

/** Whose books: an order's, or a payment collection's when no order owns it. */
export type BooksKey = { order_id: string | null; payment_collection_id: string | null }

export type BooksReport = {
  books: BooksKey
  /** Row changes made (empty when the books already agreed). */
  changes: Partial<Record<keyof Omit<RowPlan, "counted" | "notCounted" | "waiting" | "undone" | "creditLines">, string[]>>
  collections: { id: string; refunded_amount: string }[]
  summary: boolean
  creditLines: string[]
  /** Live refunds whose missing rows are left for later (Medusa may still be writing them). */
  waiting: string[]
  /** Dead refunds this run stopped Medusa from counting. */
  undone: string[]
  /**
   * Why nothing was written: the installed Medusa's tables differ from the ones this plugin writes
   * (src/modules/pagoefectivo/medusa-shapes.ts). The records keep the verdicts; the books wait.
   */
  blocked?: string
}

const emptyReport = (books: BooksKey): BooksReport => ({ books, changes: {}, collections: [], summary: false, creditLines: [], waiting: [], undone: [] })

/** How long one convergence may wait for another one's lock on the same order, seconds. */
const LOCK_TIMEOUT_SECONDS = 60

export const booksKeyOf = (r: Pick<RefundRecord, "order_id" | "payment_collection_id">): BooksKey => ({
  order_id: r.order_id ?? null,
  payment_collection_id: r.order_id ? null : (r.payment_collection_id ?? null),
})

/** The Locking module key that serializes the convergence of these books across processes. */
export const booksLockKey = (b: BooksKey) => `pagoefectivo:books:${b.order_id ?? `pc:${b.payment_collection_id}`}`

/** The distinct books of these records. */
export function booksOf(records: Pick<RefundRecord, "order_id" | "payment_collection_id">[]): BooksKey[] {
  const seen = new Map<string, BooksKey>()
  for (const r of records) {
    const b = booksKeyOf(r)
    if (b.order_id || b.payment_collection_id) seen.set(booksLockKey(b), b)
  }
  return [...seen.values()]
}

export async function convergeBooks(container: MedusaContainer, books: BooksKey): Promise<BooksReport> {
  const shapes = await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).medusaShapes()
  if (!shapes.ok) return { ...emptyReport(books), blocked: booksBlockedBy(shapes) }
  const locking = container.resolve(Modules.LOCKING)
  warnIfLocalLocking(container, locking)
  return locking.execute(booksLockKey(books), () => converge(container, books), { timeout: LOCK_TIMEOUT_SECONDS })
}

/** A convergence's report, or the error that kept it from converging now. */
export type BooksOutcome = BooksReport & { error?: string }

/**
 * Converges each of these books, at most `concurrency` at once, reports in their order. Books that
 * cannot be converged now (a lock held too long, a database error) are logged and reported with
 * the error, never thrown: the reconciliation's sweep finds every order whose books disagree.
 * `after` says what prompted it, for the log line.
 */
export async function convergeEach(
  container: MedusaContainer,
  books: BooksKey[],
  { concurrency = 1, after }: { concurrency?: number; after?: string } = {}
): Promise<BooksOutcome[]> {
  const outcomes: BooksOutcome[] = new Array(books.length)
  await forEachLimited([...books.keys()], concurrency, async (i) => {
    const b = books[i]
    try {
      outcomes[i] = await convergeBooks(container, b)
    } catch (e) {
      const error = (e as Error)?.message ?? String(e)
      container
        .resolve(ContainerRegistrationKeys.LOGGER)
        .warn(`pagoefectivo: the books of ${b.order_id ?? b.payment_collection_id} could not be converged now${after ? ` after ${after}` : ""} (${error}); the reconciliation's sweep will`)
      outcomes[i] = { ...emptyReport(b), error }
    }
  })
  return outcomes
}

/** Why the books are not written on this Medusa, in a few words (the Health tab has the list). */
export const booksBlockedBy = (shapes: MedusaShapeCheck) => `Medusa ${shapes.medusa_version} differs from the tables this plugin writes (${shapes.differences.join("; ")})`

let lockingChecked = false

/** Whether the Locking module's default provider is in-memory while medusa-config declares a shared (non-local) event bus. */
export function localLockingOnSharedBus(lockingProviderId: string, eventBusResolve: string): boolean {
  return lockingProviderId.includes("in-memory") && eventBusResolve !== "" && !/local/i.test(eventBusResolve)
}

/**
 * Medusa's in-memory locking serializes within one process only. With a shared event bus (Redis)
 * the store runs on several processes, which then converge the same books at once: said once.
 */
function warnIfLocalLocking(container: MedusaContainer, locking: unknown) {
  if (lockingChecked) return
  lockingChecked = true
  const provider = String((locking as { defaultProviderId?: string }).defaultProviderId ?? "")
  // what medusa-config declares (the resolved service is wrapped: its class name says nothing);
  // no declaration is Medusa's local event bus
  const modules = container.resolve(ContainerRegistrationKeys.CONFIG_MODULE).modules as Record<string, unknown> | undefined
  const declared = modules?.[Modules.EVENT_BUS]
  const bus = String((declared as { resolve?: unknown } | undefined)?.resolve ?? (typeof declared === "string" ? declared : ""))
  if (localLockingOnSharedBus(provider, bus)) {
    container.resolve(ContainerRegistrationKeys.LOGGER).warn(
      `pagoefectivo: Medusa's Locking module uses its in-memory provider while the event bus (${bus}) is shared: on several instances the convergence of an order's books is not serialized. Configure @medusajs/medusa/locking-redis (or locking-postgres) as the default locking provider.`
    )
  }
}

type PaymentModule = {
  listRefunds(filters: object, config?: object): Promise<any[]>
  listPayments(filters: object, config?: object): Promise<any[]>
  listPaymentCollections(filters: object, config?: object): Promise<any[]>
  softDeleteRefunds(ids: string[]): Promise<unknown>
  restoreRefunds(ids: string[]): Promise<unknown>
  createRefunds(data: object[]): Promise<unknown>
  updatePaymentCollections(id: string, data: object): Promise<unknown>
}
type OrderModule = {
  listOrders(filters: object, config?: object): Promise<any[]>
  listOrderTransactions(filters: object, config?: object): Promise<any[]>
  listOrderSummaries(filters: object, config?: object): Promise<any[]>
  listOrderCreditLines(filters: object, config?: object): Promise<any[]>
  softDeleteOrderTransactions(ids: string[]): Promise<unknown>
  restoreOrderTransactions(ids: string[]): Promise<unknown>
  updateOrderTransactions(data: object[]): Promise<unknown>
  addOrderTransactions(data: object[]): Promise<unknown>
  updateOrderSummaries(data: object[]): Promise<unknown>
}

async function converge(container: MedusaContainer, books: BooksKey): Promise<BooksReport> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const payment = container.resolve(Modules.PAYMENT) as unknown as PaymentModule
  const order = container.resolve(Modules.ORDER) as unknown as OrderModule
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const report = emptyReport(books)

  const records = await pe.ledger().forBooks(books)
  const orderRow = books.order_id ? (await order.listOrders({ id: books.order_id }, { select: ["id", "version", "status"] }))[0] : null
  const orderId: string | null = orderRow?.id ?? null
  const collectionIds = await collectionsOf(container, books, records)
  const payments = collectionIds.length ? await payment.listPayments({ payment_collection_id: collectionIds }, { select: ["id", "payment_collection_id", "provider_id"] }) : []
  const paymentIds = payments.map((p) => p.id as string)
  const refundRows = async () =>
    paymentIds.length ? payment.listRefunds({ payment_id: paymentIds }, { select: ["id", "payment_id", "amount", "created_at", "deleted_at"], withDeleted: true }) : []
  const refundTransactions = async () =>
    orderId ? order.listOrderTransactions({ order_id: orderId, reference: "refund" }, { select: ["id", "amount", "reference", "reference_id", "created_at", "deleted_at"], withDeleted: true }) : []

  // 1. rows: each refund's Refund row and order transaction stand, or not, as its record says
  const now = await pe.refundRequests().now()
  const creditLinesOf = async () =>
    orderId ? (await order.listOrderCreditLines({ order_id: orderId, reference: "pagoefectivo_refund" }, { select: ["id", "reference_id"] })).map((c) => c.reference_id as string) : []
  const plan = planRowChanges({
    now,
    graceSeconds: pe.options.refundCallLeaseSeconds,
    orderId,
    records,
    pagoEfectivoPayments: payments.filter((p) => isPagoEfectivoProvider(p.provider_id)).map((p) => p.id),
    otherPayments: payments.filter((p) => !isPagoEfectivoProvider(p.provider_id)).map((p) => p.id),
    refunds: await refundRows(),
    transactions: await refundTransactions(),
    creditLines: await creditLinesOf(),
  })
  report.waiting = plan.waiting
  report.undone = plan.undone
  if (plan.softDeleteRefunds.length) await payment.softDeleteRefunds(plan.softDeleteRefunds)
  if (plan.restoreRefunds.length) await payment.restoreRefunds(plan.restoreRefunds)
  if (plan.createRefunds.length) {
    await payment.createRefunds(
      plan.createRefunds.map((r) => ({
        id: r.id,
        payment_id: r.payment_id,
        amount: r.amount,
        note: "Recorded by the PagoEfectivo plugin: PagoEfectivo has this refund",
        metadata: { pagoefectivo: { recorded_by: "convergence" } },
      }))
    )
  }
  await failpoint(FAILPOINTS.booksMidway, { order_id: orderId, plan })
  if (plan.softDeleteTransactions.length) await order.softDeleteOrderTransactions(plan.softDeleteTransactions)
  if (plan.restoreTransactions.length) await order.restoreOrderTransactions(plan.restoreTransactions)
  if (plan.rekeyTransactions.length) await order.updateOrderTransactions(plan.rekeyTransactions)
  for (const k of ["softDeleteRefunds", "restoreRefunds", "softDeleteTransactions", "restoreTransactions"] as const) if (plan[k].length) report.changes[k] = plan[k]
  if (plan.rekeyTransactions.length) report.changes.rekeyTransactions = plan.rekeyTransactions.map((t) => t.id)
  if (plan.createRefunds.length) report.changes.createRefunds = plan.createRefunds.map((r) => r.id)

  // 2. sums: the collections' refunded amounts and the order's summary, from what now stands
  const sums = async () => {
    const standing = (await refundRows()).filter((r) => !r.deleted_at)
    const collections = collectionIds.length ? await payment.listPaymentCollections({ id: collectionIds }, { select: ["id", "refunded_amount"] }) : []
    for (const c of collections) {
      const ofCollection = new Set(payments.filter((p) => p.payment_collection_id === c.id).map((p) => p.id))
      const amount = refundedAmount(c.refunded_amount, standing.filter((r) => ofCollection.has(r.payment_id)))
      if (amount === null) continue
      await payment.updatePaymentCollections(c.id, { refunded_amount: amount })
      report.collections.push({ id: c.id, refunded_amount: amount })
    }
    if (!orderId) return null
    const summary = await currentSummary(order, orderId)
    if (!summary) return null
    const transactions = await order.listOrderTransactions({ order_id: orderId }, { select: ["id", "amount"] })
    const totals = summaryTotals(summary.totals, transactions)
    if (totals) {
      await order.updateOrderSummaries([{ id: summary.id, totals }])
      report.summary = true
    }
    return totals ?? summary.totals
  }
  let totals = await sums()

  // 3. refunds PagoEfectivo has that Medusa never booked on the order, booked as Medusa's refund
  //    workflow books them: the transaction, and a credit line for what the refund leaves over what
  //    the order already owed the shopper. The credit line owed is written on the record first, so
  //    that a run stopped in between is finished by the next one.
  const canCredit = orderRow && orderRow.status !== "canceled"
  for (const t of plan.createTransactions) {
    const pendingBefore = totals ? summaryValue(totals, "pending_difference") : 0
    const credit = canCredit ? creditLineAmount(t.amount, pendingBefore) : "0"
    if (MathBN.gt(MathBN.convert(credit), 0)) await pe.ledger().oweCreditLine(t.refund_id, credit)
    await order.addOrderTransactions([{ order_id: orderId, amount: MathBN.mult(t.amount, -1).toString(), currency_code: t.currency_code.toLowerCase(), reference: "refund", reference_id: t.refund_id }])
    ;(report.changes.createTransactions ??= []).push(t.refund_id)
    if (MathBN.gt(MathBN.convert(credit), 0)) plan.creditLines.push({ refund_id: t.refund_id, amount: credit })
  }
  for (const c of plan.creditLines) {
    if (!canCredit) {
      await pe.ledger().oweCreditLine(c.refund_id, null)
      continue
    }
    try {
      await createOrderCreditLinesWorkflow(container).run({
        input: { id: orderId!, credit_lines: [{ amount: MathBN.convert(c.amount).toNumber(), reference: "pagoefectivo_refund", reference_id: c.refund_id }] },
      })
      await pe.ledger().oweCreditLine(c.refund_id, null)
      report.creditLines.push(c.refund_id)
    } catch (e) {
      // e.g. an order change in progress: still owed, the next run writes it
      logger.warn(`pagoefectivo: the credit line of refund ${c.refund_id} on order ${orderId} could not be written yet: ${(e as Error).message}`)
      report.waiting.push(c.refund_id)
    }
  }
  if (plan.createTransactions.length || report.creditLines.length) totals = await sums()

  await pe.ledger().noteCounted(plan.counted, plan.notCounted)
  // a refund counted again (a verdict of ours that PagoEfectivo overruled): its keyed request too
  for (const refundId of plan.counted) {
    const record = records.find((r) => r.refund_id === refundId)!
    await pe.refundRequests().revive(refundId, record.status === "completed" ? "ok" : "pending")
  }
  if (Object.keys(report.changes).length || report.collections.length || report.summary) {
    logger.info(`pagoefectivo: books of ${orderId ?? books.payment_collection_id} converged: ${JSON.stringify({ ...report.changes, collections: report.collections, summary: report.summary, creditLines: report.creditLines })}`)
  }
  return report
}

/** The payment collections in these books: the order's (all of them), or the records' own. */
async function collectionsOf(container: MedusaContainer, books: BooksKey, records: RefundRecord[]): Promise<string[]> {
  const ids = new Set(records.map((r) => r.payment_collection_id).filter((id): id is string => !!id))
  if (books.payment_collection_id) ids.add(books.payment_collection_id)
  if (books.order_id) {
    const query = container.resolve(ContainerRegistrationKeys.QUERY)
    const { data } = await query.graph({ entity: "order_payment_collection", fields: ["payment_collection_id"], filters: { order_id: books.order_id } })
    for (const link of data as { payment_collection_id: string }[]) ids.add(link.payment_collection_id)
  }
  return [...ids]
}

/** The summary of the order's current version (a credit line bumps the version). */
async function currentSummary(order: OrderModule, orderId: string): Promise<{ id: string; totals: Totals } | null> {
  const [{ version }] = await order.listOrders({ id: orderId }, { select: ["id", "version"] })
  const [summary] = await order.listOrderSummaries({ order_id: orderId, version }, { select: ["id", "totals"] })
  return summary ?? null
}
