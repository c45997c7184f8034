import { AbstractNotificationProviderService, ModuleProvider, Modules } from "@medusajs/framework/utils"
import type { ProviderSendNotificationDTO, ProviderSendNotificationResultsDTO } from "@medusajs/framework/types"

/**
 * A notification provider for the email channel that sends nothing and records every call, for
 * the email spec (medusa-config.ts registers it when PAGOEFECTIVO_DEV_EMAIL names this file).
 * The spec runs in the same process as the app: it reads `sentEmails()`.
 */
type Sent = ProviderSendNotificationDTO
const KEY = "__pagoefectivoTestEmails"
const store = () => ((globalThis as Record<string, unknown>)[KEY] ??= []) as Sent[]

export const sentEmails = (): Sent[] => store()
export const clearSentEmails = () => {
  store().length = 0
}

class TestEmailProvider extends AbstractNotificationProviderService {
  static identifier = "pagoefectivo-test-email"

  async send(notification: ProviderSendNotificationDTO): Promise<ProviderSendNotificationResultsDTO> {
    store().push(notification)
    return { id: `test-email-${store().length}` }
  }
}

export default ModuleProvider(Modules.NOTIFICATION, { services: [TestEmailProvider] })
