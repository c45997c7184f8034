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
 * payment tables and the plugin's pagoefectivo_cip records. Medusa deletes the session of an
 * expired CIP when a renewal replaces it, so a renewed order's CIPs are counted from the records
 * (each CIP once, by its number, whichever of the two holds it).
 */
export async function cipStats(db: Knex, from: Date, to: Date): Promise<CipStats> {
  const { rows } = await db.raw(
    `WITH live AS (
       SELECT s.data->>'cip' AS cip, s.created_at AS issued_at, CASE WHEN s.data->>'cipStatus' = 'expired' THEN s.updated_at END AS expired_at
       FROM payment_session s
       WHERE s.provider_id LIKE :pe AND s.deleted_at IS NULL AND s.data->>'cip' IS NOT NULL
     ),
     cips AS (
       SELECT cip, issued_at, expired_at FROM live WHERE cip NOT IN (SELECT cip FROM pagoefectivo_cip WHERE deleted_at IS NULL)
       UNION ALL
       SELECT c.cip, coalesce(c.issued_at, c.created_at), CASE WHEN c.status = 'expired' THEN c.expired_at END
       FROM pagoefectivo_cip c WHERE c.deleted_at IS NULL
     )
     SELECT
       (SELECT count(*) FROM cips WHERE issued_at >= :from AND issued_at < :to) AS issued,
       (SELECT count(*) FROM payment p WHERE p.provider_id LIKE :pe AND p.deleted_at IS NULL AND p.captured_at >= :from AND p.captured_at < :to) AS paid,
       (SELECT count(*) FROM cips WHERE expired_at >= :from AND expired_at < :to) AS expired,
       (SELECT count(*) FROM pagoefectivo_cip c WHERE c.deleted_at IS NULL AND c.sequence > 0 AND c.created_at >= :from AND c.created_at < :to) AS renewed,
       (SELECT count(*) FROM pagoefectivo_cip c WHERE c.deleted_at IS NULL AND c.sequence > 0 AND c.status = 'paid' AND c.created_at >= :from AND c.created_at < :to) AS renewed_paid`,
    { pe: `${PROVIDER_ID_PREFIX}%`, from, to }
  )
  const r = rows[0] ?? {}
  const n = (v: unknown) => Number(v ?? 0)
  return { issued: n(r.issued), paid: n(r.paid), expired: n(r.expired), renewed: n(r.renewed), renewed_paid: n(r.renewed_paid) }
}
