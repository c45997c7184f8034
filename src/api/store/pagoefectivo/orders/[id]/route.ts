import { cipStatusRoute } from "../../cip-status"

/** GET /store/pagoefectivo/orders/:id — the CIP of an order paid (or to be paid) with PagoEfectivo (see cip-status.ts). */
export const GET = cipStatusRoute("order")
