/**
 * The plugin's public workflows, for a store that composes them: `import { … } from
 * "medusa-payment-pagoefectivo/workflows"` (package.json `exports["./workflows"]`).
 *
 * Workflows (run them with `workflow(container).run({ input })`, or inside another workflow with
 * `workflow.runAsStep({ input })`), and the functions the plugin's own routes, subscribers and job
 * call, which wrap them with the plugin's locking and bookkeeping. Steps and helpers that are not
 * listed here are internal.
 */
export { processPagoEfectivoNotificationWorkflow } from "./process-notification"
export type { NotificationTarget } from "./process-notification"
export { applyNotification } from "../lib/notifications/apply-notification"
export { isPagoEfectivoProvider, PROVIDER_ID_PREFIX } from "../lib/pagoefectivo/provider-id"

export { applyRefundResultWorkflow } from "./apply-refund-result"
export type { RefundResultInput, RefundResultOutcome } from "./apply-refund-result"
export { completeRefundsWorkflow } from "./complete-refunds"
export type { CompletionsInput, CompletionsOutcome } from "./steps/complete-refund-records"

export { convergeBooks, booksLockKey } from "../lib/books/converge"
export type { BooksKey, BooksReport } from "../lib/books/converge"

export { reconcilePagoEfectivo, reconcileRefund } from "../lib/reconciliation/reconcile"
export type { ReconcileOptions, ReconcileSummary } from "../lib/reconciliation/reconcile"
export { runReconciliation } from "../lib/reconciliation/runs"

export { recordOutsideRefundWorkflow } from "./record-outside-refund"
export { recordOutsideRefund } from "../lib/refunds/outside-refund"
export type { OutsideRefundResult } from "../lib/refunds/outside-refund"

export { refundOnce } from "../lib/refunds/refund-once"
export type { RefundOnceInput, RefundOnceResult } from "../lib/refunds/refund-once"

export { refundReturn } from "../lib/refunds/refund-return"
export type { ReturnRefundResult } from "../lib/refunds/refund-return"

export { runRefundBatch, validateBatch, BatchConflictError, MAX_BATCH_ITEMS } from "../lib/refunds/refund-batch"
export type { BatchItem, BatchItemResult, BatchProblem, BatchResult } from "../lib/refunds/refund-batch"
