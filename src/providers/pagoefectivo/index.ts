import { ModuleProvider, Modules } from "@medusajs/framework/utils"
import PagoEfectivoProviderService from "./service"

export default ModuleProvider(Modules.PAYMENT, {
  services: [PagoEfectivoProviderService],
})
