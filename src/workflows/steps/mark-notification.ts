import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export const markNotificationStepId = "pagoefectivo-mark-notification"

/** What became of a stored notification once applied. */
export type NotificationMark = "processed" | "ignored" | "unmatched" | "anomaly"

export type MarkNotificationStepInput = { id: string; status: NotificationMark; error?: string | null }

/** The stored notification shows what became of it, and when. */
export const markNotificationStep = createStep(markNotificationStepId, async (input: MarkNotificationStepInput, { container }) => {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  await pe.updatePagoEfectivoNotifications({
    id: input.id,
    status: input.status,
    error: input.error ?? null,
    processed_at: new Date(),
  })
  return new StepResponse(null)
})
