import type { MiddlewareRoute } from "@medusajs/framework/http"

/**
 * The RBAC policies of the plugin's admin routes, applied when Medusa's RBAC flag is on
 * (MEDUSA_FF_RBAC=true; without it Medusa ignores `policies` and every route needs a login only).
 * They follow Medusa's own payment routes (@medusajs/medusa/dist/api/admin/payments/middlewares.js):
 * - every route under /admin/pagoefectivo needs `payment:read`, as `/admin/payments/*` does;
 * - the routes that move money need `refund:create`, as `POST /admin/payments/:id/refund` does:
 *   refund batches, a return's refund, marking a bank transfer made or failed, recording a
 *   refund made in PagoEfectivo's panel in Medusa, and refunding a late payment (overpayment);
 * - the order panel also needs `order:read`.
 * "Check now", "Reprocess" and "Test connection" need the read policy only: they apply nothing
 * but PagoEfectivo's own word (what the reconciliation job applies on its own anyway), and choose
 * no amount. `refund:create` is registered by src/policies/pagoefectivo.ts (Medusa 2.21 does not).
 */
const read = { resource: "payment", operation: "read" }
const refund = { resource: "refund", operation: "create" }

export const pagoefectivoAdminPolicies: MiddlewareRoute[] = [
  { matcher: "/admin/pagoefectivo/*", policies: [read] },
  { matcher: "/admin/pagoefectivo/orders/:id", methods: ["GET"], policies: [{ resource: "order", operation: "read" }] },
  { matcher: "/admin/pagoefectivo/refunds/batch", methods: ["POST"], policies: [refund] },
  { matcher: "/admin/pagoefectivo/returns/:id/refund", methods: ["POST"], policies: [refund] },
  { matcher: "/admin/pagoefectivo/refunds/:refund_id/complete", methods: ["POST"], policies: [refund] },
  { matcher: "/admin/pagoefectivo/refunds/:refund_id/fail", methods: ["POST"], policies: [refund] },
  { matcher: "/admin/pagoefectivo/notifications/:id/record", methods: ["POST"], policies: [refund] },
  { matcher: "/admin/pagoefectivo/overpayments/:cip/refund", methods: ["POST"], policies: [refund] },
]
