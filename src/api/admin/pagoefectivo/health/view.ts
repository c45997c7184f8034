import type { ReconcileRunRow } from "../../../../modules/pagoefectivo/reconcile-runs"
import { iso } from "../paging"

/** One reconciliation run as the page shows it. */
export type ReconcileRunView = {
  id: string
  trigger: string
  /** ok, failed (with `error`), or skipped (another worker held the lock) */
  status: string
  started_at: string
  finished_at: string
  duration_ms: number
  summary_line: string | null
  summary: Record<string, unknown> | null
  error: string | null
}

export function runView(r: ReconcileRunRow): ReconcileRunView {
  return {
    id: r.id,
    trigger: r.trigger,
    status: r.status,
    started_at: iso(r.started_at)!,
    finished_at: iso(r.finished_at)!,
    duration_ms: r.duration_ms,
    summary_line: r.summary_line,
    summary: r.summary,
    error: r.error,
  }
}

/** A URL as it may be shown: without any user or password it might carry. */
export function publicUrl(url: string): string {
  try {
    const u = new URL(url)
    u.username = ""
    u.password = ""
    return u.toString().replace(/\/$/, "")
  } catch {
    return "(not a URL)"
  }
}
