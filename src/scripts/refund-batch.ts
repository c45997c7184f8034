import { readFileSync } from "node:fs"
import type { ExecArgs, MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { readBatchCsv } from "../lib/csv-batch"
import { csvBatchKey } from "../lib/sha256"
import { ORDER_PAYMENT_FIELDS, pagoEfectivoPaymentIds } from "../lib/refunds/refund-once"
import { type BatchItem, type BatchProblem, MAX_BATCH_ITEMS, batchItemSchema, byLine, checkPayments, runRefundBatch } from "../lib/refunds/refund-batch"

/**
 * `npx medusa exec ./src/scripts/refund-batch.ts <file.csv> [batch key]`
 *
 * Refunds the lines of a CSV file through PagoEfectivo, as POST /admin/pagoefectivo/refunds/batch
 * does: `payment or order id, amount, reason` per line (amount empty = all still refundable;
 * an optional header line `payment_id,amount,reason` is skipped). Every line is checked before
 * anything runs: with any bad line, each is printed with its problem and nothing is refunded.
 * Then it prints one line per refund as it ends, and a summary. The batch key defaults to a hash
 * of the file, so running the same file again refunds nothing twice (lines that ended in error
 * are tried again). Exit code 1 when a line is bad or ended in error.
 */
export default async function refundBatchFromCsv({ container, args }: ExecArgs) {
  const out = (s: string) => process.stdout.write(s + "\n")
  const [file, key] = args ?? []
  if (!file) throw new Error("usage: npx medusa exec ./src/scripts/refund-batch.ts <file.csv> [batch key]")
  const text = readFileSync(file, "utf8")
  const batchKey = key ?? csvBatchKey(text)

  const { items, lines, problems } = await readLines(container, text)
  if (problems.length) {
    out(`${file}: ${problems.length} problem(s); nothing was refunded:`)
    for (const p of problems) out(`  line ${p.line ?? "-"}${p.field ? ` (${p.field})` : ""}: ${p.message}`)
    process.exitCode = 1
    return { problems }
  }

  out(`${file}: ${items.length} refund(s), batch key ${batchKey}`)
  const result = await runRefundBatch(container, {
    batch_key: batchKey,
    items,
    onItem: (r, done, total) =>
      out(
        `[${done}/${total}] line ${lines[r.line - 1]} ${r.payment_id}: ${r.status}${r.amount ? ` ${r.currency_code ?? ""} ${r.amount}` : ""}` +
          `${r.refund_id ? ` refund ${r.refund_id}` : ""}${r.duplicate ? " (already done)" : ""}${r.message ? ` — ${r.message}` : ""}`
      ),
  })
  out(`done: ${Object.entries(result.counts).map(([k, v]) => `${v} ${k}`).join(", ")}`)
  if (result.counts.error) process.exitCode = 1
  return result
}

/**
 * The CSV's lines as batch items (an order id becomes its PagoEfectivo payment), with every
 * problem found, by the file's line number.
 */
export async function readLines(container: MedusaContainer, text: string): Promise<{ items: BatchItem[]; lines: number[]; problems: BatchProblem[] }> {
  const read = readBatchCsv(text, { maxLines: MAX_BATCH_ITEMS })
  const problems: BatchProblem[] = [...read.problems]
  if (!read.lines.length && problems.length) return { items: [], lines: [], problems }

  const orderIds = read.lines.map((r) => r.id).filter((id) => id.startsWith("order_"))
  const paymentOf = await pagoEfectivoPaymentsOf(container, orderIds)
  const items: BatchItem[] = []
  const lines: number[] = []
  for (const { line, id, amount, reason } of read.lines) {
    let paymentId = id
    if (id.startsWith("order_")) {
      const found = paymentOf.get(id)
      if (!found) {
        problems.push({ line, field: "id", message: `order ${id} is unknown or was not paid with PagoEfectivo` })
        continue
      }
      paymentId = found
    }
    const parsed = batchItemSchema.safeParse({ payment_id: paymentId, ...(amount ? { amount } : {}), ...(reason ? { reason } : {}) })
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ line, field: i.path.join(".") || null, message: i.message })
      continue
    }
    items.push(parsed.data)
    lines.push(line)
  }
  problems.push(...(await checkPayments(container, items, lines)))
  return { items, lines, problems: byLine(problems) }
}

/** order id → its PagoEfectivo payment id. */
async function pagoEfectivoPaymentsOf(container: MedusaContainer, orderIds: string[]): Promise<Map<string, string>> {
  if (!orderIds.length) return new Map()
  const { data } = await container.resolve(ContainerRegistrationKeys.QUERY).graph({
    entity: "order",
    fields: ["id", ...ORDER_PAYMENT_FIELDS],
    filters: { id: orderIds },
  })
  const map = new Map<string, string>()
  for (const o of data as any[]) {
    const [paymentId] = pagoEfectivoPaymentIds(o)
    if (paymentId) map.set(o.id, paymentId)
  }
  return map
}
