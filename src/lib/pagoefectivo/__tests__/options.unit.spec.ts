import { resolveOptions } from "../options"

const base = { accessKey: "UNITACCESSKEY0000001", secretKey: "unit-secret-0123456789abcdefghijklmnopqr", serviceId: "1234" }

describe("options: the refund ledger's", () => {
  it("takes fractional reconcileAfterMinutes (the SQL works in seconds)", () => {
    expect(resolveOptions({ ...base, reconcileAfterMinutes: "0.5" }).reconcileAfterMinutes).toBe(0.5)
  })

  it("refundCallLeaseSeconds: 120 by default, a whole number from 2 to 3600, refused otherwise with its name", () => {
    expect(resolveOptions(base).refundCallLeaseSeconds).toBe(120)
    expect(resolveOptions({ ...base, refundCallLeaseSeconds: "30" }).refundCallLeaseSeconds).toBe(30)
    expect(() => resolveOptions({ ...base, refundCallLeaseSeconds: 1 })).toThrow(/option `refundCallLeaseSeconds` must be at least 2/)
    expect(() => resolveOptions({ ...base, refundCallLeaseSeconds: 2.5 })).toThrow(/option `refundCallLeaseSeconds` must be a whole number of seconds/)
    expect(() => resolveOptions({ ...base, refundCallLeaseSeconds: 7200 })).toThrow(/option `refundCallLeaseSeconds` must be at most 3600/)
  })
})

describe("options: CIP renewal", () => {
  it("renewExpiredCip off and maxCipRenewals 1 by default; refused with its name when out of range", () => {
    const o = resolveOptions(base)
    expect(o).toMatchObject({ renewExpiredCip: false, maxCipRenewals: 1, cipRenewedTemplate: "pagoefectivo-cip-renewed" })
    expect(resolveOptions({ ...base, renewExpiredCip: "true", maxCipRenewals: "3" })).toMatchObject({ renewExpiredCip: true, maxCipRenewals: 3 })
    expect(() => resolveOptions({ ...base, renewExpiredCip: "yes" })).toThrow(/option `renewExpiredCip` must be true or false/)
    expect(() => resolveOptions({ ...base, maxCipRenewals: 0 })).toThrow(/option `maxCipRenewals` must be between 1 and 10/)
    expect(() => resolveOptions({ ...base, maxCipRenewals: 1.5 })).toThrow(/option `maxCipRenewals` must be a whole number/)
  })
})

describe("options: applying notifications", () => {
  it("notificationConcurrency: 8 by default, a whole number from 1 to 64 (an environment string too), refused otherwise with its name", () => {
    expect(resolveOptions(base).notificationConcurrency).toBe(8)
    expect(resolveOptions({ ...base, notificationConcurrency: "16" }).notificationConcurrency).toBe(16)
    expect(() => resolveOptions({ ...base, notificationConcurrency: 0 })).toThrow(/option `notificationConcurrency` must be between 1 and 64/)
    expect(() => resolveOptions({ ...base, notificationConcurrency: 1.5 })).toThrow(/option `notificationConcurrency` must be a whole number/)
    expect(() => resolveOptions({ ...base, notificationConcurrency: "lots" })).toThrow(/option `notificationConcurrency`/)
  })
})
