/**
 * Which payments are this plugin's: Medusa names a provider `pp_{identifier}_{id}`, and the
 * provider's identifier is "pagoefectivo". Dependency-free, so that the admin panel (a browser
 * bundle) can import it too.
 */
export const PROVIDER_ID_PREFIX = "pp_pagoefectivo_"

/** Whether a payment (or session) was made with this plugin's provider. */
export const isPagoEfectivoProvider = (providerId: string | null | undefined): boolean => !!providerId && providerId.startsWith(PROVIDER_ID_PREFIX)

/**
 * The statuses of a PagoEfectivo payment session whose CIP awaits payment: `pending` from
 * initiatePayment until the cart completes, `pending_authorization` after (the provider's
 * authorizePayment answers it while the CIP is unpaid).
 */
export const AWAITING_PAYMENT_SESSION_STATUSES: readonly string[] = ["pending", "pending_authorization"]
