import { createHash } from "node:crypto"
import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { z } from "zod"
import { readMoney } from "../money"
import { forEachLimited } from "../concurrency"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"
import { isPagoEfectivoProvider } from "../pagoefectivo/provider-id"
import { type RefundOnceResult, loadPayments, refundOnce } from "./refund-once"

export const MAX_BATCH_ITEMS = 500

/** An amount as staff write it (src/lib/money.ts), normalised to its two decimals ("5" → "5.00"). */
const amountSchema = z.unknown().transform((v, ctx) => {
  const read = readMoney(v)
  if (read.ok) return read.text
  ctx.addIssue({ code: "custom", message: read.message })
  return z.NEVER
})

export const batchItemSchema = z
  .object({
    payment_id: z.string({ error: "is required" }).trim().regex(/^pay_[A-Za-z0-9]{1,64}$/, "must be a payment id (pay_…)"),
    /** Omitted: everything still refundable on the payment. */
    amount: amountSchema.optional(),
    reason: z.string().trim().max(200, "must be at most 200 characters").optional(),
    /** Optional check: the payment's currency must be this one. */
    currency_code: z
      .string()
      .trim()
      .transform((c) => c.toUpperCase())
      .pipe(z.enum(["PEN", "USD"], { error: "must be PEN or USD" }))
      .optional(),
  })
  .strict()

export const batchSchema = z
  .object({
    batch_key: z
      .string({ error: "is required: a key of your choosing that makes resubmitting this batch safe" })
      .trim()
      .regex(/^[A-Za-z0-9_.:-]{8,100}$/, "must be 8 to 100 letters, digits or _ . : -"),
    items: z
      .array(z.unknown(), { error: "is required: a list of refunds" })
      .min(1, "must hold at least one refund")
      .max(MAX_BATCH_ITEMS, `must hold at most ${MAX_BATCH_ITEMS} refunds`),
  })
  .strict()

export type BatchItem = z.output<typeof batchItemSchema>
/** One bad item (line is 1-based, as staff count) or a problem of the whole batch (line null). */
export type BatchProblem = { line: number | null; field: string | null; message: string }

export type BatchItemResult = Omit<RefundOnceResult, "key" | "rate_limited"> & { line: number; payment_id: string }
export type BatchResult = {
  batch_key: string
  counts: Record<"ok" | "pending" | "error" | "skipped" | "running", number>
  items: BatchItemResult[]
}

/**
 * Validates a whole batch before anything runs: its shape, every item (all problems, not the
 * first), then the payments (known, made with PagoEfectivo, in the currency the item says).
 */
export async function validateBatch(
  container: MedusaContainer,
  body: unknown
): Promise<{ ok: true; batch_key: string; items: BatchItem[] } | { ok: false; problems: BatchProblem[] }> {
  const outer = batchSchema.safeParse(body)
  if (!outer.success) {
    return { ok: false, problems: outer.error.issues.map((i) => ({ line: null, field: i.path.join(".") || null, message: i.message })) }
  }
  const problems: BatchProblem[] = []
  const items: BatchItem[] = []
  const lines: number[] = []
  outer.data.items.forEach((raw, index) => {
    const parsed = batchItemSchema.safeParse(raw)
    if (parsed.success) {
      items.push(parsed.data)
      lines.push(index + 1)
    } else for (const i of parsed.error.issues) problems.push({ line: index + 1, field: i.path.join(".") || null, message: i.message })
  })
  problems.push(...(await checkPayments(container, items, lines)))
  return problems.length ? { ok: false, problems: byLine(problems) } : { ok: true, batch_key: outer.data.batch_key, items }
}

/** Problems in line order (those of the whole batch first); a line's own problems keep their order. */
export function byLine(problems: BatchProblem[]): BatchProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0))
}

/** The payments of the items: each known, made with PagoEfectivo, and in the item's currency. */
export async function checkPayments(container: MedusaContainer, items: (Pick<BatchItem, "payment_id" | "currency_code"> & { amount?: string })[], lines?: number[]): Promise<BatchProblem[]> {
  const payments = new Map((await loadPayments(container, [...new Set(items.map((i) => i.payment_id))])).map((p) => [p.id, p]))
  const problems: BatchProblem[] = []
  items.forEach((item, index) => {
    const line = lines?.[index] ?? index + 1
    const p = payments.get(item.payment_id)
    if (!p) problems.push({ line, field: "payment_id", message: `unknown payment ${item.payment_id}` })
    else if (!isPagoEfectivoProvider(p.provider_id)) problems.push({ line, field: "payment_id", message: `payment ${p.id} was not made with PagoEfectivo (${p.provider_id})` })
    else if (item.currency_code && item.currency_code !== p.currency_code.toUpperCase()) {
      problems.push({ line, field: "currency_code", message: `payment ${p.id} is in ${p.currency_code.toUpperCase()}, not ${item.currency_code}` })
    } else if ("amount" in item && item.amount !== undefined) {
      // the amount is in the payment's currency: read it with that currency's decimals
      const read = readMoney(item.amount, { currency: p.currency_code })
      if (!read.ok) problems.push({ line, field: "amount", message: read.message })
    }
  })
  return problems
}

/** Hash of the items as given: the same batch key must always mean the same refunds. */
export function batchHash(items: BatchItem[]): string {
  const canonical = items.map((i) => [i.payment_id, i.amount ?? null, i.reason ?? null, i.currency_code ?? null])
  return createHash("sha256").update(JSON.stringify(canonical)).digest("hex")
}

export class BatchConflictError extends Error {}

/**
 * Runs a validated batch: every item through refundOnce (key `batch:<batch_key>:<line>`, so a
 * resubmitted batch refunds nothing twice and retries only what ended in error), the refunds of
 * one payment one after the other, at most `concurrency` payments at once. When PagoEfectivo
 * rate-limits past what the client waits out (429), every worker pauses (1 s, doubling to 30 s)
 * and the item is tried again, up to 6 times; nothing was refunded by a 429.
 */
export async function runRefundBatch(
  container: MedusaContainer,
  { batch_key, items, created_by = null, concurrency = 4, onItem }: {
    batch_key: string
    items: BatchItem[]
    created_by?: string | null
    concurrency?: number
    onItem?: (r: BatchItemResult, done: number, total: number) => void
  }
): Promise<BatchResult> {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const logger = container.resolve(ContainerRegistrationKeys.LOGGER)
  const hash = batchHash(items)
  const opened = await pe.refundRequests().openBatch(batch_key, hash, items.length, created_by)
  if (opened.items_hash !== hash) {
    throw new BatchConflictError(`batch ${batch_key} was already submitted with other items; use a new batch key for a new batch`)
  }

  const results: BatchItemResult[] = new Array(items.length)
  const byPayment = new Map<string, number[]>()
  items.forEach((item, i) => byPayment.set(item.payment_id, [...(byPayment.get(item.payment_id) ?? []), i]))

  let pausedUntil = 0
  let backoffMs = 1000
  let done = 0
  const runItem = async (i: number): Promise<BatchItemResult> => {
    const item = items[i]
    for (let attempt = 1; ; attempt++) {
      const wait = pausedUntil - Date.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const r = await refundOnce(container, {
        key: `batch:${batch_key}:${i + 1}`,
        source: "batch",
        batch_key,
        line: i + 1,
        payment_id: item.payment_id,
        amount: item.amount ?? null,
        reason: item.reason ?? null,
        created_by,
        retryErrors: true,
      })
      if (r.rate_limited && attempt < 6) {
        pausedUntil = Math.max(pausedUntil, Date.now() + backoffMs)
        logger.warn(`pagoefectivo batch ${batch_key}: rate limited at line ${i + 1}; pausing ${backoffMs} ms`)
        backoffMs = Math.min(backoffMs * 2, 30_000)
        continue
      }
      if (!r.rate_limited) backoffMs = 1000
      const { key: _k, rate_limited: _r, ...rest } = r
      return { line: i + 1, payment_id: item.payment_id, ...rest }
    }
  }
  await forEachLimited([...byPayment.values()], concurrency, async (lines) => {
    for (const i of lines) {
      results[i] = await runItem(i)
      onItem?.(results[i], ++done, items.length)
    }
  })

  const counts = { ok: 0, pending: 0, error: 0, skipped: 0, running: 0 }
  for (const r of results) counts[r.status]++
  logger.info(`pagoefectivo batch ${batch_key}: ${items.length} item(s): ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(" ")}`)
  return { batch_key, counts, items: results }
}
