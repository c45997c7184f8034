import { authenticate, defineMiddlewares } from "@medusajs/framework/http"
import { fillPagoEfectivoSessionEmail } from "./store/fill-session-email"
import { pagoefectivoAdminPolicies } from "./admin/pagoefectivo/policies"

export default defineMiddlewares({
  routes: [
    {
      // The route reads and verifies the raw bytes itself: no body parser may consume them.
      matcher: "/webhooks/pagoefectivo",
      method: ["POST"],
      bodyParser: false,
    },
    {
      matcher: "/store/payment-collections/:id/payment-sessions",
      method: ["POST"],
      middlewares: [fillPagoEfectivoSessionEmail],
    },
    {
      // The CIP status routes and the CIP renewal: a logged-in customer is recognised (their orders answer to them
      // alone), a guest needs no login (see src/api/store/pagoefectivo/cip-status.ts).
      matcher: "/store/pagoefectivo/*",
      method: ["GET", "POST"],
      middlewares: [authenticate("customer", ["session", "bearer"], { allowUnauthenticated: true })],
    },
    // RBAC (MEDUSA_FF_RBAC=true): the same policies as Medusa's own payment routes
    ...pagoefectivoAdminPolicies,
  ],
})
