import { definePolicies } from "@medusajs/framework/utils"

/**
 * RBAC policies (MEDUSA_FF_RBAC=true) that Medusa 2.21 uses but does not register: its own
 * `POST /admin/payments/:id/refund` requires `refund:create`, yet no code-defined policy has the
 * resource "refund", so no role short of a wildcard could be given it. Registered here, they are
 * synced to the database at boot like Medusa's own (the RBAC module's syncRegisteredPolicies) and
 * can be put in a role: `refund:create` is what every route that moves money requires — Medusa's
 * Refund button and the plugin's batch, return refund, manual settle and "Record in Medusa"
 * routes (src/api/middlewares.ts).
 */
export const pagoefectivoRefundPolicies = definePolicies([
  { name: "ReadRefund", resource: "refund", operation: "read", description: "Read refund" },
  { name: "CreateRefund", resource: "refund", operation: "create", description: "Create refund" },
])
