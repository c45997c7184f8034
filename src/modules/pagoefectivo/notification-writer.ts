import { generateEntityId } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { FAILPOINTS, failpoint } from "../../lib/failpoints"
import { type Notification, notificationKey } from "../../lib/pagoefectivo"

export type RecordedNotification = { id: string; duplicate: boolean; status: string }

type Pending = { key: string; notification: Notification; resolve: (r: RecordedNotification) => void; reject: (e: unknown) => void }

/** Most rows written in one statement. */
const MAX_BATCH = 200

/**
 * Writes notifications to `pagoefectivo_notification`, each once under its unique key. What it
 * writes is storable (wire.ts turns U+0000, which PostgreSQL refuses, into U+FFFD when it parses);
 * should a batch fail all the same, each of its rows is written on its own, so that one odd row
 * never fails its neighbours.
 *
 * Calls made while a write is on its way are queued and written together by the next statement:
 * under a burst of deliveries that is one INSERT … ON CONFLICT DO NOTHING for many rows instead of
 * one round trip each, and a single delivery still goes out at once. Keys that did not insert
 * (delivered before, or twice in the same batch) are counted as repeats with one UPDATE, a
 * statement of its own, so it sees rows that a concurrent insert committed meanwhile.
 */
export class NotificationWriter {
  private queue: Pending[] = []
  private writing = false

  constructor(private readonly db: Knex) {}

  record(notification: Notification): Promise<RecordedNotification> {
    return new Promise((resolve, reject) => {
      this.queue.push({ key: notificationKey(notification), notification, resolve, reject })
      if (!this.writing) void this.drain()
    })
  }

  private async drain() {
    this.writing = true
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_BATCH)
        await failpoint(FAILPOINTS.notificationsWrite, { size: batch.length, queued: () => this.queue.length })
        try {
          const results = await this.write(batch)
          batch.forEach((p, i) => p.resolve(results[i]))
        } catch (e) {
          if (batch.length === 1) batch[0].reject(e)
          // one odd row must not fail its neighbours: each is written on its own
          else for (const p of batch) await this.write([p]).then(([r]) => p.resolve(r), p.reject)
        }
      }
    } finally {
      this.writing = false
    }
  }

  /** One INSERT for the first occurrence of each key, one UPDATE for the repeats. */
  private async write(batch: Pending[]): Promise<RecordedNotification[]> {
    const first = new Map<string, Pending>()
    for (const p of batch) if (!first.has(p.key)) first.set(p.key, p)
    const rows = [...first.values()]
    const values = rows.map(() => "(?, ?, ?, ?, ?, ?, ?::jsonb, 'received')").join(", ")
    const bindings = rows.flatMap(({ key, notification: n }) => {
      const data = n.data as Record<string, unknown>
      return [
        generateEntityId(undefined, "penotif"),
        key,
        n.eventType,
        n.operationNumber ?? null,
        (data.cip as string | undefined) ?? null,
        (data.refundId as string | undefined) ?? null,
        JSON.stringify(n),
      ]
    })
    const { rows: inserted } = await this.db.raw(
      `INSERT INTO pagoefectivo_notification (id, key, event_type, operation_number, cip, refund_id, payload, status)
       VALUES ${values}
       ON CONFLICT (key) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id, key, status`,
      bindings
    )
    const fresh = new Map<string, { id: string; status: string }>(inserted.map((r: any) => [r.key, r]))

    // repeats: every occurrence of a key but the one that inserted it
    const repeats = new Map<string, number>()
    for (const p of batch) repeats.set(p.key, (repeats.get(p.key) ?? 0) + 1)
    for (const key of fresh.keys()) repeats.set(key, repeats.get(key)! - 1)
    for (const [key, n] of repeats) if (n === 0) repeats.delete(key)
    const known = new Map<string, { id: string; status: string }>()
    if (repeats.size) {
      const { rows: updated } = await this.db.raw(
        `UPDATE pagoefectivo_notification n SET deliveries = n.deliveries + r.times, updated_at = now()
         FROM unnest(?::text[], ?::int[]) AS r(key, times)
         WHERE n.key = r.key AND n.deleted_at IS NULL
         RETURNING n.id, n.key, n.status`,
        [[...repeats.keys()], [...repeats.values()]]
      )
      for (const r of updated) known.set(r.key, r)
    }

    const claimed = new Set<string>()
    return batch.map((p) => {
      const row = fresh.get(p.key)
      if (row && !claimed.has(p.key)) {
        claimed.add(p.key)
        return { id: row.id, status: row.status, duplicate: false }
      }
      const existing = known.get(p.key) ?? row
      if (!existing) throw new Error(`notification ${p.key} was neither inserted nor found`)
      return { id: existing.id, status: existing.status, duplicate: true }
    })
  }
}
