import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, MedusaError } from "@medusajs/framework/utils"
import { z } from "zod"
import { PagoEfectivoError } from "../../../../../../lib/pagoefectivo"
import type { StorePagoEfectivoRenewResponse } from "../../../../../../lib/cip/read"
import { parseOr400 } from "../../../../../admin/pagoefectivo/orders/view"
import { emailRenewedCip, renewOrderCip } from "../../../../../../lib/renewal/renew-order"
import { Params, Query, type Request, load } from "../../../cip-status"

/** Nothing is read from the body; anything there is refused rather than ignored. */
const Body = z.object({}).strict()

const REFUSALS = {
  paid: "This order's payment code is paid: there is nothing to renew",
  exhausted: "This order has had all the new payment codes it may have; please contact the store",
} as const

/**
 * POST /store/pagoefectivo/orders/:id/renew-cip — a fresh CIP for the shopper's order whose CIP
 * expired (see src/lib/renewal/renew-order.ts). The same ownership as GET …/orders/:id (the same
 * 404 for an order that is not the shopper's or not paid with PagoEfectivo). Idempotent: while
 * the order's CIP is payable (a fresh one included), it is the answer and nothing is issued, so
 * two presses, also at once (serialized per order), make one CIP.
 * 200 { cip, renewed }: renewed says whether this call issued it. 409: paid, renewals used up,
 * the order canceled, renewal off. 503 while PagoEfectivo does not answer (nothing issued).
 */
export async function POST(req: MedusaRequest, res: MedusaResponse<StorePagoEfectivoRenewResponse>) {
  const { id } = parseOr400(Params, req.params, "path")
  parseOr400(Query, req.query ?? {}, "query")
  parseOr400(Body, req.body ?? {}, "body")
  res.setHeader("Cache-Control", "no-store")
  const notFound = () => new MedusaError(MedusaError.Types.NOT_FOUND, "No PagoEfectivo payment code was found for this order")
  if (!(await load(req as Request, "order", id))) throw notFound()

  let outcome: Awaited<ReturnType<typeof renewOrderCip>>
  try {
    outcome = await renewOrderCip(req.scope, id, "shopper")
  } catch (e) {
    if (e instanceof MedusaError) throw e
    req.scope.resolve(ContainerRegistrationKeys.LOGGER).warn(`pagoefectivo: order ${id}: could not renew its CIP: ${(e as Error).message}`)
    const upstream = e instanceof PagoEfectivoError || (e as { cause?: unknown })?.cause instanceof PagoEfectivoError
    res.status(503).json({
      type: "unavailable",
      message: upstream
        ? "PagoEfectivo is not answering right now; no new payment code was issued. Please try again in a moment."
        : "No new payment code could be issued right now. Please try again in a moment.",
    } as never)
    return
  }
  // (Medusa's error handler words every CONFLICT as a retry hint: the reason is answered here)
  if (outcome.kind === "paid" || outcome.kind === "exhausted" || outcome.kind === "not_renewable") {
    const message = outcome.kind === "not_renewable" ? `This order's payment code cannot be renewed: ${outcome.reason}` : REFUSALS[outcome.kind]
    res.status(409).json({ type: "not_allowed", message } as never)
    return
  }
  if (outcome.kind === "renewed") await emailRenewedCip(req.scope, id)
  const cip = await load(req as Request, "order", id)
  if (!cip) throw notFound()
  res.json({ cip, renewed: outcome.kind === "renewed", renewals_left: outcome.renewals_left })
}
