import type { ExecArgs, Logger, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import {
  createRegionsWorkflow,
  createShippingOptionsWorkflow,
  createShippingProfilesWorkflow,
  createStockLocationsWorkflow,
  createTaxRegionsWorkflow,
  linkSalesChannelsToStockLocationWorkflow,
  updateRegionsWorkflow,
  updateStoresWorkflow,
} from "@medusajs/medusa/core-flows"
import { PAGOEFECTIVO_PROVIDER_PREFIX } from "../lib/cip/read"

/**
 * A store set up to sell into Peru with PagoEfectivo, in one command, from the store's folder:
 *
 *   npx medusa exec ./node_modules/medusa-payment-pagoefectivo/.medusa/server/src/scripts/setup-peru-store.js [usd] [pen-per-usd=3.75]
 *
 * (`medusa exec <file> [args..]` takes positional words only: it refuses `--usd` as an unknown
 * option of its own, so the arguments are plain words; a leading `--` is accepted too.)
 *
 * Each step says what it did, what it found already done, or what it left alone because the
 * merchant set it up differently; a second run changes nothing. It only adds: no price, region,
 * zone or option of the merchant's is changed or removed.
 *
 * 1. currencies: PEN (and USD with `usd`) among the store's currencies (the default unchanged);
 * 2. region: the region holding Peru (country `pe`) gets the PagoEfectivo provider; none holds it:
 *    a "Perú" region in PEN is made with it. A region holding Peru in another currency than PEN
 *    (or USD with `usd`) is left alone;
 * 3. tax region for Peru (Medusa's system tax provider), unless one exists;
 * 4. shipping: a service zone covering Peru with a shipping option; none covers it: a "Lima
 *    warehouse" stock location, a shipping zone for Peru and a flat "Envío estándar" (S/ 10.00),
 *    linked to the store's default sales channel. A zone covering Peru with no option is reported;
 * 5. with pen-per-usd=<rate>: a PEN price for every variant that has a USD price and no PEN one
 *    (PEN = USD × rate, to the cent). Variants without either are reported.
 */
export type SetupOptions = {
  usd?: boolean
  /** PEN per USD, for variants priced in USD and not in PEN; unset: no price is added. */
  penPerUsd?: number
}

export type SetupStep = { step: string; outcome: "done" | "found" | "left alone"; detail: string }

export type SetupResult = { steps: SetupStep[]; regionId: string | null; providerId: string }

const PE = "pe"
const REGION_NAME = "Perú"
const SHIPPING_PRICE_PEN = 10

/** `usd`, `pen-per-usd=<rate>` (or with a leading `--`). */
export function parseSetupArgs(args: string[] = []): SetupOptions {
  const options: SetupOptions = {}
  for (const raw of args) {
    const arg = String(raw).replace(/^--/, "")
    if (arg === "usd") options.usd = true
    else if (arg.startsWith("pen-per-usd=")) {
      const rate = Number(arg.slice("pen-per-usd=".length))
      if (!Number.isFinite(rate) || rate <= 0 || rate > 100) throw new Error(`pen-per-usd must be a positive number of soles per dollar, e.g. pen-per-usd=3.75; got "${raw}"`)
      options.penPerUsd = rate
    } else throw new Error(`unknown argument "${raw}"; known: usd, pen-per-usd=<rate>`)
  }
  return options
}

export async function setupPeruStore(container: MedusaContainer, options: SetupOptions = {}): Promise<SetupResult> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const steps: SetupStep[] = []
  const say = (step: string, outcome: SetupStep["outcome"], detail: string) => steps.push({ step, outcome, detail })
  const currencies = ["pen", ...(options.usd ? ["usd"] : [])]

  // The provider as medusa-config registered it (pp_pagoefectivo_<id>).
  const { data: providers } = await query.graph({ entity: "payment_provider", fields: ["id", "is_enabled"] })
  const provider = providers.find((p: { id: string }) => p.id.startsWith(PAGOEFECTIVO_PROVIDER_PREFIX))
  if (!provider) {
    throw new Error(
      `no PagoEfectivo payment provider is registered: add { resolve: "medusa-payment-pagoefectivo/providers/pagoefectivo", id: "pagoefectivo", options } under the Payment module in medusa-config.ts (README, "Installing it in a store"), then run this again`
    )
  }
  const providerId: string = provider.id

  // 1. currencies
  const { data: stores } = await query.graph({ entity: "store", fields: ["id", "default_sales_channel_id", "supported_currencies.currency_code", "supported_currencies.is_default"] })
  const store = stores[0]
  const supported = (store.supported_currencies ?? []) as { currency_code: string; is_default?: boolean }[]
  const missing = currencies.filter((c) => !supported.some((s) => s.currency_code === c))
  if (missing.length) {
    const hasDefault = supported.some((s) => s.is_default)
    await updateStoresWorkflow(container).run({
      input: {
        selector: { id: store.id },
        update: {
          supported_currencies: [
            ...supported.map((s) => ({ currency_code: s.currency_code, is_default: !!s.is_default })),
            ...missing.map((c, i) => ({ currency_code: c, is_default: !hasDefault && i === 0 })),
          ],
        },
      },
    })
    say("currencies", "done", `added ${missing.map((c) => c.toUpperCase()).join(", ")} to the store's currencies`)
  } else say("currencies", "found", `${currencies.map((c) => c.toUpperCase()).join(", ")} already among the store's currencies`)

  // 2. the region holding Peru
  const { data: regions } = await query.graph({ entity: "region", fields: ["id", "name", "currency_code", "countries.iso_2", "payment_providers.id"] })
  const peRegion = regions.find((r: any) => (r.countries ?? []).some((c: any) => c?.iso_2 === PE))
  let regionId: string | null = null
  if (!peRegion) {
    const { result } = await createRegionsWorkflow(container).run({
      input: { regions: [{ name: REGION_NAME, currency_code: "pen", countries: [PE], payment_providers: [providerId] }] },
    })
    regionId = result[0].id
    say("region", "done", `created the region "${REGION_NAME}" (PEN, Peru) with ${providerId}`)
  } else if (!currencies.includes(peRegion.currency_code)) {
    say(
      "region",
      "left alone",
      `the region "${peRegion.name}" holds Peru in ${String(peRegion.currency_code).toUpperCase()}, not ${currencies.map((c) => c.toUpperCase()).join(" or ")}: not changed. PagoEfectivo takes PEN and USD; enable ${providerId} there yourself if that region should use it`
    )
  } else {
    regionId = peRegion.id
    const enabled = (peRegion.payment_providers ?? []).map((p: any) => p.id as string)
    if (enabled.includes(providerId)) say("region", "found", `the region "${peRegion.name}" (${peRegion.currency_code.toUpperCase()}) already offers ${providerId}`)
    else {
      await updateRegionsWorkflow(container).run({ input: { selector: { id: peRegion.id }, update: { payment_providers: [...enabled, providerId] } } })
      say("region", "done", `enabled ${providerId} in the region "${peRegion.name}" (${peRegion.currency_code.toUpperCase()}), beside ${enabled.length ? enabled.join(", ") : "no other provider"}`)
    }
  }

  // 3. tax region
  const { data: taxRegions } = await query.graph({ entity: "tax_region", fields: ["id", "country_code", "provider_id"], filters: { country_code: PE } })
  if (taxRegions.length) say("tax region", "found", `Peru already has a tax region (${taxRegions[0].provider_id ?? "no provider"})`)
  else {
    await createTaxRegionsWorkflow(container).run({ input: [{ country_code: PE, provider_id: "tp_system" }] })
    say("tax region", "done", "created the tax region for Peru (Medusa's system tax provider, no default rate: set IGV in the admin if your prices exclude it)")
  }

  // 4. shipping into Peru
  const { data: zones } = await query.graph({
    entity: "service_zone",
    fields: ["id", "name", "geo_zones.country_code", "fulfillment_set.type", "shipping_options.id", "shipping_options.name"],
  })
  const peZones = zones.filter((z: any) => z.fulfillment_set?.type !== "pickup" && (z.geo_zones ?? []).some((g: any) => g?.country_code === PE))
  const served = peZones.find((z: any) => (z.shipping_options ?? []).length > 0)
  if (served) say("shipping", "found", `the service zone "${served.name}" covers Peru with ${served.shipping_options.length} shipping option(s)`)
  else if (peZones.length) {
    say("shipping", "left alone", `the service zone "${peZones[0].name}" covers Peru but has no shipping option: not changed; add one in the admin (Settings → Locations & Shipping)`)
  } else {
    await createPeruShipping(container, store.default_sales_channel_id ?? null)
    say("shipping", "done", `created the stock location "Lima warehouse", a shipping zone for Peru and "Envío estándar" (S/ ${SHIPPING_PRICE_PEN.toFixed(2)})`)
  }

  // 5. PEN prices
  if (options.penPerUsd) say("prices", ...(await addPenPrices(container, options.penPerUsd)))
  else say("prices", "left alone", "no price added (pass pen-per-usd=<rate> to price in PEN the variants priced in USD only)")

  return { steps, regionId, providerId }
}

async function createPeruShipping(container: MedusaContainer, salesChannelId: string | null): Promise<void> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const link = container.resolve(ContainerRegistrationKeys.LINK)
  const fulfillment = container.resolve(Modules.FULFILLMENT)

  const { data: profiles } = await query.graph({ entity: "shipping_profile", fields: ["id"], filters: { type: "default" } })
  const shippingProfileId: string =
    profiles[0]?.id ??
    (await createShippingProfilesWorkflow(container).run({ input: { data: [{ name: "Default Shipping Profile", type: "default" }] } })).result[0].id

  const { result: locations } = await createStockLocationsWorkflow(container).run({
    input: { locations: [{ name: "Lima warehouse", address: { city: "Lima", country_code: "PE", address_1: "" } }] },
  })
  const location = locations[0]
  const set = await fulfillment.createFulfillmentSets({
    name: "Lima warehouse delivery",
    type: "shipping",
    service_zones: [{ name: "Perú", geo_zones: [{ country_code: PE, type: "country" as const }] }],
  })
  await link.create([
    { [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_provider_id: "manual_manual" } },
    { [Modules.STOCK_LOCATION]: { stock_location_id: location.id }, [Modules.FULFILLMENT]: { fulfillment_set_id: set.id } },
  ])
  if (salesChannelId) await linkSalesChannelsToStockLocationWorkflow(container).run({ input: { id: location.id, add: [salesChannelId] } })
  await createShippingOptionsWorkflow(container).run({
    input: [
      {
        name: "Envío estándar",
        price_type: "flat",
        provider_id: "manual_manual",
        service_zone_id: set.service_zones[0].id,
        shipping_profile_id: shippingProfileId,
        type: { label: "Estándar", description: "2-3 días hábiles", code: "standard" },
        prices: [{ currency_code: "pen", amount: SHIPPING_PRICE_PEN }],
        rules: [
          { attribute: "enabled_in_store", value: "true", operator: "eq" },
          { attribute: "is_return", value: "false", operator: "eq" },
        ],
      },
    ],
  })
}

/** PEN = USD × rate for each variant priced in USD and not in PEN (prices without rules only). */
async function addPenPrices(container: MedusaContainer, rate: number): Promise<[SetupStep["outcome"], string]> {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const pricing = container.resolve(Modules.PRICING)
  const { data: variants } = await query.graph({
    entity: "product_variant",
    fields: ["id", "sku", "title", "price_set.id", "price_set.prices.currency_code", "price_set.prices.amount", "price_set.prices.rules_count"],
  })
  const plain = (v: any) => ((v.price_set?.prices ?? []) as any[]).filter((p) => !p.rules_count)
  const toPrice = variants.filter((v: any) => v.price_set?.id && !plain(v).some((p) => p.currency_code === "pen"))
  const withUsd = toPrice.filter((v: any) => plain(v).some((p) => p.currency_code === "usd"))
  const unpriced = toPrice.filter((v: any) => !withUsd.includes(v))
  for (const v of withUsd) {
    const usd = Number(plain(v).find((p) => p.currency_code === "usd")!.amount)
    await pricing.addPrices({ priceSetId: v.price_set!.id, prices: [{ currency_code: "pen", amount: Math.round(usd * rate * 100) / 100 }] })
  }
  const skipped = unpriced.length ? `; ${unpriced.length} variant(s) with neither PEN nor USD left unpriced: ${unpriced.slice(0, 5).map((v: any) => v.sku || v.title || v.id).join(", ")}` : ""
  if (withUsd.length) return ["done", `added a PEN price (USD × ${rate}) to ${withUsd.length} variant(s)${skipped}`]
  return [unpriced.length ? "left alone" : "found", `every variant priced in USD already has a PEN price${skipped}`]
}

/** `npx medusa exec <this file> [usd] [pen-per-usd=<rate>]`: prints each step. */
export default async function setup({ container, args }: ExecArgs) {
  const logger = container.resolve<Logger>(ContainerRegistrationKeys.LOGGER)
  const result = await setupPeruStore(container, parseSetupArgs(args))
  for (const s of result.steps) logger.info(`pagoefectivo setup · ${s.step}: ${s.outcome} — ${s.detail}`)
  return result
}
