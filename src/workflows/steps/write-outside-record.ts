import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"
import type { OutsideRefund } from "../../modules/pagoefectivo/outside-refunds"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export const writeOutsideRecordStepId = "pagoefectivo-write-outside-refund"

export type WriteOutsideRecordStepInput = OutsideRefund

export type RecordStepOutput = { kind: "created" | "existing" | "above_refundable"; record: RefundRecord | null; message: string | null }

/**
 * Writes the record (see OutsideRefunds.record). No compensation, on purpose: PagoEfectivo made
 * this refund, and the books follow the record in this run or the next (the reconciliation's sweep).
 */
export const writeOutsideRecordStep = createStep(writeOutsideRecordStepId, async (input: WriteOutsideRecordStepInput, { container }) => {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const result = await pe.outsideRefunds().record(input, pe.options.refundCallLeaseSeconds)
  if (result.kind === "above_refundable") {
    const message = `PagoEfectivo refunded ${input.currency_code} ${input.amount} on CIP ${input.cip}, but with the ${result.counted} already refunded that passes the ${input.paid} paid; not recorded: look into it with PagoEfectivo`
    return new StepResponse<RecordStepOutput>({ kind: "above_refundable", record: null, message })
  }
  return new StepResponse<RecordStepOutput>({ kind: result.kind, record: result.record, message: null })
})

