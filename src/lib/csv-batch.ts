import { parseCsv } from "./csv"

/**
 * A refund batch file as staff write it, one refund per line: `payment or order id, amount, reason`
 * (amount empty = everything still refundable; an optional header line `payment_id,amount,reason`).
 * Read the same way by `medusa exec …/refund-batch.ts` (src/scripts/refund-batch.ts) and by the
 * admin's PagoEfectivo page (src/admin/components/ops/finance.tsx), which then send the lines to the
 * same batch: dependency-free, so that the admin's browser bundle can import it.
 */
export type CsvBatchLine = { line: number; id: string; amount?: string; reason?: string }
export type CsvBatchProblem = { line: number | null; field: string | null; message: string }

export function readBatchCsv(text: string, { maxLines }: { maxLines?: number } = {}): { lines: CsvBatchLine[]; problems: CsvBatchProblem[] } {
  let rows
  try {
    rows = parseCsv(text)
  } catch (e) {
    return { lines: [], problems: [{ line: null, field: null, message: (e as Error).message }] }
  }
  if (rows.length && /^(payment|order|payment_id|id)/i.test(rows[0].fields[0].trim()) && !/^(pay|order)_/.test(rows[0].fields[0].trim())) rows = rows.slice(1)
  const problems: CsvBatchProblem[] = []
  if (!rows.length) problems.push({ line: null, field: null, message: "the file has no refunds" })
  if (maxLines !== undefined && rows.length > maxLines) problems.push({ line: null, field: null, message: `the file has ${rows.length} refunds; at most ${maxLines} per batch` })
  if (problems.length) return { lines: [], problems }

  const lines: CsvBatchLine[] = []
  for (const { line, fields } of rows) {
    if (fields.length < 1 || fields.length > 3) {
      problems.push({ line, field: null, message: `expected "payment or order id, amount, reason", got ${fields.length} fields` })
      continue
    }
    const [id, amount, reason] = fields.map((f) => f.trim())
    if (/^\d+$/.test(amount ?? "") && /^\d{3}([.,]\d{1,2})?$/.test(reason ?? "")) {
      // "pay_…,1,234.50" is an amount with a thousands separator, not PEN 1.00 and a reason
      problems.push({ line, field: "amount", message: `"${amount},${reason}" looks like an amount with a thousands separator: write 1234.50, or quote the field` })
      continue
    }
    lines.push({ line, id, ...(amount ? { amount } : {}), ...(reason ? { reason } : {}) })
  }
  return { lines, problems }
}
