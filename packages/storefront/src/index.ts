/**
 * `medusa-payment-pagoefectivo-storefront`: PagoEfectivo in a storefront. ESM with types, no server
 * code; React (an optional peer) only for the component.
 *
 * - isPagoEfectivo(providerId), readPagoEfectivoCip(cart | order | session) → PagoEfectivoCip | null
 * - fetchPagoEfectivoCip({ baseUrl, publishableKey, cartId | orderId }) → the plugin's store route
 * - renewPagoEfectivoCip({ baseUrl, publishableKey, orderId }) → a fresh CIP for an expired one
 * - <PagoEfectivoVoucher />, usePagoEfectivoCip(): the voucher, kept current by polling that route
 * - formatCipAmount, formatLimaDateTime, countdown, formatCountdown, VOUCHER_LABELS (es, en)
 *
 * The reader and the formatting are the server's own (src/lib/cip, also used by the status route
 * and the CIP emails), bundled into this package at build: one copy of each rule.
 */
export { PAGOEFECTIVO_PROVIDER_PREFIX, cipOf, isPagoEfectivo, readPagoEfectivoCip } from "../../../src/lib/cip/read"
export type {
  CartLike,
  OrderLike,
  PagoEfectivoCip,
  PagoEfectivoCipStatus,
  PaymentLike,
  StorePagoEfectivoCipResponse,
  StorePagoEfectivoRenewResponse,
} from "../../../src/lib/cip/read"
export { countdown, formatCipAmount, formatCountdown, formatLimaDateTime } from "../../../src/lib/cip/format"
export type { Countdown, VoucherLocale } from "../../../src/lib/cip/format"
export { VOUCHER_LABELS } from "./labels"
export type { VoucherLabels } from "./labels"
export { PagoEfectivoStatusError, fetchPagoEfectivoCip, fetchPagoEfectivoStatus, renewPagoEfectivoCip } from "./status"
export type { FetchCipOptions, RenewCipOptions } from "./status"
export { PagoEfectivoVoucher, usePagoEfectivoCip } from "./voucher"
export type { PagoEfectivoCipState, PagoEfectivoVoucherProps, UsePagoEfectivoCipOptions, VoucherPart } from "./voucher"
