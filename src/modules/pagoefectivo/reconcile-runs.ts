import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type { ReconcileRunStatus } from "./models/reconcile-run"

/** How many runs are kept: the newest; older ones are deleted as each new one is written. */
export const KEPT_RUNS = 50

export type ReconcileRunRow = {
  id: string
  trigger: string
  status: ReconcileRunStatus
  started_at: Date
  finished_at: Date
  duration_ms: number
  summary: Record<string, unknown> | null
  summary_line: string | null
  error: string | null
  /** started_at at full precision, for the cursor. */
  at_text: string
}

export type NewReconcileRun = Omit<ReconcileRunRow, "id" | "at_text">

/** The reconciliation's runs (pagoefectivo_reconcile_run), plain SQL on the shared connection. */
export class ReconcileRuns {
  constructor(private readonly db: Knex) {}

  /** Writes a run and deletes all but the newest KEPT_RUNS, in one transaction. */
  async record(run: NewReconcileRun): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx.raw(
        `INSERT INTO pagoefectivo_reconcile_run (id, trigger, status, started_at, finished_at, duration_ms, summary, summary_line, error)
         VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)`,
        [
          generateEntityId(undefined, "perrun"),
          run.trigger,
          run.status,
          run.started_at,
          run.finished_at,
          Math.round(run.duration_ms),
          run.summary === null ? null : JSON.stringify(run.summary),
          run.summary_line?.slice(0, 2000) ?? null,
          run.error?.slice(0, 2000) ?? null,
        ]
      )
      await trx.raw(
        `DELETE FROM pagoefectivo_reconcile_run WHERE id IN (
           SELECT id FROM pagoefectivo_reconcile_run ORDER BY started_at DESC, id DESC OFFSET ?)`,
        [KEPT_RUNS]
      )
    })
  }

  /** A page of runs, newest first, keyset-paged on (started_at, id) descending. */
  async list(after: { at: string; key: string } | null, limit: number): Promise<ReconcileRunRow[]> {
    const { rows } = await this.db.raw(
      `SELECT id, trigger, status, started_at, finished_at, duration_ms, summary, summary_line, error, started_at::text AS at_text
       FROM pagoefectivo_reconcile_run
       WHERE deleted_at IS NULL AND (CAST(:after_at AS timestamptz) IS NULL OR (started_at, id) < (CAST(:after_at AS timestamptz), :after_key))
       ORDER BY started_at DESC, id DESC
       LIMIT :limit`,
      { after_at: after?.at ?? null, after_key: after?.key ?? null, limit }
    )
    return rows
  }
}
