import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import { DEAD_STATUSES, type RefundRecord } from "../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

type Previous = { key: string; status: string; message: string | null }[]

/**
 * A refund the plugin made under a key (a return, a batch line) that ended dead: its request says
 * so ("error", nothing refunded), so that staff's retry or a resubmitted batch refunds again. Only
 * requests still saying ok/pending move, so running it again is a no-op. Compensation puts them back.
 */
export const reopenRefundRequestsStep = createStep(
  "pagoefectivo-reopen-refund-requests",
  async ({ record }: { record: RefundRecord | null }, { container }) => {
    if (!record || !DEAD_STATUSES.includes(record.status)) return new StepResponse(null, null as Previous | null)
    const previous = await container
      .resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
      .refundRequests()
      .reopenUndone(record.refund_id, `refund ${record.refund_id} was undone (${record.failure_reason ?? record.status}); nothing was refunded: retry to refund again`)
    return new StepResponse(null, previous)
  },
  async (previous, { container }) => {
    if (!previous?.length) return
    await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).refundRequests().restoreStatuses(previous)
  }
)
