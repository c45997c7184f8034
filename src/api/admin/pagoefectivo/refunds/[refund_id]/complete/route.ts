import { manualSettleRoute } from "../../manual"

/** POST /admin/pagoefectivo/refunds/:refund_id/complete {bank_reference}: the money was transferred. */
export const POST = manualSettleRoute("completed", "bank_reference", "the bank transfer's reference", 100)
