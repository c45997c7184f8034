import { PagoEfectivoError, REFUND_CODES } from "../../../lib/pagoefectivo"
import { resolveOptions } from "../../../lib/pagoefectivo/options"
import type { RefundRecord } from "../../../modules/pagoefectivo/ledger"
import { RefundExecutor } from "../refund"

/** An in-memory RefundLedger with the calls the executor makes. */
function fakeLedger() {
  const records = new Map<string, RefundRecord>()
  const ledger = {
    records,
    /** What the counted refunds of the CIP come to (the atomic check in begin). */
    counted: "0",
    locate: jest.fn(async () => ({ payment_id: "pay_1", payment_collection_id: "pc_1", order_id: "order_1" })),
    begin: jest.fn(async (r: any, checks: any) => {
      if (Number(ledger.counted) + Number(r.amount) > Number(checks.paid)) return { kind: "above_refundable", counted: ledger.counted }
      const record = { ...r, status: "requested", reversed_at: null, reference_id: null, trace_id: null, failure_reason: null, call_lease_until: new Date(Date.now() + checks.leaseSeconds * 1000) } as RefundRecord
      records.set(r.refund_id, record)
      return { kind: "created", record }
    }),
    get: jest.fn(async (id: string) => records.get(id) ?? null),
    appendAttempt: jest.fn(async () => undefined),
    settle: jest.fn(async (id: string, s: any) => {
      const record = { ...records.get(id)!, ...s }
      records.set(id, record)
      return record
    }),
    settleAnswer: jest.fn(async (id: string, a: any) => {
      const record = { ...records.get(id)!, status: a.status, reference_id: a.reference_id ?? null, failure_reason: a.failure_reason ?? null, call_lease_until: null }
      records.set(id, record)
      return record
    }),
    holdLease: jest.fn(async (id: string, seconds: number) => {
      records.set(id, { ...records.get(id)!, call_lease_until: new Date(Date.now() + seconds * 1000) })
    }),
    releaseLease: jest.fn(async (id: string) => {
      records.set(id, { ...records.get(id)!, call_lease_until: null })
    }),
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
    ledger.counted = "150"
    const executor = new RefundExecutor({ createRefund: jest.fn() } as any, () => ledger as any, resolveOptions({ ...base, refundMode: "manual" }), logger)
    await expect(executor.execute({ refundId: "ref_2", data: paidData(), amount: 60 })).rejects.toThrow(/PEN 60.00 is above what is still refundable on CIP 2523136: PEN 49.90 of PEN 199.90 paid/)
    expect(ledger.records.has("ref_2")).toBe(false)
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
    expect(ledger.records.get("ref_3")).toMatchObject({ status: "awaiting_transfer", failure_reason: expect.stringMatching(/403, code 601/), call_lease_until: null })
  })

  it("without the fallback the same 403 fails the refund with what to do", async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(notEnabled()) }
    const notifyBooks = jest.fn(async () => undefined)
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions(base), logger, notifyBooks)
    await expect(executor.execute({ refundId: "ref_4", data: paidData(), amount: 60 })).rejects.toThrow(/has not enabled refunds for this merchant account/)
    expect(ledger.records.get("ref_4")).toMatchObject({ status: "failed", failure_code: "601", call_lease_until: null })
    expect(notifyBooks).toHaveBeenCalledWith("ref_4")
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

describe("RefundExecutor: a failure is confirmed before it is called one", () => {
  const unavailable = () => new PagoEfectivoError({ operation: "createRefund", kind: "http", status: 503, retryable: true, ambiguous: false } as any)
  const conflict = () => new PagoEfectivoError({ operation: "createRefund", kind: "http", status: 409, code: REFUND_CODES.REFUND_ID_CONFLICT, retryable: false } as any)
  const found = (status: string) => ({ refundId: "ref_x", referenceId: "RF9", cip: "2523136", amount: 60, currency: "PEN", status })

  it.each([
    ["a 503 through every retry", unavailable],
    ["a 409/603 (the refund id is known)", conflict],
  ])("after %s, a refund PagoEfectivo has is kept (GET /refunds/{id} says pending)", async (_, error) => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(error()), getRefund: jest.fn().mockResolvedValue(found("pending")) }
    const notifyBooks = jest.fn(async () => undefined)
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions(base), logger, notifyBooks)
    const summary = await executor.execute({ refundId: "ref_x", data: paidData(), amount: 60 })
    expect(summary).toMatchObject({ status: "pending", referenceId: "RF9" })
    expect(client.getRefund).toHaveBeenCalledWith("ref_x", expect.anything())
    expect(notifyBooks).not.toHaveBeenCalled()
  })

  it("after a 503 through every retry, a refund PagoEfectivo never received fails (404)", async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(unavailable()), getRefund: jest.fn().mockResolvedValue(null) }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions(base), logger)
    await expect(executor.execute({ refundId: "ref_y", data: paidData(), amount: 60 })).rejects.toThrow(/failed/)
    expect(ledger.records.get("ref_y")).toMatchObject({ status: "failed", call_lease_until: null })
  })

  it("after a 503, when the status query fails too, the refund is verifying and keeps its lease", async () => {
    const ledger = fakeLedger()
    const client = { createRefund: jest.fn().mockRejectedValue(unavailable()), getRefund: jest.fn().mockRejectedValue(unavailable()) }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions({ ...base, refundCallLeaseSeconds: 90 }), logger)
    const summary = await executor.execute({ refundId: "ref_z", data: paidData(), amount: 60 })
    expect(summary.status).toBe("verifying")
    expect(ledger.holdLease).toHaveBeenCalledWith("ref_z", 90)
    expect(new Date(ledger.records.get("ref_z")!.call_lease_until!).getTime()).toBeGreaterThan(Date.now() + 60_000)
  })

  it("a connection refused through every retry is a definite failure, no status query", async () => {
    const ledger = fakeLedger()
    const refused = new PagoEfectivoError({ operation: "createRefund", kind: "network", retryable: true, ambiguous: false } as any)
    const client = { createRefund: jest.fn().mockRejectedValue(refused), getRefund: jest.fn() }
    const executor = new RefundExecutor(client as any, () => ledger as any, resolveOptions(base), logger)
    await expect(executor.execute({ refundId: "ref_w", data: paidData(), amount: 60 })).rejects.toThrow(/failed/)
    expect(client.getRefund).not.toHaveBeenCalled()
  })
})
