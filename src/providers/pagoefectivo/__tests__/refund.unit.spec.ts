import { PagoEfectivoError, REFUND_CODES } from "../../../lib/pagoefectivo"
import { resolveOptions } from "../../../lib/pagoefectivo/options"
import type { RefundRecord } from "../../../modules/pagoefectivo/ledger"
import { RefundExecutor } from "../refund"

/** An in-memory RefundLedger with the calls the executor makes. */
function fakeLedger() {
  const records = new Map<string, RefundRecord>()
  const ledger = {
    records,
    countedTotal: jest.fn(async () => "0"),
    recentSameAmount: jest.fn(async () => null),
    locate: jest.fn(async () => ({ payment_id: "pay_1", payment_collection_id: "pc_1", order_id: "order_1" })),
    begin: jest.fn(async (r: any) => {
      const record = { ...r, status: "requested", reversed_at: null, reference_id: null, trace_id: null, failure_reason: null } as RefundRecord
      records.set(r.refund_id, record)
      return { record, created: true }
    }),
    appendAttempt: jest.fn(async () => undefined),
    settle: jest.fn(async (id: string, s: any) => {
      const record = { ...records.get(id)!, ...s }
      records.set(id, record)
      return record
    }),
    markReversed: jest.fn(async () => null),
  }
  return ledger
}

const base = {
  accessKey: "UNITACCESSKEY0000001",
  secretKey: "unit-secret-0123456789abcdefghijklmnopqr",
  serviceId: "1234",
  baseUrl: "http://localhost:1/v1",
}
const logger = { info: jest.fn(), warn: jest.fn(), error: jest.fn(), debug: jest.fn() } as any
const paidData = (daysAgo = 1) => ({
  cip: "2523136",
  cipStatus: "paid",
  amount: "199.90",
  currency: "PEN",
  datePayment: new Date(Date.now() - daysAgo * 86400_000).toISOString(),
  session_id: "payses_1",
})

describe("RefundExecutor: refunds by bank transfer", () => {
  it('in manual mode records "awaiting_transfer" and never calls PagoEfectivo, even past its refund window', async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn(), searchCip: jest.fn(), getRefund: jest.fn() }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions({ ...base, refundMode: "manual" }), logger)
    const summary = await executor.execute({ refundId: "ref_1", data: paidData(400), amount: { value: "60", precision: 20 } as any })
    expect(summary).toEqual({ status: "awaiting_transfer", amount: "60.00", referenceId: null, traceId: null })
    expect(client.createRefund).not.toHaveBeenCalled()
    expect(ledger.records.get("ref_1")).toMatchObject({ status: "awaiting_transfer", failure_reason: expect.stringMatching(/refund mode is manual/) })
  })

  it("in manual mode still refuses an amount above what is refundable", async () => {
    const ledger = fakeLedger()
    ledger.countedTotal.mockResolvedValue("150")
    const executor = new RefundExecutor({ createRefund: jest.fn() } as any, () => ledger as any, resolveOptions({ ...base, refundMode: "manual" }), logger)
    await expect(executor.execute({ refundId: "ref_2", data: paidData(), amount: 60 })).rejects.toThrow(/PEN 60.00 is above what is still refundable on CIP 2523136: PEN 49.90 of PEN 199.90 paid/)
    expect(ledger.begin).not.toHaveBeenCalled()
  })

  const notEnabled = () =>
    new PagoEfectivoError({ operation: "createRefund", kind: "http", status: 403, code: REFUND_CODES.REFUNDS_NOT_ENABLED, gatewayMessage: "Refunds are not enabled", retryable: false } as any)

  it('with manualRefundFallback, PagoEfectivo\'s 403 "refunds not enabled" becomes a refund awaiting a bank transfer', async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(notEnabled()) }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions({ ...base, manualRefundFallback: true }), logger)
    const summary = await executor.execute({ refundId: "ref_3", data: paidData(), amount: 60 })
    expect(client.createRefund).toHaveBeenCalledTimes(1)
    expect(summary.status).toBe("awaiting_transfer")
    expect(ledger.records.get("ref_3")).toMatchObject({ status: "awaiting_transfer", failure_reason: expect.stringMatching(/403, code 601/) })
    expect(ledger.markReversed).not.toHaveBeenCalled()
  })

  it("without the fallback the same 403 fails the refund with what to do", async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(notEnabled()) }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions(base), logger)
    await expect(executor.execute({ refundId: "ref_4", data: paidData(), amount: 60 })).rejects.toThrow(/has not enabled refunds for this merchant account/)
    expect(ledger.records.get("ref_4")).toMatchObject({ status: "failed", failure_code: "601" })
    expect(ledger.markReversed).toHaveBeenCalledWith("ref_4", expect.any(String))
  })

  it("the fallback applies to 601 only: another 403 still fails", async () => {
    const ledger = fakeLedger()
    const ipRefused = new PagoEfectivoError({ operation: "createRefund", kind: "http", status: 403, code: REFUND_CODES.IP_NOT_ALLOWED, retryable: false } as any)
    const client = { createRefund: jest.fn().mockRejectedValue(ipRefused) }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions({ ...base, manualRefundFallback: true }), logger)
    await expect(executor.execute({ refundId: "ref_5", data: paidData(), amount: 60 })).rejects.toThrow(/allow-list/)
    expect(ledger.records.get("ref_5")!.status).toBe("failed")
  })
})
