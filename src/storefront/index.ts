/**
 * `medusa-payment-pagoefectivo/storefront`: PagoEfectivo in a storefront. ESM with types, no server
 * code; React (an optional peer) only for the component.
 *
 * - isPagoEfectivo(providerId), readPagoEfectivoCip(cart | order | session) → PagoEfectivoCip | null
 * - fetchPagoEfectivoCip({ baseUrl, publishableKey, cartId | orderId }) → the plugin's store route
 * - renewPagoEfectivoCip({ baseUrl, publishableKey, orderId }) → a fresh CIP for an expired one
 * - <PagoEfectivoVoucher />, usePagoEfectivoCip(): the voucher, kept current by polling that route
 * - formatCipAmount, formatLimaDateTime, countdown, formatCountdown, VOUCHER_LABELS (es, en)
 */
export { PAGOEFECTIVO_PROVIDER_PREFIX, cipOf, isPagoEfectivo, readPagoEfectivoCip } from "./cip"
export type { CartLike, OrderLike, PagoEfectivoCip, PagoEfectivoCipStatus, PaymentLike } from "./cip"
export { countdown, formatCipAmount, formatCountdown, formatLimaDateTime } from "./format"
export type { Countdown, VoucherLocale } from "./format"
export { VOUCHER_LABELS } from "./labels"
export type { VoucherLabels } from "./labels"
export { PagoEfectivoStatusError, fetchPagoEfectivoCip, fetchPagoEfectivoCipStatus, renewPagoEfectivoCip } from "./status"
export type { FetchCipOptions, RenewCipOptions, StorePagoEfectivoCipResponse, StorePagoEfectivoRenewResponse } from "./status"
export { PagoEfectivoVoucher, usePagoEfectivoCip } from "./voucher"
export type { PagoEfectivoCipState, PagoEfectivoVoucherProps, UsePagoEfectivoCipOptions, VoucherPart } from "./voucher"
