import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { PROVIDER_ID_PREFIX } from "../../lib/pagoefectivo/provider-id"

export type CipStats = {
  /** CIPs issued: PagoEfectivo payment sessions with a CIP created in the range (renewed ones included). */
  issued: number
  /** PagoEfectivo payments captured in the range. */
  paid: number
  /** CIPs that expired unpaid (their session was marked expired) in the range. */
  expired: number
  /** Fresh CIPs issued for an order whose CIP expired, in the range. */
  renewed: number
  /** Of those, the ones paid. */
  renewed_paid: number
}

/**
 * The Finance tab's CIP counts over [from, to): read-only SQL on Medusa 2.21's payment_session and
 * payment tables (soft-deleted sessions included: Medusa deletes an expired session when a renewal
 * replaces it) and the plugin's pagoefectivo_cip records.
 */
export async function cipStats(db: Knex, from: Date, to: Date): Promise<CipStats> {
  const { rows } = await db.raw(
    `SELECT
       (SELECT count(*) FROM payment_session s WHERE s.provider_id LIKE :pe AND s.data->>'cip' IS NOT NULL AND s.created_at >= :from AND s.created_at < :to) AS issued,
       (SELECT count(*) FROM payment p WHERE p.provider_id LIKE :pe AND p.deleted_at IS NULL AND p.captured_at >= :from AND p.captured_at < :to) AS paid,
       (SELECT count(*) FROM payment_session s WHERE s.provider_id LIKE :pe AND s.data->>'cipStatus' = 'expired' AND s.updated_at >= :from AND s.updated_at < :to) AS expired,
       (SELECT count(*) FROM pagoefectivo_cip c WHERE c.deleted_at IS NULL AND c.sequence > 0 AND c.created_at >= :from AND c.created_at < :to) AS renewed,
       (SELECT count(*) FROM pagoefectivo_cip c WHERE c.deleted_at IS NULL AND c.sequence > 0 AND c.status = 'paid' AND c.created_at >= :from AND c.created_at < :to) AS renewed_paid`,
    { pe: `${PROVIDER_ID_PREFIX}%`, from, to }
  )
  const r = rows[0] ?? {}
  const n = (v: unknown) => Number(v ?? 0)
  return { issued: n(r.issued), paid: n(r.paid), expired: n(r.expired), renewed: n(r.renewed), renewed_paid: n(r.renewed_paid) }
}
