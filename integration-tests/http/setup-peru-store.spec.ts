import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import type { MedusaContainer } from "@medusajs/framework/types"
import { createProductsWorkflow, createRegionsWorkflow } from "@medusajs/medusa/core-flows"
import setupScript, { parseSetupArgs, setupPeruStore } from "../../src/scripts/setup-peru-store"

/**
 * The one-command store setup (`medusa exec …/setup-peru-store.js`): on a fresh store it makes
 * everything a Peru checkout with PagoEfectivo needs; a second run changes nothing and says so;
 * what the merchant set up differently is left alone, and said.
 */
const PROVIDER = "pp_pagoefectivo_pagoefectivo"

/** Everything the script may write, as plain data, to compare two runs. */
async function snapshot(container: MedusaContainer) {
  const query = container.resolve(ContainerRegistrationKeys.QUERY)
  const g = async (entity: string, fields: string[]) =>
    (await query.graph({ entity, fields })).data.map((r: any) => JSON.stringify(r)).sort()
  return {
    store: await g("store", ["id", "supported_currencies.currency_code", "supported_currencies.is_default"]),
    regions: await g("region", ["id", "name", "currency_code", "countries.iso_2", "payment_providers.id"]),
    tax: await g("tax_region", ["id", "country_code", "provider_id"]),
    zones: await g("service_zone", ["id", "name", "geo_zones.country_code", "shipping_options.id", "shipping_options.name"]),
    locations: await g("stock_location", ["id", "name"]),
    prices: await g("product_variant", ["id", "price_set.prices.currency_code", "price_set.prices.amount"]),
  }
}

const outcomes = (r: { steps: { step: string; outcome: string }[] }) => Object.fromEntries(r.steps.map((s) => [s.step, s.outcome]))

medusaIntegrationTestRunner({
  testSuite: ({ getContainer }) => {
    describe("setup-peru-store", () => {
      it("sets a fresh store up for Peru with PagoEfectivo; the second run finds it all done and changes nothing", async () => {
        const container = getContainer()
        const first = await setupPeruStore(container)
        expect(outcomes(first)).toEqual({ currencies: "done", region: "done", "tax region": "done", shipping: "done", prices: "left alone" })
        expect(first.providerId).toBe(PROVIDER)

        const query = container.resolve(ContainerRegistrationKeys.QUERY)
        const { data: regions } = await query.graph({ entity: "region", fields: ["currency_code", "countries.iso_2", "payment_providers.id"], filters: { id: first.regionId! } })
        expect(regions[0].currency_code).toBe("pen")
        expect(regions[0].countries.map((c: any) => c.iso_2)).toEqual(["pe"])
        expect(regions[0].payment_providers.map((p: any) => p.id)).toContain(PROVIDER)
        const before = await snapshot(container)
        expect(before.tax.some((t) => t.includes('"country_code":"pe"'))).toBe(true)
        expect(before.zones.some((z) => z.includes('"country_code":"pe"') && z.includes("Envío estándar"))).toBe(true)

        const second = await setupPeruStore(container)
        expect(outcomes(second)).toEqual({ currencies: "found", region: "found", "tax region": "found", shipping: "found", prices: "left alone" })
        expect(second.regionId).toBe(first.regionId)
        expect(await snapshot(container)).toEqual(before)
      })

      it("leaves a region that holds Peru in another currency alone, and says so", async () => {
        const container = getContainer()
        const { result } = await createRegionsWorkflow(container).run({
          input: { regions: [{ name: "Europa y Perú", currency_code: "eur", countries: ["pe", "es"], payment_providers: ["pp_system_default"] }] },
        })
        const before = (await snapshot(container)).regions

        const run = await setupPeruStore(container)
        const region = run.steps.find((s) => s.step === "region")!
        expect(region.outcome).toBe("left alone")
        expect(region.detail).toContain('"Europa y Perú" holds Peru in EUR')
        expect(run.regionId).toBeNull()
        expect((await snapshot(container)).regions).toEqual(before)
        expect(result[0].id).toBeTruthy()
      })

      it("enables the provider in the merchant's own PEN region for Peru, keeping its other providers", async () => {
        const container = getContainer()
        const { result } = await createRegionsWorkflow(container).run({
          input: { regions: [{ name: "Lima", currency_code: "pen", countries: ["pe"], payment_providers: ["pp_system_default"] }] },
        })
        const run = await setupPeruStore(container)
        expect(run.regionId).toBe(result[0].id)
        expect(run.steps.find((s) => s.step === "region")!.outcome).toBe("done")
        const query = container.resolve(ContainerRegistrationKeys.QUERY)
        const { data } = await query.graph({ entity: "region", fields: ["name", "payment_providers.id"], filters: { id: result[0].id } })
        expect(data[0].name).toBe("Lima")
        expect(data[0].payment_providers.map((p: any) => p.id).sort()).toEqual([PROVIDER, "pp_system_default"])
      })

      it("with pen-per-usd, prices in PEN the variants priced in USD only, once; a PEN price of the merchant's stays", async () => {
        const container = getContainer()
        const { result: products } = await createProductsWorkflow(container).run({
          input: {
            products: [
              { title: "Solo USD", options: [{ title: "T", values: ["U"] }], variants: [{ title: "U", options: { T: "U" }, prices: [{ currency_code: "usd", amount: 20 }] }] },
              { title: "Ya en PEN", options: [{ title: "T", values: ["P"] }], variants: [{ title: "P", options: { T: "P" }, prices: [{ currency_code: "pen", amount: 99 }, { currency_code: "usd", amount: 30 }] }] },
            ],
          },
        })
        const run = await setupScript({ container, args: ["pen-per-usd=3.75"] } as any)
        expect(run.steps.find((s) => s.step === "prices")).toEqual({ step: "prices", outcome: "done", detail: "added a PEN price (USD × 3.75) to 1 variant(s)" })
        const query = container.resolve(ContainerRegistrationKeys.QUERY)
        const pen = async (variantId: string) => {
          const { data } = await query.graph({ entity: "product_variant", fields: ["price_set.prices.currency_code", "price_set.prices.amount"], filters: { id: variantId } })
          return data[0].price_set.prices.filter((p: any) => p.currency_code === "pen").map((p: any) => Number(p.amount))
        }
        expect(await pen(products[0].variants[0].id)).toEqual([75])
        expect(await pen(products[1].variants[0].id)).toEqual([99])

        const before = await snapshot(container)
        const again = await setupPeruStore(container, { penPerUsd: 3.75 })
        expect(again.steps.find((s) => s.step === "prices")!.outcome).toBe("found")
        expect(await snapshot(container)).toEqual(before)
      })

      it("refuses unknown or malformed arguments with a message that names them", () => {
        // medusa exec passes positional words: `usd pen-per-usd=3.7`; a leading -- is accepted too
        expect(parseSetupArgs(["usd", "pen-per-usd=3.7"])).toEqual({ usd: true, penPerUsd: 3.7 })
        expect(parseSetupArgs(["--usd"])).toEqual({ usd: true })
        expect(() => parseSetupArgs(["pen-per-usd=abc"])).toThrow(/pen-per-usd must be a positive number/)
        expect(() => parseSetupArgs(["force"])).toThrow(/unknown argument "force"/)
      })
    })
  },
})
