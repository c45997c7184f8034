import type { PagoEfectivoCip, StorePagoEfectivoCipResponse, StorePagoEfectivoRenewResponse } from "../../../src/lib/cip/read"

export type FetchCipOptions = {
  /** The Medusa backend, e.g. "http://localhost:9000". */
  baseUrl: string
  publishableKey: string
  /** Headers to add, e.g. `{ authorization: "Bearer …" }` for an order of a logged-in customer. */
  headers?: Record<string, string>
  /** `include` sends the Medusa session cookie cross-origin (storefronts using session auth). */
  credentials?: RequestCredentials
  signal?: AbortSignal
  fetch?: typeof fetch
} & ({ cartId: string; orderId?: undefined } | { orderId: string; cartId?: undefined })

export class PagoEfectivoStatusError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

/**
 * Reads the CIP of a cart (the storefront holds its id) or of an order (a guest's by its id; a
 * registered customer's only with that customer's authorization) from the plugin's store route.
 * Resolves null on 404: not this shopper's, or no PagoEfectivo payment there.
 */
export async function fetchPagoEfectivoCip(options: FetchCipOptions): Promise<PagoEfectivoCip | null> {
  return (await fetchPagoEfectivoStatus(options))?.cip ?? null
}

/**
 * The same call, with the whole answer: the CIP, whether the store emails it (`cip_emails`), and
 * for an order's expired CIP whether it is `renewable`.
 */
export async function fetchPagoEfectivoStatus(options: FetchCipOptions): Promise<StorePagoEfectivoCipResponse | null> {
  const path = options.cartId
    ? `/store/pagoefectivo/carts/${encodeURIComponent(options.cartId)}`
    : `/store/pagoefectivo/orders/${encodeURIComponent(options.orderId!)}`
  const res = await (options.fetch ?? fetch)(options.baseUrl.replace(/\/+$/, "") + path, {
    headers: { "x-publishable-api-key": options.publishableKey, ...(options.headers ?? {}) },
    credentials: options.credentials,
    signal: options.signal,
    cache: "no-store",
  })
  if (res.status === 404) return null
  const body = (await res.json().catch(() => null)) as (StorePagoEfectivoCipResponse & { message?: string }) | null
  if (!res.ok || !body?.cip) throw new PagoEfectivoStatusError(res.status, body?.message ?? `PagoEfectivo status answered ${res.status}`)
  return { cip: body.cip, cip_emails: body.cip_emails === true, ...(typeof body.renewable === "boolean" ? { renewable: body.renewable } : {}) }
}

export type RenewCipOptions = Omit<FetchCipOptions, "cartId" | "orderId"> & { orderId: string }

/**
 * Asks for a fresh CIP for an order whose CIP expired (POST /store/pagoefectivo/orders/:id/renew-cip).
 * Resolves the order's payable CIP (the fresh one, or the one a first press made); throws
 * PagoEfectivoStatusError with the store's message otherwise (409: paid, no renewals left…).
 */
export async function renewPagoEfectivoCip(options: RenewCipOptions): Promise<StorePagoEfectivoRenewResponse> {
  const url = `${options.baseUrl.replace(/\/+$/, "")}/store/pagoefectivo/orders/${encodeURIComponent(options.orderId)}/renew-cip`
  const res = await (options.fetch ?? fetch)(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-publishable-api-key": options.publishableKey, ...(options.headers ?? {}) },
    body: "{}",
    credentials: options.credentials,
    signal: options.signal,
    cache: "no-store",
  })
  const body = (await res.json().catch(() => null)) as (StorePagoEfectivoRenewResponse & { message?: string }) | null
  if (!res.ok || !body?.cip) throw new PagoEfectivoStatusError(res.status, body?.message ?? `PagoEfectivo renewal answered ${res.status}`)
  return body
}
