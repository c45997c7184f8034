import type { MedusaContainer } from "@medusajs/framework/types"
import { runReconciliation } from "../lib/reconciliation/runs"

/**
 * Recovers what lost PagoEfectivo notifications would have said (see reconcilePagoEfectivo).
 * Runs every PAGOEFECTIVO_RECONCILE_EVERY_MINUTES minutes (default 5); run it once on demand with
 * `npx medusa exec ./src/scripts/reconcile-pagoefectivo.ts`. Each run is kept (the last 50, failed
 * ones with their error) for the admin's PagoEfectivo page.
 */
export default async function reconcilePagoEfectivoJob(container: MedusaContainer) {
  await runReconciliation(container, "job")
}

/** How often the job runs, in minutes (read when the job loads: Medusa fixes schedules at boot). */
export const RECONCILE_EVERY_MINUTES = Math.min(Math.max(Number(process.env.PAGOEFECTIVO_RECONCILE_EVERY_MINUTES) || 5, 1), 59)

export const config = {
  name: "pagoefectivo-reconcile",
  schedule: `*/${RECONCILE_EVERY_MINUTES} * * * *`,
}
