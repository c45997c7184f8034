import { cipStatusRoute } from "../../cip-status"

/** GET /store/pagoefectivo/carts/:id — the CIP of a cart's PagoEfectivo payment session (see cip-status.ts). */
export const GET = cipStatusRoute("cart")
