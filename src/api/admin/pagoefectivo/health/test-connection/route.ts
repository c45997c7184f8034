import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { z } from "zod"
import { PagoEfectivoError } from "../../../../../lib/pagoefectivo"
import { PAGOEFECTIVO_MODULE } from "../../../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../../../modules/pagoefectivo/service"
import { parseOr400 } from "../../orders/view"
import { publicUrl } from "../view"

const Body = z.object({}).strict()

export type AdminPagoEfectivoTestConnectionResponse =
  | { ok: true; latency_ms: number; base_url: string; token_expires_at: string; correlation_id: string | null }
  | {
      ok: false
      latency_ms: number
      base_url: string
      /** The error class (http, timeout, network, invalid_response), PagoEfectivo's status, code and message. */
      error: { kind: string; status: number | null; code: string | null; gateway_message: string | null; message: string; correlation_id: string | null }
    }

/**
 * POST /admin/pagoefectivo/health/test-connection — the page's "Test connection": one
 * authorization request to PagoEfectivo with the configured credentials, no retry, no cached
 * token (PagoEfectivoClient.testAuthorization). Answers 200 whichever way it went: `ok: true` with
 * when the token would expire, or `ok: false` with the error's class and PagoEfectivo's message.
 * Never the credentials, the hash or the token.
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse<AdminPagoEfectivoTestConnectionResponse>) => {
  parseOr400(Body, req.body ?? {}, "body")
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const base_url = publicUrl(pe.options.baseUrl)
  const started = performance.now()
  const latency = () => Math.round(performance.now() - started)
  try {
    const r = await pe.client().testAuthorization()
    res.json({ ok: true, latency_ms: latency(), base_url, token_expires_at: r.tokenExpires, correlation_id: r.correlationId })
  } catch (e) {
    const err = e instanceof PagoEfectivoError ? e : null
    res.json({
      ok: false,
      latency_ms: latency(),
      base_url,
      error: {
        kind: err?.kind ?? "unexpected",
        status: err?.status ?? null,
        code: err?.code ?? null,
        gateway_message: err?.gatewayMessage ?? null,
        message: err ? err.message : "the test failed before PagoEfectivo answered",
        correlation_id: err?.correlationId ?? null,
      },
    })
  }
}
