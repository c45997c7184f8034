import type { MedusaNextFunction, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { PROVIDER_ID_PREFIX } from "../../lib/pagoefectivo/provider-id"

/**
 * PagoEfectivo needs the shopper's email on every CIP, but Medusa gives payment providers the
 * customer only for logged-in shoppers. For a PagoEfectivo session without `data.email`, this
 * fills it in from the cart the payment collection belongs to, so guest checkout works with an
 * unmodified storefront. It also passes the cart's address phone and country (`data.phone`,
 * `data.country_code`, billing address first) when the storefront sent none: the provider puts
 * them on the CIP as userPhone / userCodeCountry, so PagoEfectivo's own SMS reminders reach the
 * shopper.
 */
export async function fillPagoEfectivoSessionEmail(req: MedusaRequest, _res: MedusaResponse, next: MedusaNextFunction) {
  try {
    const body = (req.body ?? {}) as { provider_id?: unknown; data?: Record<string, unknown> }
    if (typeof body.provider_id !== "string" || !body.provider_id.startsWith(PROVIDER_ID_PREFIX) || (body.data?.email && body.data?.phone)) {
      return next()
    }
    const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
    const { data: links } = await query.graph({
      entity: "cart_payment_collection",
      fields: ["cart_id"],
      filters: { payment_collection_id: req.params.id },
    })
    const cartId = links[0]?.cart_id as string | undefined
    type Address = { phone?: string | null; country_code?: string | null } | null
    const { data: carts } = cartId
      ? await query.graph({
          entity: "cart",
          fields: ["email", "billing_address.phone", "billing_address.country_code", "shipping_address.phone", "shipping_address.country_code"],
          filters: { id: cartId },
        })
      : { data: [] as { email?: string | null; billing_address?: Address; shipping_address?: Address }[] }
    const cart = carts[0]
    const fill: Record<string, unknown> = {}
    if (cart?.email && !body.data?.email) fill.email = cart.email
    const address = [cart?.billing_address, cart?.shipping_address].find((a) => a?.phone)
    if (address?.phone && !body.data?.phone) {
      fill.phone = address.phone
      fill.country_code = address.country_code ?? null
    }
    if (Object.keys(fill).length) body.data = { ...(body.data ?? {}), ...fill }
    next()
  } catch (e) {
    next(e)
  }
}
