import type { AuthenticatedMedusaRequest, MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { type CartLike, type OrderLike, type PagoEfectivoCip, type StorePagoEfectivoCipResponse, readPagoEfectivoCip } from "../../../lib/cip/read"
import { ID_PATTERN, parseOr400 } from "../../admin/pagoefectivo/orders/view"
import { PAGOEFECTIVO_MODULE } from "../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../modules/pagoefectivo/service"
import { renewability } from "./renewable"

/**
 * The CIP status routes the storefront kit polls (GET /store/pagoefectivo/carts/:id and
 * …/orders/:id). Cheap enough to ask every few seconds: one query on what the plugin already
 * stores (the payment session's and payment's data, which the cip.paid notification updates
 * through Medusa's own workflow); no call to PagoEfectivo.
 *
 * "The shopper's own", as Medusa's store routes treat these ids:
 * - a guest's cart or order answers to whoever holds its id: the id is the capability, as for
 *   Medusa's own GET /store/carts/:id and GET /store/orders/:id (unauthenticated by design);
 * - a registered customer's (customer.has_account) answers only to that customer, logged in
 *   (bearer token or session); another customer, or nobody, gets the same 404;
 * - and only through a publishable key of the sales channel it was sold in.
 * Anything else is a 404 that says no more than "not found": not whether the id exists.
 * The answer holds the CIP's fields alone (code, amount, currency, expiry, voucher URL, status),
 * and whether the store emails the CIP (`cip_emails`), so a voucher promises an email only then.
 */

export const Params = z.object({ id: z.string().regex(ID_PATTERN, "must be a Medusa id") })
/** Nothing is read from the query; anything there is refused rather than ignored. */
export const Query = z.object({}).strict()

type Owned = {
  sales_channel_id?: string | null
  customer_id?: string | null
  customer?: { has_account?: boolean | null } | null
}

export type Request = MedusaRequest & Partial<Pick<AuthenticatedMedusaRequest, "auth_context">> & {
  publishable_key_context?: { sales_channel_ids?: string[] }
}

export function isShoppersOwn(req: Request, row: Owned): boolean {
  const channels = req.publishable_key_context?.sales_channel_ids ?? []
  if (channels.length && row.sales_channel_id && !channels.includes(row.sales_channel_id)) return false
  if (row.customer?.has_account) {
    const auth = req.auth_context
    return auth?.actor_type === "customer" && !!auth.actor_id && auth.actor_id === row.customer_id
  }
  return true
}

const SESSION_FIELDS = ["provider_id", "status", "data", "created_at"]
const OWNER_FIELDS = ["id", "sales_channel_id", "customer_id", "customer.has_account"]

const CART_FIELDS = [...OWNER_FIELDS, ...SESSION_FIELDS.map((f) => `payment_collection.payment_sessions.${f}`)]
const ORDER_FIELDS = [
  ...OWNER_FIELDS,
  ...SESSION_FIELDS.map((f) => `payment_collections.payment_sessions.${f}`),
  ...["provider_id", "data", "captured_at", "created_at"].map((f) => `payment_collections.payments.${f}`),
]

export async function load(req: Request, kind: "cart" | "order", id: string): Promise<PagoEfectivoCip | null> {
  const query = req.scope.resolve(ContainerRegistrationKeys.QUERY)
  const { data } =
    kind === "cart"
      ? await query.graph({ entity: "cart", fields: CART_FIELDS, filters: { id } })
      : await query.graph({ entity: "order", fields: ORDER_FIELDS, filters: { id, is_draft_order: false } })
  const row = (data as unknown[])[0] as (Owned & (CartLike | OrderLike)) | undefined
  if (!row || !isShoppersOwn(req, row)) return null
  return readPagoEfectivoCip(row)
}

/** The handler of one of the two routes. */
export function cipStatusRoute(kind: "cart" | "order") {
  return async (req: MedusaRequest, res: MedusaResponse<StorePagoEfectivoCipResponse>) => {
    const { id } = parseOr400(Params, req.params, "path")
    parseOr400(Query, req.query ?? {}, "query")
    const cip = await load(req as Request, kind, id)
    res.setHeader("Cache-Control", "no-store")
    if (!cip) throw new MedusaError(MedusaError.Types.NOT_FOUND, `No PagoEfectivo payment code was found for this ${kind}`)
    const cip_emails = await req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE).cipEmailsOn()
    // an order's expired CIP says whether the shopper may ask for a fresh one (POST …/renew-cip)
    const renewable = kind === "order" ? await renewability(req.scope, id, cip) : null
    res.json(renewable === null ? { cip, cip_emails } : { cip, cip_emails, renewable })
  }
}
