import type { ExecArgs } from "@medusajs/framework/types"
import { runReconciliation } from "../lib/reconciliation/runs"

/**
 * `npx medusa exec ./src/scripts/reconcile-pagoefectivo.ts [olderThanMinutes]`: one
 * reconciliation run now (it logs its one-line summary, and is kept with the job's runs for the
 * admin's PagoEfectivo page). `0` looks at everything, however recent.
 */
export default async function reconcileOnce({ container, args }: ExecArgs) {
  const olderThan = args?.[0] !== undefined ? Number(args[0]) : undefined
  if (olderThan !== undefined && !(olderThan >= 0)) throw new Error(`olderThanMinutes must be a number ≥ 0, got ${args[0]}`)
  return runReconciliation(container, "script", { olderThanMinutes: olderThan })
}
