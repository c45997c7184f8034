import type { MedusaRequest, MedusaResponse } from "@medusajs/framework/http"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"
import { SIGNATURE_HEADER, parseNotification } from "../../../lib/pagoefectivo"
import { NOTIFICATION_RECEIVED_EVENT } from "../../../lib/pagoefectivo/events"
import { PAGOEFECTIVO_MODULE } from "../../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../../modules/pagoefectivo/service"

/** Largest notification body accepted; PagoEfectivo's are a few hundred bytes. */
export const MAX_NOTIFICATION_BYTES = 64 * 1024

class BodyTooLarge extends Error {}

/**
 * POST /webhooks/pagoefectivo: the one URL a merchant configures at PagoEfectivo.
 *
 * 1. Reads the raw body (no body parser runs on this route; over 64 KB → 413).
 * 2. Verifies PE-Signature over those exact bytes, in constant time, before parsing (→ 401).
 * 3. Parses and validates it (malformed JSON, unknown eventType, bad fields → 400).
 * 4. Stores it once under its unique key; a repeated delivery answers 200 and does nothing more.
 * 5. Hands it to the `pagoefectivo.notification.received` subscriber and answers 200 at once:
 *    no call to PagoEfectivo and no long work inside the request.
 */
export const POST = async (req: MedusaRequest, res: MedusaResponse) => {
  const logger = req.scope.resolve(ContainerRegistrationKeys.LOGGER)
  const pe = req.scope.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)

  let raw: Buffer
  try {
    raw = await readRawBody(req, MAX_NOTIFICATION_BYTES)
  } catch (e) {
    if (e instanceof BodyTooLarge) {
      res.status(413).json({ type: "payload_too_large", message: `notification body is larger than ${MAX_NOTIFICATION_BYTES} bytes` })
      return
    }
    throw e
  }

  if (!pe.verifySignature(raw, req.headers[SIGNATURE_HEADER])) {
    logger.warn(
      `pagoefectivo: rejected a notification with a ${req.headers[SIGNATURE_HEADER] ? "wrong" : "missing"} PE-Signature (${raw.length} bytes)`
    )
    res.status(401).json({ type: "unauthorized", message: "missing or invalid PE-Signature" })
    return
  }

  const parsed = parseNotification(raw)
  if (!parsed.ok) {
    logger.warn(`pagoefectivo: rejected a signed notification: ${parsed.message}`)
    res.status(400).json({ type: parsed.reason, message: parsed.message })
    return
  }

  const recorded = await pe.recordNotification(parsed.notification)
  // A redelivery of a notification whose processing failed (or had to wait) gets another chance.
  if (!recorded.duplicate || recorded.status === "failed" || recorded.status === "deferred") {
    await req.scope.resolve(Modules.EVENT_BUS).emit({ name: NOTIFICATION_RECEIVED_EVENT, data: { id: recorded.id } })
  }
  res.status(200).json({ received: true, id: recorded.id, duplicate: recorded.duplicate })
}

function readRawBody(req: MedusaRequest, limit: number): Promise<Buffer> {
  const existing = (req as MedusaRequest & { rawBody?: Buffer }).rawBody
  if (existing) return existing.length > limit ? Promise.reject(new BodyTooLarge()) : Promise.resolve(existing)
  const declared = Number(req.headers["content-length"])
  if (declared > limit) return Promise.reject(new BodyTooLarge())
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > limit) {
        req.removeAllListeners("data")
        req.resume()
        reject(new BodyTooLarge())
        return
      }
      chunks.push(chunk)
    })
    req.on("end", () => resolve(Buffer.concat(chunks)))
    req.on("error", reject)
  })
}
