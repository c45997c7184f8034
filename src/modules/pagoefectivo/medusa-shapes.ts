import fs from "fs"
import path from "path"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"

/**
 * The guard for an unknown Medusa: the shapes of Medusa's own rows that the convergence writes and
 * the plugin's SQL reads (src/lib/books/converge.ts, books-sql.ts, operations-sql.ts,
 * ledger.ts), checked once at boot against the store's database and Medusa's own summary code.
 * When they differ, the convergence writes none of Medusa's books (src/lib/books/converge.ts)
 * and the reconciliation's sweep stands still, while PagoEfectivo's verdicts are still recorded:
 * once the plugin is updated for that Medusa, the sweep brings the books to them.
 *
 * Read from Medusa 2.18.0, 2.19.0, 2.20.1, 2.21.0 and 2.21.2 (the models and migrations of the
 * Payment and Order modules and the order link): the same on all of them.
 */
export const MEDUSA_COLUMNS: Readonly<Record<string, Readonly<Record<string, ColumnType>>>> = {
  refund: { id: "text", payment_id: "text", amount: "numeric", raw_amount: "jsonb", note: "text", metadata: "jsonb", created_at: "timestamp", deleted_at: "timestamp" },
  payment: {
    id: "text",
    payment_collection_id: "text",
    payment_session_id: "text",
    provider_id: "text",
    data: "jsonb",
    amount: "numeric",
    raw_amount: "jsonb",
    currency_code: "text",
    captured_at: "timestamp",
    created_at: "timestamp",
    deleted_at: "timestamp",
  },
  payment_collection: { id: "text", refunded_amount: "numeric", raw_refunded_amount: "jsonb", deleted_at: "timestamp" },
  payment_session: { id: "text", payment_collection_id: "text", status: "text", data: "jsonb", deleted_at: "timestamp" },
  order_payment_collection: { order_id: "text", payment_collection_id: "text", deleted_at: "timestamp" },
  order: { id: "text", version: "integer", status: "text", deleted_at: "timestamp" },
  order_transaction: {
    id: "text",
    order_id: "text",
    amount: "numeric",
    raw_amount: "jsonb",
    currency_code: "text",
    reference: "text",
    reference_id: "text",
    created_at: "timestamp",
    deleted_at: "timestamp",
  },
  order_summary: { id: "text", order_id: "text", version: "integer", totals: "jsonb", deleted_at: "timestamp" },
  order_credit_line: { id: "text", order_id: "text", amount: "numeric", raw_amount: "jsonb", reference: "text", reference_id: "text", deleted_at: "timestamp" },
}

/** The order summary's totals the convergence reads and rewrites (src/lib/books/plan.ts). */
export const SUMMARY_KEYS = ["current_order_total", "paid_total", "refunded_total", "transaction_total", "pending_difference"] as const

/** A column's kind, as PostgreSQL's information_schema names it (any of these spellings). */
type ColumnType = "text" | "numeric" | "jsonb" | "timestamp" | "integer"
const TYPE_NAMES: Record<ColumnType, string[]> = {
  text: ["text", "character varying", "USER-DEFINED"],
  numeric: ["numeric"],
  jsonb: ["jsonb"],
  timestamp: ["timestamp with time zone", "timestamp without time zone"],
  integer: ["integer", "bigint", "smallint"],
}

export type ColumnFact = { table: string; column: string; type: string }

export type MedusaShapeCheck = {
  /** @medusajs/medusa's version as installed in the store ("unknown" when its package.json cannot be read). */
  medusa_version: string
  /** True when every shape matches: the convergence writes Medusa's books. */
  ok: boolean
  /** What differs, one phrase each ("order_credit_line.reference_id is missing"); empty when ok. */
  differences: string[]
  checked_at: string
}

/**
 * What differs between Medusa's shapes and the ones this plugin writes, from the columns of the
 * store's database and the summary keys Medusa computes or stored (null: none to read).
 */
export function shapeDifferences(columns: ColumnFact[], summaryKeys: { source: string; keys: string[] | null }[]): string[] {
  const differences: string[] = []
  const found = new Map(columns.map((c) => [`${c.table}.${c.column}`, c.type]))
  const tables = new Set(columns.map((c) => c.table))
  for (const [table, wanted] of Object.entries(MEDUSA_COLUMNS)) {
    if (!tables.has(table)) {
      differences.push(`table ${table} is missing`)
      continue
    }
    for (const [column, kind] of Object.entries(wanted)) {
      const type = found.get(`${table}.${column}`)
      if (type === undefined) differences.push(`${table}.${column} is missing`)
      else if (!TYPE_NAMES[kind].includes(type)) differences.push(`${table}.${column} is ${type}, not ${kind}`)
    }
  }
  const read = summaryKeys.filter((s) => s.keys !== null)
  if (!read.length) differences.push("the order summary's totals could not be read (neither Medusa's summary code nor a stored summary)")
  for (const { source, keys } of read) {
    const missing = SUMMARY_KEYS.filter((k) => !keys!.includes(k))
    if (missing.length) differences.push(`${source} lacks ${missing.join(", ")}`)
  }
  return differences
}

/** The one error the boot logs when the shapes differ. */
export function shapeError(check: MedusaShapeCheck): string {
  return (
    `pagoefectivo: Medusa ${check.medusa_version} does not have the shapes this plugin writes: ${check.differences.join("; ")}. ` +
    "Medusa's books (refunds, order transactions, order summaries, credit lines, payment collections) are not written by the plugin until it is updated for this Medusa; " +
    "PagoEfectivo's verdicts are still recorded, and the reconciliation brings the books to them once it is. See the PagoEfectivo page's Health tab."
  )
}

/** Where the store's @medusajs/medusa is: from the app's folder, else from wherever this module is. */
function medusaPackageJson(): string | null {
  for (const paths of [[process.cwd()], undefined]) {
    try {
      return require.resolve("@medusajs/medusa/package.json", paths ? { paths } : undefined)
    } catch {
      /* next */
    }
  }
  return null
}

export function installedMedusaVersion(): string {
  const file = medusaPackageJson()
  if (!file) return "unknown"
  try {
    return String(JSON.parse(fs.readFileSync(file, "utf8")).version ?? "unknown")
  } catch {
    return "unknown"
  }
}

/**
 * The summary keys Medusa's Order module computes (its OrderChangeProcessing, found beside the
 * installed @medusajs/medusa), or null when that code is not where Medusa 2.18–2.21 keep it.
 */
function computedSummaryKeys(): string[] | null {
  const medusa = medusaPackageJson()
  try {
    const order = require.resolve("@medusajs/order/package.json", { paths: [medusa ? path.dirname(fs.realpathSync(medusa)) : process.cwd()] })
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { calculateOrderChange } = require(path.join(path.dirname(order), "dist", "utils", "calculate-order-change.js"))
    const calculated = calculateOrderChange({ order: { total: 0, credit_lines: [] }, transactions: [], actions: [] })
    return Object.keys(calculated.getSummaryFromOrder({ total: 0 }))
  } catch {
    return null
  }
}

/** Reads the store's shapes and says what differs. Throws when the database cannot be read. */
export async function checkMedusaShapes(db: Knex): Promise<MedusaShapeCheck> {
  const { rows } = await db.raw(
    `SELECT table_name AS table, column_name AS column, data_type AS type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = ANY(?)`,
    [Object.keys(MEDUSA_COLUMNS)]
  )
  const columns = rows as ColumnFact[]
  let stored: string[] | null = null
  if (columns.some((c) => c.table === "order_summary" && c.column === "totals")) {
    const { rows: summaries } = await db.raw(
      `SELECT totals FROM order_summary WHERE deleted_at IS NULL AND totals IS NOT NULL ORDER BY created_at DESC LIMIT 1`
    ).catch(() => ({ rows: [] as { totals: unknown }[] }))
    const totals = summaries[0]?.totals
    if (totals && typeof totals === "object") stored = Object.keys(totals)
  }
  const differences = shapeDifferences(columns, [
    { source: "Medusa's order summary calculation", keys: computedSummaryKeys() },
    { source: "the newest stored order summary", keys: stored },
  ].filter((s, i) => i === 0 || s.keys !== null))
  return { medusa_version: installedMedusaVersion(), ok: differences.length === 0, differences, checked_at: new Date().toISOString() }
}
