import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type { RefundRecord } from "../../modules/pagoefectivo/ledger"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export type CompletionsInput = { refunds: { refund_id: string; reference_id?: string | null; trace_id?: string | null }[] }
export type CompletionsOutcome = { completed: RefundRecord[]; duplicates: string[]; anomalies: string[]; unmatched: string[] }

/**
 * Completes the records PagoEfectivo completed, in one statement; a record already completed is a
 * duplicate, one already rejected or failed an anomaly (noted on it, not applied: the books keep
 * following the record's first final word). Compensation puts the completed records back as they were.
 */
export const completeRefundRecordsStep = createStep(
  "pagoefectivo-complete-refund-records",
  async (input: CompletionsInput, { container }) => {
    const ledger = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
    const ids = input.refunds.map((r) => r.refund_id)
    const before = await ledger.getMany(ids)
    const completed = await ledger.completeMany(input.refunds)
    const moved = new Set(completed.map((r) => r.refund_id))
    const known = new Map(before.map((r) => [r.refund_id, r]))
    const outcome: CompletionsOutcome = { completed, duplicates: [], anomalies: [], unmatched: [] }
    for (const id of ids) {
      const r = known.get(id)
      if (moved.has(id)) continue
      if (!r) outcome.unmatched.push(id)
      else if (r.status === "completed") outcome.duplicates.push(id)
      else {
        const message = `refund ${id} is ${r.status} but PagoEfectivo says completed; not applied`
        await ledger.noteAnomaly(id, message)
        container.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo: anomaly: ${message}`)
        outcome.anomalies.push(id)
      }
    }
    return new StepResponse(outcome, before.filter((r) => moved.has(r.refund_id)))
  },
  async (previous, { container }) => {
    const ledger = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).ledger()
    for (const record of previous ?? []) await ledger.restore(record)
  }
)

