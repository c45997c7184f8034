import { PagoEfectivoError } from "./errors"
import { REFUND_CODES } from "./wire"

export type RefundFailure = {
  /** PagoEfectivo's code, or the HTTP status / kind when it gave none. */
  code: string
  /** What happened and what the operator can do, for the admin and the refund record. */
  message: string
  /** "not_allowed" for business refusals, "invalid" for bad input, "unavailable" for the rest. */
  category: "not_allowed" | "invalid" | "unavailable"
}

/**
 * A definite refund failure from PagoEfectivo, in words an operator can act on. Each of the
 * project's refund codes (REFUND_CODES in wire.ts, answered by the sandbox) is mapped here.
 */
export function describeRefundFailure(e: unknown, cip: string): RefundFailure {
  if (!(e instanceof PagoEfectivoError)) {
    return { code: "error", message: `refund failed: ${(e as Error)?.message ?? String(e)}`, category: "unavailable" }
  }
  const ref = e.correlationId ? ` (PagoEfectivo correlation id ${e.correlationId})` : ""
  const said = e.gatewayMessage ? ` PagoEfectivo said: "${e.gatewayMessage}".` : ""
  const code = e.code ?? (e.status ? String(e.status) : e.kind)
  switch (e.code) {
    case REFUND_CODES.REFUNDS_NOT_ENABLED:
      return { code, category: "not_allowed", message: `PagoEfectivo has not enabled refunds for this merchant account. Ask PagoEfectivo to enable the refund API, or return the money by bank transfer.${said}${ref}` }
    case REFUND_CODES.IP_NOT_ALLOWED:
      return { code, category: "not_allowed", message: `PagoEfectivo refused the call from this server's IP address. Add the server's public IP to the allow-list in PagoEfectivo's merchant panel, then refund again.${said}${ref}` }
    case REFUND_CODES.REFUND_ID_CONFLICT:
      return { code, category: "invalid", message: `PagoEfectivo already has a refund with this id and a different amount or CIP. Nothing new was refunded; contact PagoEfectivo support with the refund id.${said}${ref}` }
    case REFUND_CODES.CIP_NOT_PAID:
      return { code, category: "not_allowed", message: `PagoEfectivo says CIP ${cip} is not paid, so there is nothing to refund.${said}${ref}` }
    case REFUND_CODES.AMOUNT_ABOVE_REFUNDABLE:
      return { code, category: "invalid", message: `PagoEfectivo says the amount is above what is still refundable on CIP ${cip}. Refund a smaller amount.${said}${ref}` }
    case REFUND_CODES.REFUND_WINDOW_EXCEEDED:
      return { code, category: "not_allowed", message: `PagoEfectivo's refund window for CIP ${cip} has passed. Return the money by bank transfer.${said}${ref}` }
    case REFUND_CODES.INSUFFICIENT_BALANCE:
      return { code, category: "not_allowed", message: `The merchant's PagoEfectivo balance cannot cover this refund. Try again after the next settlement, or refund by bank transfer.${said}${ref}` }
    case REFUND_CODES.CURRENCY_MISMATCH:
      return { code, category: "invalid", message: `PagoEfectivo says the refund's currency differs from CIP ${cip}'s.${said}${ref}` }
    case REFUND_CODES.CIP_NOT_FOUND:
      return { code, category: "invalid", message: `PagoEfectivo does not know CIP ${cip} for this service id. Check that the store uses the same PagoEfectivo account that issued it.${said}${ref}` }
  }
  if (e.status === 400) {
    const fields = e.fieldErrors.map((f) => `${f.field ?? "?"}: ${f.message}`).join("; ")
    return { code, category: "invalid", message: `PagoEfectivo refused the refund request as invalid${fields ? ` (${fields})` : ""}.${said}${ref}` }
  }
  if (e.status === 401) {
    return { code, category: "unavailable", message: `PagoEfectivo refused the plugin's credentials or signature. Check accessKey, secretKey and serviceId.${ref}` }
  }
  if (e.status === 403) {
    return { code, category: "not_allowed", message: `PagoEfectivo did not allow this refund.${said}${ref}` }
  }
  if (e.status === 429) {
    const wait = e.retryAfterMs ? ` Try again in ${Math.ceil(e.retryAfterMs / 1000)} s.` : " Try again in a moment."
    return { code, category: "unavailable", message: `PagoEfectivo is limiting the request rate; nothing was refunded.${wait}${ref}` }
  }
  return {
    code,
    category: "unavailable",
    message: `PagoEfectivo could not be reached or did not accept the refund, and nothing was refunded: ${e.message}. Try again in a moment.`,
  }
}
