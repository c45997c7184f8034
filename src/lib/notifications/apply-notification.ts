import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { processPagoEfectivoNotificationWorkflow } from "../../workflows/process-notification"
import { latePaymentLockKey } from "../renewal/late-payment"

/**
 * Runs processPagoEfectivoNotificationWorkflow for one stored notification (the subscriber and
 * the reconciliation both call this). A failure is logged and recorded on the notification
 * (status "failed", with the error), never thrown: the next delivery or reconciliation retries.
 */
export async function applyNotification(container: MedusaContainer, id: string): Promise<void> {
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  try {
    const run = async () => (await processPagoEfectivoNotificationWorkflow(container).run({ input: { id } })).result
    // a cip.paid of a renewed order's CIP: one at a time per order (the replaced and the renewed
    // CIP can both be paid; see ../renewal/late-payment.ts), also against a renewal
    const stored = await pe.retrievePagoEfectivoNotification(id, { select: ["event_type", "cip"] })
    const lockKey = stored.event_type === "cip.paid" && stored.cip ? await latePaymentLockKey(pe, stored.cip) : null
    const result = lockKey ? await container.resolve(Modules.LOCKING).execute(lockKey, run, { timeout: 120 }) : await run()
    logger.info(`pagoefectivo: notification ${id} → ${result.kind}${"reason" in result ? ` (${result.reason})` : ""}`)
  } catch (e) {
    const message = (e as Error)?.message ?? String(e)
    logger.error(`pagoefectivo: notification ${id} failed: ${message}`)
    await pe.updatePagoEfectivoNotifications({ id, status: "failed", error: message.slice(0, 1000) })
  }
}
