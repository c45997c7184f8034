import { manualSettleRoute } from "../../manual"

/**
 * POST /admin/pagoefectivo/refunds/:refund_id/fail {reason}: the transfer failed (or will not be
 * made). Medusa's refund is undone: the amount is owed to the shopper again.
 */
export const POST = manualSettleRoute("failed", "reason", "why the transfer failed", 500)
