import { PagoEfectivoError } from "../errors"
import { describeRefundFailure } from "../refund-errors"
import { REFUND_CODES } from "../wire"

const http = (status: number, code?: string, extra: Partial<ConstructorParameters<typeof PagoEfectivoError>[0]> = {}) =>
  new PagoEfectivoError({ operation: "createRefund", kind: "http", status, code, gatewayMessage: "m", correlationId: "c-1", retryable: false, ...extra })

describe("describeRefundFailure", () => {
  it.each([
    [403, REFUND_CODES.REFUNDS_NOT_ENABLED, "not_allowed", /not enabled refunds .*bank transfer/],
    [403, REFUND_CODES.IP_NOT_ALLOWED, "not_allowed", /allow-list/],
    [409, REFUND_CODES.REFUND_ID_CONFLICT, "invalid", /different amount or CIP/],
    [422, REFUND_CODES.CIP_NOT_PAID, "not_allowed", /CIP 77 is not paid/],
    [422, REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE, "invalid", /above what is still refundable on CIP 77/],
    [422, REFUND_CODES.REFUND_WINDOW_EXCEEDED, "not_allowed", /refund window for CIP 77 has passed/],
    [422, REFUND_CODES.INSUFFICIENT_BALANCE, "not_allowed", /balance cannot cover/],
    [422, REFUND_CODES.CURRENCY_MISMATCH, "invalid", /currency differs/],
    [404, REFUND_CODES.CIP_NOT_FOUND, "invalid", /does not know CIP 77/],
  ])("HTTP %s code %s → %s", (status, code, category, message) => {
    const f = describeRefundFailure(http(status, code), "77")
    expect(f).toMatchObject({ code, category })
    expect(f.message).toMatch(message)
    expect(f.message).toContain("correlation id c-1")
  })

  it("lists the field errors of a 400, explains 401 and 429, and never blames the operator for an outage", () => {
    const bad = describeRefundFailure(http(400, "111", { fieldErrors: [{ code: "113", message: "inválido", field: "amount" }] }), "1")
    expect(bad).toMatchObject({ category: "invalid" })
    expect(bad.message).toMatch(/amount: inválido/)
    expect(describeRefundFailure(http(401), "1").message).toMatch(/accessKey, secretKey and serviceId/)
    expect(describeRefundFailure(http(429, undefined, { retryAfterMs: 30_000 }), "1").message).toMatch(/Try again in 30 s/)
    const down = describeRefundFailure(new PagoEfectivoError({ operation: "createRefund", kind: "network", retryable: true }), "1")
    expect(down).toMatchObject({ category: "unavailable" })
    expect(down.message).toMatch(/nothing was refunded/)
  })
})
