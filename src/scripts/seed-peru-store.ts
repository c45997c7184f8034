import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules, ProductStatus } from "@medusajs/framework/utils"
import {
  createApiKeysWorkflow,
  createProductsWorkflow,
  createRegionsWorkflow,
  createSalesChannelsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  linkSalesChannelsToApiKeyWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"

export const PAGOEFECTIVO_PROVIDER_ID = "pp_pagoefectivo_pagoefectivo"
export const REGION_NAME = "Perú"
export const USD_REGION_NAME = "Internacional (USD)"
const USD_COUNTRIES = ["cl", "co", "ec", "bo", "us"]

export type SeededStore = {
  /** Perú, in PEN. */
  regionId: string
  /** Cross-border buyers priced in USD (Chile, Colombia, Ecuador, Bolivia, USA). */
  usdRegionId: string
  salesChannelId: string
  publishableKey: string
  productId: string
  variantId: string
  shippingOptionId: string
  returnShippingOptionId: string
  stockLocationId: string
}

/**
 * A store selling into Peru: currencies PEN (default), USD and EUR; a "Perú" region in PEN with
 * PagoEfectivo and Medusa's system provider enabled; a warehouse in Lima shipping to Peru; one
 * product priced in all three currencies; a publishable key. Running it again returns what the
 * first run made.
 */
export async function seedPeruStore(container: MedusaContainer): Promise<SeededStore> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const link = container.resolve(ContainerRegistrationKeys.LINK)

  const existing = await findSeeded(container)
  if (existing) return existing

  const { result: channels } = await createSalesChannelsWorkflow(container).run({
    input: { salesChannelsData: [{ name: "Tienda Perú", description: "Online store, Peru" }] },
  })
  const salesChannel = channels[0]

  const { data: stores } = await query.graph({ entity: "store", fields: ["id"] })
  await updateStoresWorkflow(container).run({
    input: {
      selector: { id: stores[0].id },
      update: {
        name: "Tienda Perú (PagoEfectivo demo)",
        supported_currencies: [
          { currency_code: "pen", is_default: true },
          { currency_code: "usd" },
          { currency_code: "eur" },
        ],
        default_sales_channel_id: salesChannel.id,
      },
    },
  })

  const { result: regions } = await createRegionsWorkflow(container).run({
    input: {
      regions: [
        {
          name: REGION_NAME,
          currency_code: "pen",
          countries: ["pe"],
          payment_providers: [PAGOEFECTIVO_PROVIDER_ID, "pp_system_default"],
        },
        {
          name: USD_REGION_NAME,
          currency_code: "usd",
          countries: USD_COUNTRIES,
          payment_providers: [PAGOEFECTIVO_PROVIDER_ID, "pp_system_default"],
        },
      ],
    },
  })
  const region = regions[0]
  const usdRegion = regions[1]

  const fulfillment = container.resolve(Modules.FULFILLMENT)
  const { data: profiles } = await query.graph({ entity: "shipping_profile", fields: ["id"], filters: { type: "default" } })
  const shippingProfileId =
    profiles[0]?.id ??
    (
      await createShippingProfilesWorkflow(container).run({
        input: { data: [{ name: "Default Shipping Profile", type: "default" }] },
      })
    ).result[0].id

  const fulfillmentSet = await fulfillment.createFulfillmentSets({
    name: "Lima warehouse delivery",
    type: "shipping",
    service_zones: [
      {
        name: "Perú y Sudamérica",
        geo_zones: ["pe", ...USD_COUNTRIES].map((country_code) => ({ country_code, type: "country" as const })),
      },
    ],
  })

  const { result: locations } = await createStockLocationsWorkflow(container).run({
    input: { locations: [{ name: "Lima warehouse", address: { city: "Lima", country_code: "PE", address_1: "Av. Larco 101" } }] },
  })
  const stockLocation = locations[0]
  await link.create([
    { [Modules.STOCK_LOCATION]: { stock_location_id: stockLocation.id }, [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" } },
    { [Modules.STOCK_LOCATION]: { stock_location_id: stockLocation.id }, [Modules.FULFILLMENT]: { fulfillment_set_id: fulfillmentSet.id } },
  ])
  await linkSalesChannelsToStockLocationWorkflow(container).run({
    input: { id: stockLocation.id, add: [salesChannel.id] },
  })

  const shippingPrices = [
    { currency_code: "pen", amount: 10 },
    { currency_code: "usd", amount: 3 },
    { currency_code: "eur", amount: 3 },
    { region_id: region.id, amount: 10 },
    { region_id: usdRegion.id, amount: 3 },
  ]
  const shippingOption = (name: string, type: { label: string; description: string; code: string }, isReturn: boolean) => ({
    name,
    price_type: "flat" as const,
    provider_id: "manual_manual",
    service_zone_id: fulfillmentSet.service_zones[0].id,
    shipping_profile_id: shippingProfileId,
    type,
    prices: shippingPrices,
    rules: [
      { attribute: "enabled_in_store", value: "true", operator: "eq" as const },
      { attribute: "is_return", value: String(isReturn), operator: "eq" as const },
    ],
  })
  const { result: options } = await createShippingOptionsWorkflow(container).run({
    input: [
      shippingOption("Envío estándar", { label: "Estándar", description: "2-3 días hábiles", code: "standard" }, false),
      shippingOption("Devolución", { label: "Devolución", description: "Return to the Lima warehouse", code: "return" }, true),
    ],
  })

  const { result: keys } = await createApiKeysWorkflow(container).run({
    input: { api_keys: [{ title: "Tienda Perú storefront", type: "publishable", created_by: "" }] },
  })
  await linkSalesChannelsToApiKeyWorkflow(container).run({ input: { id: keys[0].id, add: [salesChannel.id] } })

  const { result: products } = await createProductsWorkflow(container).run({
    input: {
      products: [
        {
          title: "Chompa de alpaca",
          handle: "chompa-de-alpaca",
          description: "Alpaca wool sweater, knitted in Cusco.",
          status: ProductStatus.PUBLISHED,
          shipping_profile_id: shippingProfileId,
          options: [{ title: "Talla", values: ["M"] }],
          variants: [
            {
              title: "M",
              sku: "CHOMPA-M",
              options: { Talla: "M" },
              manage_inventory: false,
              prices: [
                { currency_code: "pen", amount: 189.9 },
                { currency_code: "usd", amount: 49.5 },
                { currency_code: "eur", amount: 45 },
              ],
            },
          ],
          sales_channels: [{ id: salesChannel.id }],
        },
      ],
    },
  })

  return {
    regionId: region.id,
    usdRegionId: usdRegion.id,
    salesChannelId: salesChannel.id,
    publishableKey: keys[0].token,
    productId: products[0].id,
    variantId: products[0].variants[0].id,
    shippingOptionId: options.find((o) => o.name === "Envío estándar")!.id,
    returnShippingOptionId: options.find((o) => o.name === "Devolución")!.id,
    stockLocationId: stockLocation.id,
  }
}

async function findSeeded(container: MedusaContainer): Promise<SeededStore | null> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const { data: regions } = await query.graph({ entity: "region", fields: ["id", "name"], filters: { name: [REGION_NAME, USD_REGION_NAME] } })
  if (regions.length < 2) return null
  const { data: products } = await query.graph({
    entity: "product",
    fields: ["id", "variants.id", "sales_channels.id"],
    filters: { handle: "chompa-de-alpaca" },
  })
  const { data: keys } = await query.graph({ entity: "api_key", fields: ["token"], filters: { type: "publishable", title: "Tienda Perú storefront" } })
  const { data: options } = await query.graph({ entity: "shipping_option", fields: ["id", "name"] })
  const { data: locations } = await query.graph({ entity: "stock_location", fields: ["id"], filters: { name: "Lima warehouse" } })
  return {
    regionId: regions.find((r) => r.name === REGION_NAME)!.id,
    usdRegionId: regions.find((r) => r.name === USD_REGION_NAME)!.id,
    salesChannelId: products[0].sales_channels![0]!.id,
    publishableKey: keys[0].token,
    productId: products[0].id,
    variantId: products[0].variants[0].id,
    shippingOptionId: options.find((o) => o.name === "Envío estándar")!.id,
    returnShippingOptionId: options.find((o) => o.name === "Devolución")!.id,
    stockLocationId: locations[0].id,
  }
}

/** `npx medusa exec ./src/scripts/seed-peru-store.ts` prints the seeded ids as JSON. */
export default async function seed({ container }: ExecArgs) {
  const seeded = await seedPeruStore(container)
  container.resolve(ContainerRegistrationKeys.LOGGER).info(`pagoefectivo seed: ${JSON.stringify(seeded)}`)
  return seeded
}
