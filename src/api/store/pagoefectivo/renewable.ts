import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { PagoEfectivoCip } from "../../../lib/cip/read"
import { renewalsLeft } from "../../../lib/renewal/renew-order"

/**
 * For an order's CIP that has expired (PagoEfectivo said so, or its expiry has passed): whether a
 * fresh CIP may be asked for (renewal on, renewals left, the order open). null for a CIP that has
 * not expired: the answer then says nothing about renewal. Reads what the plugin stores only.
 */
export async function renewability(container: MedusaContainer, orderId: string, cip: PagoEfectivoCip, now = Date.now()): Promise<boolean | null> {
  const past = cip.expires_at ? Date.parse(cip.expires_at) <= now : false
  if (!(cip.status === "expired" || (cip.status === "pending" && past))) return null
  const { data } = await container.resolve(ContainerRegistrationKeys.QUERY).graph({ entity: "order", fields: ["status"], filters: { id: orderId } })
  const status = (data[0] as { status?: string } | undefined)?.status
  if (!status || status === "canceled" || status === "draft") return false
  return (await renewalsLeft(container, orderId)) > 0
}
