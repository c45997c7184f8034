import { MedusaError } from "@medusajs/framework/utils"
import { toWireAmount } from "../../../lib/pagoefectivo/amount"
import { resolveOptions } from "../../../lib/pagoefectivo/options"
import PagoEfectivoProviderService from "../service"

const valid = {
  accessKey: "UNITACCESSKEY0000001",
  secretKey: "unit-secret-0123456789abcdefghijklmnopqr",
  serviceId: "1234",
  baseUrl: "http://localhost:1/v1",
}

const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() } as any

describe("validateOptions", () => {
  it("accepts valid options and fills the defaults", () => {
    expect(() => PagoEfectivoProviderService.validateOptions(valid)).not.toThrow()
    const o = resolveOptions(valid)
    expect(o).toMatchObject({
      serviceId: 1234,
      refundWindowDays: 180,
      requestTimeoutMs: 10000,
      baseUrl: "http://localhost:1/v1",
      refundMode: "api",
      manualRefundFallback: false,
      autoRefundOnReturn: false,
    })
    // environment variables arrive as strings
    expect(resolveOptions({ ...valid, refundMode: "manual", manualRefundFallback: "true", autoRefundOnReturn: "1" })).toMatchObject({
      refundMode: "manual",
      manualRefundFallback: true,
      autoRefundOnReturn: true,
    })
    expect(resolveOptions({ ...valid, baseUrl: undefined, environment: "production" }).baseUrl).toBe(
      "https://services.pagoefectivo.pe/v1"
    )
    expect(resolveOptions({ ...valid, baseUrl: undefined }).baseUrl).toBe("https://pre1a.services.pagoefectivo.pe/v1")
  })

  it.each([
    [{ secretKey: undefined }, /option `secretKey` is missing.*PAGOEFECTIVO_SECRET_KEY/],
    [{ secretKey: "  " }, /option `secretKey` is missing/],
    [{ accessKey: "" }, /option `accessKey` is missing.*PAGOEFECTIVO_ACCESS_KEY/],
    [{ serviceId: undefined }, /option `serviceId` is missing/],
    [{ serviceId: "abc" }, /option `serviceId` must be a number/],
    [{ serviceId: 12345 }, /option `serviceId` must be between 1 and 9999/],
    [{ environment: "staging", baseUrl: undefined }, /option `environment` must be "sandbox" or "production"/],
    [{ baseUrl: "localhost:4010" }, /option `baseUrl` must be an absolute/],
    [{ refundWindowDays: -1 }, /option `refundWindowDays`/],
    [{ requestTimeoutMs: "soon" }, /option `requestTimeoutMs`/],
    [{ cipExpiryHours: 0 }, /option `cipExpiryHours` must be above 0/],
    [{ refundMode: "bank" }, /option `refundMode` must be "api" or "manual"/],
    [{ autoRefundOnReturn: "yes please" }, /option `autoRefundOnReturn` must be true or false/],
  ])("refuses %j and names the option", (patch, message) => {
    expect(() => PagoEfectivoProviderService.validateOptions({ ...valid, ...patch })).toThrow(message)
  })

  it.each([
    ["serviceId", { serviceId: "x".repeat(5) }],
    ["secretKey", { secretKey: `${valid.secretKey}${"s".repeat(250)}` }],
    ["accessKey", { accessKey: `${valid.accessKey}${"a".repeat(60)}` }],
    ["baseUrl", { baseUrl: `ftp://${valid.accessKey}:${valid.secretKey}@example.pe/v1` }],
    ["paymentConcept", { paymentConcept: `${valid.secretKey}${valid.accessKey}` }],
  ])("refuses a bad %s without echoing a secret in the error", (option, patch) => {
    const options = { ...valid, ...patch }
    let error: Error | undefined
    try {
      resolveOptions(options)
    } catch (e) {
      error = e as Error
    }
    expect(error).toBeInstanceOf(Error)
    expect(error!.message).toContain(`option \`${option}\``)
    for (const secret of [valid.secretKey, valid.accessKey, options.secretKey, options.accessKey]) expect(error!.message).not.toContain(secret)
  })
})

describe("toWireAmount", () => {
  it("converts Medusa amounts without floats", () => {
    expect(toWireAmount({ value: "5", precision: 20 } as any).text).toBe("5.00")
    expect(toWireAmount("189.9").text).toBe("189.90")
    expect(toWireAmount(0.1 + 0.2, { round: true }).text).toBe("0.30")
    expect(toWireAmount("10.005", { round: true }).text).toBe("10.01")
    expect(toWireAmount("9999999999999999.99").text).toBe("9999999999999999.99")
  })

  it("refuses amounts PagoEfectivo cannot take", () => {
    expect(() => toWireAmount("1.234")).toThrow(/more than 2 decimals/)
    expect(() => toWireAmount(0)).toThrow(/above 0/)
    expect(() => toWireAmount(-5)).toThrow(/above 0/)
    expect(() => toWireAmount("0.001", { round: true })).toThrow(/rounds to 0.00/)
    expect(() => toWireAmount("12345678901234567")).toThrow(/16 integer digits/)
    expect(() => toWireAmount("abc" as any)).toThrow(/not a number/)
  })
})

describe("initiatePayment checks before any call", () => {
  // baseUrl points at a closed port: a call would fail with a connection error, not these errors
  const provider = new PagoEfectivoProviderService({ logger }, { ...valid, maxRetries: 0 } as any)

  it("refuses a currency other than PEN and USD", async () => {
    const err = await provider
      .initiatePayment({ amount: 10, currency_code: "eur", data: { session_id: "payses_1" }, context: { customer: { email: "a@b.pe" } as any } })
      .catch((e) => e)
    expect(err).toBeInstanceOf(MedusaError)
    expect(err.type).toBe(MedusaError.Types.INVALID_DATA)
    expect(err.message).toMatch(/accepts PEN and USD only; this payment is in EUR/)
  })

  it("requires the shopper's email", async () => {
    await expect(
      provider.initiatePayment({ amount: 10, currency_code: "pen", data: { session_id: "payses_1" }, context: {} })
    ).rejects.toThrow(/needs the shopper's email/)
  })

  it("turns an unreachable PagoEfectivo into a clear checkout error that keeps the cause", async () => {
    const err = await provider
      .initiatePayment({ amount: 10, currency_code: "pen", data: { session_id: "payses_1", email: "a@b.pe" }, context: {} })
      .catch((e) => e)
    expect(err).toBeInstanceOf(MedusaError)
    expect(err.type).toBe(MedusaError.Types.UNEXPECTED_STATE)
    expect(err.message).toMatch(/could not create a CIP.*connection error/)
    expect(err.cause?.name).toBe("PagoEfectivoError")
    expect(err.message).not.toContain(valid.secretKey)
  })
})
