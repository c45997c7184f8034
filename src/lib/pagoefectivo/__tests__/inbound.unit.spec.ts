import { WIRE_MAX, cipDataSchema, parseNotification, refundDataSchema } from "../wire"

describe("what PagoEfectivo sends is storable", () => {
  it("a notification's U+0000 (valid JSON, refused by PostgreSQL) becomes U+FFFD", () => {
    const raw = '{"eventType":"refund.rejected","operationNumber":"6\\u00006","data":{"refundId":"ref_\\u0000x","cip":"2523136","amount":10,"currency":"PEN","status":"rejected","reason":"a \\u0000 b"}}'
    const parsed = parseNotification(raw)
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    expect(parsed.notification.operationNumber).toBe("6\ufffd6")
    expect(parsed.notification.data).toMatchObject({ refundId: "ref_\ufffdx", reason: "a \ufffd b" })
    expect(JSON.stringify(parsed.notification)).not.toMatch(/\\u0000/)
  })

  it("so does a refund answer's (reason, reference, trace id)", () => {
    const data = refundDataSchema.parse({ refundId: "ref_1", referenceId: "RF\u00001", cip: 2523136, amount: 10, currency: "PEN", status: "rejected", reason: "x\u0000", traceId: "t\u0000" })
    expect(data).toMatchObject({ referenceId: "RF\ufffd1", reason: "x\ufffd", traceId: "t\ufffd" })
  })

  it("a lone surrogate (valid JSON, refused by PostgreSQL's jsonb) becomes U+FFFD; a pair stays", () => {
    const raw = '{"eventType":"refund.completed","data":{"refundId":"r\\ud800x","cip":"1","amount":10,"currency":"PEN","status":"completed","reason":"\\udc00 \\ud83d\\ude00"}}'
    const parsed = parseNotification(raw)
    expect(parsed.ok && parsed.notification.data).toMatchObject({ refundId: "r\ufffdx", reason: "\ufffd \u{1f600}" })
  })
})

describe("every string PagoEfectivo sends has a bound (a 400 naming the field, never a database error)", () => {
  const refund = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    parseNotification(JSON.stringify({ eventType: "refund.completed", operationNumber: "1", ...extra, data: { refundId: "ref_1", cip: "2523136", amount: 10, currency: "PEN", status: "completed", ...data } }))

  it("refuses the 8,000-character refundId, naming the field and its size", () => {
    expect(refund({ refundId: "r".repeat(8000) })).toEqual({
      ok: false,
      reason: "invalid_fields",
      message: "refund.completed: data.refundId must be at most 64 characters, got 8000",
    })
  })

  it.each([
    ["refundId", WIRE_MAX.refundId],
    ["reason", WIRE_MAX.reason],
    ["referenceId", WIRE_MAX.id],
    ["dateProcessed", WIRE_MAX.date],
  ])("takes data.%s at its bound (%i) and refuses one character more", (field, max) => {
    expect(refund({ [field]: "x".repeat(max) }).ok).toBe(true)
    const over = refund({ [field]: "x".repeat(max + 1) })
    expect(over.ok ? "" : over.message).toBe(`refund.completed: data.${field} must be at most ${max} characters, got ${max + 1}`)
  })

  it("bounds the operation number, a CIP's transaction code (36, as PagoEfectivo documents) and its amount's form", () => {
    expect(refund({}, { operationNumber: "9".repeat(WIRE_MAX.id + 1) }).ok).toBe(false)
    expect(refund({}, { operationNumber: 1e300 }).ok).toBe(false)
    const paid = (data: Record<string, unknown>) => parseNotification(JSON.stringify({ eventType: "cip.paid", data: { cip: "1", currency: "PEN", amount: 22.05, ...data } }))
    expect(paid({ transactionCode: "t".repeat(36) }).ok).toBe(true)
    expect(paid({ transactionCode: "t".repeat(37) })).toMatchObject({ ok: false, message: "cip.paid: data.transactionCode must be at most 36 characters, got 37" })
    for (const amount of [-5, 1e21, 22.055, "0x10", "1e1", 0]) expect([amount, paid({ amount }).ok]).toEqual([amount, false])
    expect(paid({ cip: 1e30 }).ok).toBe(false)
  })

  it("bounds the answers too", () => {
    const cip = { cip: 1, currency: "PEN", amount: 1, transactionCode: "t", dateExpiry: "2026-12-31T23:59:59-05:00", cipUrl: "https://x.pe/v.html" }
    expect(cipDataSchema.safeParse(cip).success).toBe(true)
    expect(cipDataSchema.safeParse({ ...cip, transactionCode: "t".repeat(37) }).success).toBe(false)
    expect(refundDataSchema.safeParse({ refundId: "r".repeat(65), cip: 1, amount: 1, currency: "PEN", status: "pending" }).success).toBe(false)
  })
})
