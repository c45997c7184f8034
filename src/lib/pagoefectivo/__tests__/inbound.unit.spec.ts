import { parseNotification, refundDataSchema } from "../wire"

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
})
