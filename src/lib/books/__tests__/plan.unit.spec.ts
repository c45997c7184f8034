import { answerVerdict } from "../../../modules/pagoefectivo/ledger"
import { type BooksFacts, type RecordFact, creditLineAmount, planRowChanges, refundedAmount, summaryTotals } from "../plan"

const now = new Date("2026-12-01T12:00:00Z")
const ago = (s: number) => new Date(now.getTime() - s * 1000)
const record = (refund_id: string, status: RecordFact["status"], extra: Partial<RecordFact> = {}): RecordFact => ({
  refund_id,
  status,
  amount: "40",
  payment_id: "pay_1",
  currency_code: "PEN",
  requested_at: ago(600),
  call_lease_until: ago(590),
  failure_reason: null,
  failure_code: null,
  reversed_at: null,
  credit_line_owed: null,
  ...extra,
})
const row = (id: string, extra: Partial<BooksFacts["refunds"][number]> = {}) => ({ id, payment_id: "pay_1", amount: 40, created_at: ago(600), deleted_at: null, ...extra })
const trx = (id: string, refundId: string, extra: Partial<BooksFacts["transactions"][number]> = {}) => ({ id, amount: -40, reference: "refund", reference_id: refundId, created_at: ago(590), deleted_at: null, ...extra })
const facts = (f: Partial<BooksFacts>): BooksFacts => ({ now, graceSeconds: 60, orderId: "order_1", records: [], pagoEfectivoPayments: ["pay_1"], otherPayments: ["pay_card"], refunds: [], transactions: [], creditLines: [], ...f })

describe("planRowChanges: what Medusa's rows must be, from the records", () => {
  it("a rejected refund loses its Refund row and every order transaction of it", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "rejected")], refunds: [row("ref_1")], transactions: [trx("t1", "ref_1"), trx("t2", "ref_1")] }))
    expect(plan.softDeleteRefunds).toEqual(["ref_1"])
    expect(plan.softDeleteTransactions).toEqual(["t1", "t2"])
    expect(plan.undone).toEqual(["ref_1"])
    expect(plan.notCounted).toEqual([{ refund_id: "ref_1", note: expect.stringMatching(/PagoEfectivo rejected it/) }])
  })

  it("an undo that ran before Medusa booked the order: the transaction Medusa added afterwards goes too", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "rejected", { reversed_at: ago(5) })], refunds: [row("ref_1", { deleted_at: ago(5) })], transactions: [trx("t9", "ref_1", { created_at: ago(1) })] }))
    expect(plan.softDeleteRefunds).toEqual([])
    expect(plan.softDeleteTransactions).toEqual(["t9"])
    expect(plan.undone).toEqual(["ref_1"])
  })

  it("books that already agree need nothing (running it again changes nothing)", () => {
    const plan = planRowChanges(
      facts({
        records: [record("ref_1", "rejected", { reversed_at: ago(5) }), record("ref_2", "completed")],
        refunds: [row("ref_1", { deleted_at: ago(5) }), row("ref_2")],
        transactions: [trx("t1", "ref_1", { deleted_at: ago(5) }), trx("t2", "ref_2")],
      })
    )
    expect(plan).toMatchObject({ softDeleteRefunds: [], restoreRefunds: [], createRefunds: [], softDeleteTransactions: [], restoreTransactions: [], createTransactions: [], undone: [], waiting: [] })
  })

  it("a refund whose call is under way is left alone: Medusa books it when the provider returns", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "requested", { call_lease_until: new Date(now.getTime() + 30_000), requested_at: ago(1) })], refunds: [row("ref_1", { created_at: ago(1) })] }))
    expect(plan.createTransactions).toEqual([])
    expect(plan.waiting).toEqual(["ref_1"])
  })

  it("a completed refund Medusa never booked on the order (its process died) is booked once the grace has passed", () => {
    const young = planRowChanges(facts({ records: [record("ref_1", "completed", { call_lease_until: ago(10) })], refunds: [row("ref_1", { created_at: ago(10) })] }))
    expect(young.createTransactions).toEqual([])
    expect(young.waiting).toEqual(["ref_1"])
    const old = planRowChanges(facts({ records: [record("ref_1", "completed")], refunds: [row("ref_1")] }))
    expect(old.createTransactions).toEqual([{ refund_id: "ref_1", amount: "40.00", currency_code: "PEN" }])
  })

  it("a requested or verifying refund without its order transaction is asked about first, not booked", () => {
    for (const status of ["requested", "verifying"] as const) {
      const plan = planRowChanges(facts({ records: [record("ref_1", status)], refunds: [row("ref_1")] }))
      expect(plan.createTransactions).toEqual([])
      expect(plan.waiting).toEqual(["ref_1"])
    }
  })

  it("a refund PagoEfectivo has but whose Refund row Medusa deleted is written again with its id", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "pending")] }))
    expect(plan.createRefunds).toEqual([{ id: "ref_1", payment_id: "pay_1", amount: "40.00" }])
    expect(plan.createTransactions).toEqual([{ refund_id: "ref_1", amount: "40.00", currency_code: "PEN" }])
  })

  it("a refund counted again after a wrong verdict gets its own rows back, not new ones", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "pending", { reversed_at: ago(100) })], refunds: [row("ref_1", { deleted_at: ago(100) })], transactions: [trx("t1", "ref_1", { deleted_at: ago(100) })] }))
    expect(plan.restoreRefunds).toEqual(["ref_1"])
    expect(plan.restoreTransactions).toEqual(["t1"])
    expect(plan.createTransactions).toEqual([])
    expect(plan.counted).toEqual(["ref_1"])
  })

  it("two transactions for one live refund (Medusa booked it after the plugin did): the later one goes", () => {
    const plan = planRowChanges(facts({ records: [record("ref_1", "completed")], refunds: [row("ref_1")], transactions: [trx("t_late", "ref_1", { created_at: ago(5) }), trx("t_first", "ref_1", { created_at: ago(500) })] }))
    expect(plan.softDeleteTransactions).toEqual(["t_late"])
  })

  it("a payment collection no order owns has no transactions to keep", () => {
    const plan = planRowChanges(facts({ orderId: null, records: [record("ref_1", "completed")], refunds: [row("ref_1")] }))
    expect(plan.createTransactions).toEqual([])
    expect(plan.waiting).toEqual([])
  })

  it("rows of another provider's refunds are never touched, nor its order cancellation's booking", () => {
    const plan = planRowChanges(
      facts({ records: [], refunds: [row("ref_other", { payment_id: "pay_card" }), row("ref_other_gone", { payment_id: "pay_card", deleted_at: ago(5) })], transactions: [trx("t1", "ref_other"), trx("t2", "ref_other_gone"), trx("t3", "pay_card")] })
    )
    expect(plan.softDeleteRefunds).toEqual([])
    expect(plan.softDeleteTransactions).toEqual([])
  })

  it("a Refund row of ours with no record (the process died before any call) stops counting once its grace is over", () => {
    expect(planRowChanges(facts({ refunds: [row("ref_orphan", { created_at: ago(10) })] })).softDeleteRefunds).toEqual([])
    expect(planRowChanges(facts({ refunds: [row("ref_orphan")] })).softDeleteRefunds).toEqual(["ref_orphan"])
  })

  it("Medusa booking a refund in flight with another refund's amount: the wrong transaction goes at once, the right one comes after", () => {
    // R2 (20) booked a -20 transaction for R1 (50, still requested) as well as its own
    const plan = planRowChanges(
      facts({
        records: [record("ref_1", "requested", { amount: "50", call_lease_until: new Date(now.getTime() + 30_000), requested_at: ago(2) }), record("ref_2", "completed", { amount: "20" })],
        refunds: [row("ref_1", { amount: 50, created_at: ago(2) }), row("ref_2", { amount: 20 })],
        transactions: [trx("t_r1_wrong", "ref_1", { amount: -20, created_at: ago(1) }), trx("t_r2", "ref_2", { amount: -20 })],
      })
    )
    expect(plan.softDeleteTransactions).toEqual(["t_r1_wrong"])
    expect(plan.createTransactions).toEqual([])
    expect(plan.waiting).toEqual(["ref_1"])
  })

  it("order cancellation (Medusa keys its transaction by the payment id): adopted by the refund it is, or removed when that refund failed", () => {
    const cancel = trx("t_cancel", "pay_1", { amount: -199.9 })
    const kept = planRowChanges(facts({ records: [record("ref_c", "pending", { amount: "199.90" })], refunds: [row("ref_c", { amount: 199.9 })], transactions: [cancel] }))
    expect(kept.rekeyTransactions).toEqual([{ id: "t_cancel", reference_id: "ref_c" }])
    expect(kept.createTransactions).toEqual([])
    expect(kept.softDeleteTransactions).toEqual([])
    const failed = planRowChanges(facts({ records: [record("ref_c", "failed", { amount: "199.90" })], transactions: [cancel] }))
    expect(failed.softDeleteTransactions).toEqual(["t_cancel"])
  })

  it("a transaction keyed to a refund of ours that no record or row explains is another refund's booking: it goes", () => {
    const plan = planRowChanges(facts({ records: [], refunds: [], transactions: [trx("t_ghost", "ref_gone", { amount: -20 })] }))
    expect(plan.softDeleteTransactions).toEqual(["t_ghost"])
  })

  it("a credit line owed with a transaction the plugin booked is written until it is", () => {
    const owed = record("ref_1", "completed", { credit_line_owed: "40" })
    expect(planRowChanges(facts({ records: [owed], refunds: [row("ref_1")], transactions: [trx("t1", "ref_1")] })).creditLines).toEqual([{ refund_id: "ref_1", amount: "40" }])
    expect(planRowChanges(facts({ records: [owed], refunds: [row("ref_1")], transactions: [trx("t1", "ref_1")], creditLines: ["ref_1"] })).creditLines).toEqual([])
  })
})

describe("summaryTotals: the order summary as the sum of what stands", () => {
  const summary = (paid: number, refunded: number, current = 199.9) => ({
    paid_total: paid,
    raw_paid_total: { value: String(paid), precision: 20 },
    refunded_total: refunded,
    raw_refunded_total: { value: String(refunded), precision: 20 },
    transaction_total: paid - refunded,
    raw_transaction_total: { value: String(paid - refunded), precision: 20 },
    current_order_total: current,
    raw_current_order_total: { value: String(current), precision: 20 },
    pending_difference: current - (paid - refunded),
    raw_pending_difference: { value: String(Number((current - (paid - refunded)).toFixed(2))), precision: 20 },
  })

  it("recomputes paid, refunded, transaction total and pending difference (a lost update undone)", () => {
    const totals = summaryTotals(summary(199.9, 40), [{ amount: 199.9 }])!
    expect(totals).toMatchObject({ paid_total: 199.9, refunded_total: 0, transaction_total: 199.9, pending_difference: 0 })
    expect(totals.raw_refunded_total).toEqual({ value: "0", precision: 20 })
  })

  it("answers null when the summary already agrees", () => {
    expect(summaryTotals(summary(199.9, 40), [{ amount: 199.9 }, { amount: -40 }])).toBeNull()
  })

  it("keeps the credit lines' effect: pending difference is the current total less the transactions", () => {
    // a refund of 40 with its credit line (order total 159.90) undone: 40 owed to the shopper
    const totals = summaryTotals(summary(199.9, 40, 159.9), [{ amount: 199.9 }])!
    expect(totals.pending_difference).toBeCloseTo(-40, 2)
  })
})

describe("refundedAmount and creditLineAmount", () => {
  it("the collection's refunded amount is the sum of the Refund rows that stand", () => {
    expect(refundedAmount(70, [{ amount: 30 }])).toBe("30")
    expect(refundedAmount("30", [{ amount: 30 }])).toBeNull()
  })

  it("a credit line covers what the refund leaves over what the order already owed", () => {
    expect(creditLineAmount("40", 0)).toBe("40")
    expect(creditLineAmount("40", "-15")).toBe("25")
    expect(creditLineAmount("40", "-50")).toBe("0")
  })
})

describe("answerVerdict: the refund call's answer against the record", () => {
  it.each([
    ["requested", "pending", "pending", false],
    ["verifying", "completed", "completed", false],
    ["pending", "rejected", "rejected", false],
    ["completed", "pending", "completed", false],
    ["rejected", "pending", "rejected", false],
    ["failed", "rejected", "rejected", false],
    ["failed", "pending", "pending", true],
    ["failed", "completed", "completed", true],
    ["rejected", "completed", "completed", true],
    ["completed", "rejected", "completed", true],
  ] as const)("record %s, answer %s → %s (anomaly: %s)", (status, answer, expected, anomaly) => {
    const v = answerVerdict({ status, failure_reason: null }, { status: answer })
    expect(v.status).toBe(expected)
    expect(!!v.anomaly).toBe(anomaly)
  })
})
