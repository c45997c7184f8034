import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export const markOutsideNotificationStepId = "pagoefectivo-mark-outside-notification"

export type MarkOutsideNotificationStepInput = { id: string; recorded: boolean }

/** The notification now names a refund this store has: processed (so it leaves the queue). */
export const markOutsideNotificationStep = createStep(markOutsideNotificationStepId, async (input: MarkOutsideNotificationStepInput, { container }) => {
  if (!input.recorded) return new StepResponse(null)
  await container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).updatePagoEfectivoNotifications({
    id: input.id,
    status: "processed",
    error: null,
    processed_at: new Date(),
  })
  return new StepResponse(null)
})
