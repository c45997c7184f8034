import type { AuthenticatedMedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { sendConflict } from "../../orders/view"
import { BatchConflictError, type BatchProblem, type BatchResult, runRefundBatch, validateBatch } from "../../../../../lib/refunds/refund-batch"

const CONCURRENCY = Number(process.env.PAGOEFECTIVO_BATCH_CONCURRENCY) || 4

/**
 * POST /admin/pagoefectivo/refunds/batch `{ batch_key, items: [{ payment_id, amount?, reason?, currency_code? }] }`
 *
 * Up to 500 refunds. The whole batch is validated before anything runs: a bad item (shape, amount
 * with more than 2 decimals, unknown payment, payment of another provider, wrong currency) makes
 * it a 400 listing every problem by line, and nothing is refunded. Then each item runs through
 * Medusa's refund workflow (as the Refund button), and the answer says per line: ok, pending
 * (PagoEfectivo's result to come), error (nothing refunded, with the reason) or skipped.
 * Resubmitting the same batch_key refunds nothing twice (lines that ended in error run again);
 * the same key with other items is a 409.
 */
export const POST = async (req: AuthenticatedMedusaRequest, res: MedusaResponse<BatchResult | { type: string; message: string; problems: BatchProblem[] }>) => {
  const checked = await validateBatch(req.scope, req.body)
  if (!checked.ok) {
    res.status(400).json({
      type: "invalid_data",
      message: `The batch is invalid and nothing was refunded: ${checked.problems.length} problem(s)`,
      problems: checked.problems,
    })
    return
  }
  try {
    const result = await runRefundBatch(req.scope, {
      batch_key: checked.batch_key,
      items: checked.items,
      created_by: req.auth_context?.actor_id ?? null,
      concurrency: CONCURRENCY,
    })
    res.json(result)
  } catch (e) {
    if (e instanceof BatchConflictError) return sendConflict(res, e.message, { problems: [] })
    throw e
  }
}
