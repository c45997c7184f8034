/**
 * A scripted shopper: the store API calls a storefront makes to buy with PagoEfectivo, over real
 * HTTP. Used by the demo (`npm run demo`) and by the integration specs, so both exercise the same
 * path.
 */

export type StoreApi = {
  baseUrl: string
  publishableKey: string
}

export class StoreApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: any,
    readonly path: string
  ) {
    super(`${path} answered ${status}: ${body?.message ?? JSON.stringify(body)}`)
  }
}

export async function storeCall<T = any>(api: StoreApi, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(api.baseUrl + path, {
    method,
    headers: {
      "content-type": "application/json",
      "x-publishable-api-key": api.publishableKey,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await res.text()
  const json = text ? JSON.parse(text) : undefined
  if (!res.ok) throw new StoreApiError(res.status, json, `${method} ${path}`)
  return json as T
}

export type CheckoutInput = {
  regionId: string
  variantId: string
  email: string
  /** Shipping country; "pe" by default. */
  countryCode?: string
  /** Leave shipping out (the refusal specs stop before completion). */
  skipShipping?: boolean
  quantity?: number
  /** Called after each step with its duration, for the demo's printout. */
  onStep?: (step: string, ms: number, detail?: string) => void
}

export type PagoEfectivoSession = {
  id: string
  status: string
  data: { cip: string; cipUrl: string; dateExpiry: string; amount: string; currency: string; transactionCode: string }
}

/** Cart → address → shipping → payment collection: everything before choosing the payment method. */
export async function prepareCart(api: StoreApi, input: CheckoutInput) {
  const step = timer(input.onStep)
  const { cart } = await step("create cart", () =>
    storeCall(api, "POST", "/store/carts", {
      region_id: input.regionId,
      email: input.email,
    })
  )
  await step("add item", () =>
    storeCall(api, "POST", `/store/carts/${cart.id}/line-items`, { variant_id: input.variantId, quantity: input.quantity ?? 1 })
  )
  const address = {
    first_name: "Rosa",
    last_name: "Quispe",
    address_1: "Jr. de la Unión 500",
    city: "Lima",
    province: "Lima",
    postal_code: "15001",
    country_code: input.countryCode ?? "pe",
    phone: "987654321",
  }
  await step("set address", () =>
    storeCall(api, "POST", `/store/carts/${cart.id}`, { shipping_address: address, billing_address: address })
  )
  if (!input.skipShipping) {
    const { shipping_options } = await step("list shipping options", () =>
      storeCall(api, "GET", `/store/shipping-options?cart_id=${cart.id}`)
    )
    await step("choose shipping", () =>
      storeCall(api, "POST", `/store/carts/${cart.id}/shipping-methods`, { option_id: shipping_options[0].id })
    )
  }
  const { payment_collection } = await step("create payment collection", () =>
    storeCall(api, "POST", "/store/payment-collections", { cart_id: cart.id })
  )
  return { cartId: cart.id as string, paymentCollectionId: payment_collection.id as string }
}

/** Chooses PagoEfectivo: Medusa asks the provider for a CIP. */
export async function choosePagoEfectivo(
  api: StoreApi,
  paymentCollectionId: string,
  onStep?: CheckoutInput["onStep"]
): Promise<PagoEfectivoSession> {
  const step = timer(onStep)
  const { payment_collection } = await step("choose PagoEfectivo (CIP issued)", () =>
    storeCall(api, "POST", `/store/payment-collections/${paymentCollectionId}/payment-sessions`, {
      provider_id: "pp_pagoefectivo_pagoefectivo",
    })
  )
  const session = payment_collection.payment_sessions.find((s: any) => s.provider_id === "pp_pagoefectivo_pagoefectivo")
  return session as PagoEfectivoSession
}

/** Completes the cart; with a CIP still unpaid the order is placed and waits for the payment. */
export async function completeCart(api: StoreApi, cartId: string, onStep?: CheckoutInput["onStep"]) {
  const step = timer(onStep)
  const result = await step("complete cart (order placed, payment pending)", () =>
    storeCall(api, "POST", `/store/carts/${cartId}/complete`)
  )
  if (result.type !== "order") {
    throw new Error(`cart ${cartId} did not become an order: ${JSON.stringify(result.error ?? result).slice(0, 300)}`)
  }
  return result.order as { id: string; display_id: number; payment_status?: string }
}

/** The whole purchase up to the placed order: returns the order and its CIP. */
export async function checkoutWithCip(api: StoreApi, input: CheckoutInput) {
  const { cartId, paymentCollectionId } = await prepareCart(api, input)
  const session = await choosePagoEfectivo(api, paymentCollectionId, input.onStep)
  const order = await completeCart(api, cartId, input.onStep)
  return { cartId, paymentCollectionId, session, order }
}

function timer(onStep?: CheckoutInput["onStep"]) {
  return async function <T>(name: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now()
    const result = await fn()
    onStep?.(name, Math.round(performance.now() - started))
    return result
  }
}
