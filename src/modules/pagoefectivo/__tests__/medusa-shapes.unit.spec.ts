import { type ColumnFact, MEDUSA_COLUMNS, SUMMARY_KEYS, shapeDifferences, shapeError } from "../medusa-shapes"

/**
 * The guard for an unknown Medusa: what differs between the store's tables (and the order
 * summary's keys) and the shapes the convergence writes. The same check against a real database:
 * integration-tests/http/medusa-shapes.spec.ts.
 */
const TYPE_OF = { text: "text", numeric: "numeric", jsonb: "jsonb", timestamp: "timestamp with time zone", integer: "integer" } as const
const medusaColumns = (): ColumnFact[] =>
  Object.entries(MEDUSA_COLUMNS).flatMap(([table, columns]) => Object.entries(columns).map(([column, kind]) => ({ table, column, type: TYPE_OF[kind] })))
const keys = [...SUMMARY_KEYS, "original_order_total", "credit_line_total", "accounting_total"]
const summaries = (k: string[] | null = keys) => [{ source: "Medusa's order summary calculation", keys: k }]

describe("shapeDifferences", () => {
  it("finds none on Medusa's shapes, whatever else its tables or summary hold", () => {
    expect(shapeDifferences([...medusaColumns(), { table: "refund", column: "refund_reason_id", type: "text" }], summaries())).toEqual([])
  })

  it("names a missing table, a missing column, and a column of another kind", () => {
    const columns = medusaColumns()
      .filter((c) => c.table !== "order_credit_line")
      .filter((c) => !(c.table === "order_transaction" && c.column === "reference_id"))
      .map((c) => (c.table === "order_summary" && c.column === "totals" ? { ...c, type: "text" } : c))
    expect(shapeDifferences(columns, summaries())).toEqual([
      "order_transaction.reference_id is missing",
      "order_summary.totals is text, not jsonb",
      "table order_credit_line is missing",
    ])
  })

  it("names the summary keys Medusa no longer computes or stores", () => {
    expect(shapeDifferences(medusaColumns(), [...summaries(), { source: "the newest stored order summary", keys: keys.filter((k) => k !== "pending_difference") }])).toEqual([
      "the newest stored order summary lacks pending_difference",
    ])
    expect(shapeDifferences(medusaColumns(), summaries(["total", "paid"]))).toEqual([
      "Medusa's order summary calculation lacks current_order_total, paid_total, refunded_total, transaction_total, pending_difference",
    ])
  })

  it("counts summary keys it could not read at all as a difference: unknown is not the same", () => {
    expect(shapeDifferences(medusaColumns(), summaries(null))).toEqual([
      "the order summary's totals could not be read (neither Medusa's summary code nor a stored summary)",
    ])
  })
})

describe("shapeError", () => {
  it("names the version and what differs, and says the verdicts are kept", () => {
    const line = shapeError({ medusa_version: "2.22.0", ok: false, differences: ["order_credit_line.reference_id is missing"], checked_at: "" })
    expect(line).toContain("Medusa 2.22.0")
    expect(line).toContain("order_credit_line.reference_id is missing")
    expect(line).toContain("PagoEfectivo's verdicts are still recorded")
  })
})
