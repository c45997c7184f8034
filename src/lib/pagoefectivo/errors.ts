import type { FieldError } from "./wire"

/**
 * How a call failed:
 * - `http`: PagoEfectivo answered with an error status (see `status`, `code`, `fieldErrors`);
 * - `timeout`: no complete answer within the call's timeout;
 * - `network`: the connection failed (refused, reset, DNS);
 * - `invalid_response`: an answer we cannot trust (not JSON, or not the documented shape).
 */
export type PagoEfectivoErrorKind = "http" | "timeout" | "network" | "invalid_response"

export type PagoEfectivoErrorInit = {
  operation: string
  kind: PagoEfectivoErrorKind
  status?: number
  code?: string
  gatewayMessage?: string
  fieldErrors?: FieldError[]
  correlationId?: string
  /** True when sending the same request again cannot do harm (nothing was processed, or the call is idempotent). */
  retryable: boolean
  /** True when PagoEfectivo may have processed the request although we got no answer. */
  ambiguous?: boolean
  retryAfterMs?: number
  cause?: unknown
}

/**
 * A failed PagoEfectivo call. The message names the operation, the HTTP status, PagoEfectivo's
 * code and message and the field errors; it never contains a credential, token or signature.
 */
export class PagoEfectivoError extends Error {
  readonly operation: string
  readonly kind: PagoEfectivoErrorKind
  readonly status?: number
  readonly code?: string
  readonly gatewayMessage?: string
  readonly fieldErrors: FieldError[]
  readonly correlationId?: string
  readonly retryable: boolean
  readonly ambiguous: boolean
  readonly retryAfterMs?: number

  constructor(init: PagoEfectivoErrorInit) {
    super(describe(init), init.cause === undefined ? undefined : { cause: init.cause })
    this.name = "PagoEfectivoError"
    this.operation = init.operation
    this.kind = init.kind
    this.status = init.status
    this.code = init.code
    this.gatewayMessage = init.gatewayMessage
    this.fieldErrors = init.fieldErrors ?? []
    this.correlationId = init.correlationId
    this.retryable = init.retryable
    this.ambiguous = init.ambiguous ?? false
    this.retryAfterMs = init.retryAfterMs
  }

  toJSON() {
    return {
      name: this.name,
      message: this.message,
      operation: this.operation,
      kind: this.kind,
      status: this.status,
      code: this.code,
      gatewayMessage: this.gatewayMessage,
      fieldErrors: this.fieldErrors,
      correlationId: this.correlationId,
      retryable: this.retryable,
      ambiguous: this.ambiguous,
    }
  }
}

function describe(init: PagoEfectivoErrorInit): string {
  const parts = [`PagoEfectivo ${init.operation} failed`]
  if (init.kind === "http") {
    parts.push(`: HTTP ${init.status}`)
    if (init.code) parts.push(` code ${init.code}`)
    if (init.gatewayMessage) parts.push(` "${init.gatewayMessage}"`)
  } else if (init.kind === "timeout") {
    parts.push(": no answer before the timeout")
  } else if (init.kind === "network") {
    const cause = init.cause as { code?: string; message?: string } | undefined
    parts.push(`: connection error${cause?.code ? ` ${cause.code}` : cause?.message ? ` (${cause.message})` : ""}`)
  } else {
    parts.push(`: unexpected answer${init.status ? ` (HTTP ${init.status})` : ""}`)
    const cause = init.cause as { message?: string } | undefined
    if (cause?.message) parts.push(`: ${cause.message}`)
  }
  if (init.fieldErrors?.length) {
    parts.push(
      ` [${init.fieldErrors
        .map((f) => `${f.field ?? "?"}: ${f.message}${f.code ? ` (${f.code})` : ""}`)
        .join("; ")}]`
    )
  }
  if (init.correlationId) parts.push(` (correlation id ${init.correlationId})`)
  return parts.join("")
}
