import { defineMiddlewares } from "@medusajs/framework/http"
import { fillPagoEfectivoSessionEmail } from "./store/fill-session-email"

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
  ],
})
