import { z } from "zod"
import { type Cursor, decodeCursor, encodeCursor } from "../../../modules/pagoefectivo/operations-sql"

/**
 * Keyset paging for the PagoEfectivo page's list routes: `?limit=1..100` (default 50) and the
 * `cursor` a previous page answered as `next_cursor` (opaque). Each page is one indexed query
 * that starts after the cursor, so a page costs the same however far one pages.
 */
export const pagingShape = {
  limit: z
    .string({ error: "must be a whole number from 1 to 100" })
    .regex(/^\d{1,9}$/, "must be a whole number from 1 to 100, written in digits")
    .transform(Number)
    .pipe(z.number().min(1, "must be at least 1").max(100, "must be at most 100"))
    .optional()
    .transform((n) => n ?? 50),
  cursor: z
    .string()
    .max(500, "is not a cursor this route answered")
    .transform((s, ctx) => {
      const c = decodeCursor(s)
      if (!c) {
        ctx.addIssue({ code: "custom", message: "is not a cursor this route answered (pass next_cursor back unchanged)" })
        return z.NEVER
      }
      return c
    })
    .optional(),
}

export type Page<T> = { items: T[]; next_cursor: string | null }

/**
 * A page from `limit + 1` rows (the extra one only says there is more), each with its cursor
 * position (`at_text`, full precision, and its unique key).
 */
export function pageOf<R extends { at_text: string }, T>(rows: R[], limit: number, keyOf: (r: R) => string, view: (r: R) => T): Page<T> {
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  const next: Cursor | null = rows.length > limit && last ? { at: last.at_text, key: keyOf(last) } : null
  return { items: items.map(view), next_cursor: next ? encodeCursor(next) : null }
}

export const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null)
