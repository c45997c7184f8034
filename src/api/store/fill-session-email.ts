import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PROVIDER_ID_PREFIX } from "../../workflows/process-notification"

/**
 * PagoEfectivo needs the shopper's email on every CIP, but Medusa gives payment providers the
 * customer only for logged-in shoppers. For a PagoEfectivo session without `data.email`, this
 * fills it in from the cart the payment collection belongs to, so guest checkout works with an
 * unmodified storefront.
 */
export async function fillPagoEfectivoSessionEmail(req: MedusaRequest, _res: MedusaResponse, next: MedusaNextFunction) {
  try {
    const body = (req.body ?? {}) as { provider_id?: unknown; data?: Record<string, unknown> }
    if (typeof body.provider_id !== "string" || !body.provider_id.startsWith(PROVIDER_ID_PREFIX) || body.data?.email) {
      return next()
    }
    const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
    const { data: links } = await query.graph({
      entity: "cart_payment_collection",
      fields: ["cart_id"],
      filters: { payment_collection_id: req.params.id },
    })
    const cartId = links[0]?.cart_id as string | undefined
    const { data: carts } = cartId
      ? await query.graph({ entity: "cart", fields: ["email"], filters: { id: cartId } })
      : { data: [] as { email?: string | null }[] }
    const email = carts[0]?.email
    if (email) body.data = { ...(body.data ?? {}), email }
    next()
  } catch (e) {
    next(e)
  }
}
