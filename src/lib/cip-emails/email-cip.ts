import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { sendPagoEfectivoCipEmailWorkflow } from "../../workflows/send-cip-email"
import type { CipEmailKind, CipEmailResult } from "./plan"

/**
 * Emails `kind` for an order, when the plugin may (cipEmails on, an email provider configured:
 * without one it was said once at boot and every email is skipped without a word).
 */
export async function emailCip(container: MedusaContainer, orderId: string, kind: CipEmailKind, now?: number): Promise<CipEmailResult> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  if (!pe.options.cipEmails) return { sent: false, duplicate: false, reason: "cipEmails is off", notification_id: null }
  if (!(await pe.hasEmailProvider())) return { sent: false, duplicate: false, reason: "no email provider", notification_id: null }
  const { result } = await sendPagoEfectivoCipEmailWorkflow(container).run({ input: { order_id: orderId, kind, now } })
  if (result.sent) {
    container.resolve(ContainerRegistrationKeys.LOGGER).info(`pagoefectivo: CIP ${kind} emailed for order ${orderId} (notification ${result.notification_id})`)
  }
  return result
}
