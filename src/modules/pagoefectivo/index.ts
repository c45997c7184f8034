import { Module } from "@medusajs/framework/utils"
import PagoEfectivoModuleService from "./service"

export const PAGOEFECTIVO_MODULE = "pagoefectivo"

export default Module(PAGOEFECTIVO_MODULE, {
  service: PagoEfectivoModuleService,
})

export type { PagoEfectivoModuleService }
