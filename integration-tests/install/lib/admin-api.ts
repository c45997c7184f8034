/**
 * The admin API over HTTP, as staff (or a setup script of the merchant's) would use it: log in,
 * then set the store up to sell into Peru with PagoEfectivo — README's "enable the provider in
 * your Peru region" — with no code of the plugin's or of any starter.
 */
export type Admin = {
  baseUrl: string
  token: string
  call<T = any>(method: string, path: string, body?: unknown): Promise<T>
}

export async function adminLogin(baseUrl: string, email: string, password: string): Promise<Admin> {
  const res = await fetch(`${baseUrl}/auth/user/emailpass`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  })
  const body = (await res.json().catch(() => ({}))) as { token?: string; message?: string }
  if (!res.ok || !body.token) throw new Error(`admin login answered ${res.status}: ${body.message ?? JSON.stringify(body)}`)
  const token = body.token
  return {
    baseUrl,
    token,
    async call<T>(method: string, path: string, payload?: unknown): Promise<T> {
      const r = await fetch(baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(payload === undefined ? {} : { "content-type": "application/json" }) },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      })
      const text = await r.text()
      const json = text ? JSON.parse(text) : undefined
      if (!r.ok) throw new Error(`${method} ${path} answered ${r.status}: ${json?.message ?? text.slice(0, 500)}`)
      return json as T
    },
  }
}

export type PeruStore = { regionId: string; variantId: string; publishableKey: string; salesChannelId: string }

export const PROVIDER_ID = "pp_pagoefectivo_pagoefectivo"

/**
 * Currency PEN, a "Perú" region with PagoEfectivo, a warehouse in Lima shipping to Peru (S/ 10),
 * one published product (S/ 189.90), a publishable key. Each step is a plain admin route.
 */
export async function setUpPeruStore(admin: Admin): Promise<PeruStore> {
  const { stores } = await admin.call("GET", "/admin/stores")
  await admin.call("POST", `/admin/stores/${stores[0].id}`, { supported_currencies: [{ currency_code: "pen", is_default: true }, { currency_code: "usd" }] })

  const { region } = await admin.call("POST", "/admin/regions", {
    name: "Perú",
    currency_code: "pen",
    countries: ["pe"],
    payment_providers: [PROVIDER_ID],
  })
  const { region: withProviders } = await admin.call("GET", `/admin/regions/${region.id}?fields=*payment_providers`)
  if (!withProviders.payment_providers.some((p: { id: string }) => p.id === PROVIDER_ID)) {
    throw new Error(`the region does not list ${PROVIDER_ID}: ${JSON.stringify(withProviders.payment_providers)}`)
  }

  const { sales_channel } = await admin.call("POST", "/admin/sales-channels", { name: "Tienda Perú" })
  const { stock_location } = await admin.call("POST", "/admin/stock-locations", {
    name: "Lima warehouse",
    address: { address_1: "Av. Larco 101", city: "Lima", country_code: "PE" },
  })
  await admin.call("POST", `/admin/stock-locations/${stock_location.id}/sales-channels`, { add: [sales_channel.id] })
  await admin.call("POST", `/admin/stock-locations/${stock_location.id}/fulfillment-providers`, { add: ["manual_manual"] })
  const { stock_location: withSet } = await admin.call("POST", `/admin/stock-locations/${stock_location.id}/fulfillment-sets?fields=*fulfillment_sets`, {
    name: "Lima delivery",
    type: "shipping",
  })
  const { fulfillment_set } = await admin.call("POST", `/admin/fulfillment-sets/${withSet.fulfillment_sets[0].id}/service-zones`, {
    name: "Perú",
    geo_zones: [{ type: "country", country_code: "pe" }],
  })

  const { shipping_profiles } = await admin.call("GET", "/admin/shipping-profiles?type=default")
  const shippingProfileId: string =
    shipping_profiles[0]?.id ?? (await admin.call("POST", "/admin/shipping-profiles", { name: "Default", type: "default" })).shipping_profile.id

  await admin.call("POST", "/admin/shipping-options", {
    name: "Envío estándar",
    service_zone_id: fulfillment_set.service_zones[0].id,
    shipping_profile_id: shippingProfileId,
    provider_id: "manual_manual",
    price_type: "flat",
    type: { label: "Estándar", description: "2-3 días hábiles", code: "standard" },
    prices: [{ currency_code: "pen", amount: 10 }],
    rules: [
      { attribute: "enabled_in_store", value: "true", operator: "eq" },
      { attribute: "is_return", value: "false", operator: "eq" },
    ],
  })

  const { product } = await admin.call("POST", "/admin/products", {
    title: "Chompa de alpaca",
    status: "published",
    shipping_profile_id: shippingProfileId,
    options: [{ title: "Talla", values: ["M"] }],
    variants: [{ title: "M", options: { Talla: "M" }, manage_inventory: false, prices: [{ currency_code: "pen", amount: 189.9 }] }],
    sales_channels: [{ id: sales_channel.id }],
  })

  const { api_key } = await admin.call("POST", "/admin/api-keys", { title: "Storefront", type: "publishable" })
  await admin.call("POST", `/admin/api-keys/${api_key.id}/sales-channels`, { add: [sales_channel.id] })

  return { regionId: region.id, variantId: product.variants[0].id, publishableKey: api_key.token, salesChannelId: sales_channel.id }
}
