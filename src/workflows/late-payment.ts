import { MathBN } from "@medusajs/framework/utils"
import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import type { CipNotification } from "../lib/pagoefectivo"
import { PAGOEFECTIVO_MODULE } from "../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../modules/pagoefectivo/service"

/**
 * A notification about a CIP that a renewal replaced (its payment session is gone: Medusa deleted
 * it when the fresh CIP's session was made). Its cip.expired changes nothing. Its cip.paid means
 * PagoEfectivo took money for a code the order no longer pays with: that money is never captured
 * on the order (the order's payment collection holds the fresh CIP's session alone, so Medusa's
 * books never show more than the order's total); it is recorded as an overpayment, shown in the
 * PagoEfectivo page's needs-attention queue and refunded with one press (src/lib/renewal/overpayment.ts).
 */
export type LateCipTarget =
  | { kind: "ignore"; notification_id: string; reason: string }
  | { kind: "cip.late_paid"; notification_id: string; cip: string; order_id: string }

export async function lateCipTarget(pe: PagoEfectivoModuleService, id: string, n: CipNotification): Promise<LateCipTarget | null> {
  const [record] = await pe.listPagoEfectivoCips({ cip: n.data.cip })
  if (!record || !record.replaced_at) return null
  if (String(record.currency_code).toUpperCase() !== n.data.currency || !MathBN.eq(MathBN.convert(record.amount), MathBN.convert(n.data.amount))) {
    throw new Error(`CIP ${n.data.cip} reports ${n.data.amount} ${n.data.currency} but was issued for ${record.amount} ${record.currency_code}; not applied`)
  }
  if (n.eventType === "cip.expired") return { kind: "ignore", notification_id: id, reason: `CIP ${n.data.cip} was replaced by a fresh CIP` }
  if (record.status === "overpaid") return { kind: "ignore", notification_id: id, reason: `CIP ${n.data.cip}'s late payment is recorded already` }
  return { kind: "cip.late_paid", notification_id: id, cip: n.data.cip, order_id: record.order_id }
}

/** Marks the replaced CIP overpaid (once: a redelivery finds it so and changes nothing). */
export const recordLatePaymentStep = createStep("pagoefectivo-record-late-payment", async ({ cip }: { cip: string }, { container }) => {
  const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
  const [record] = await pe.listPagoEfectivoCips({ cip })
  if (!record || record.status === "overpaid") return new StepResponse(null)
  await pe.updatePagoEfectivoCips({ id: record.id, status: "overpaid", paid_at: new Date() })
  return new StepResponse(null)
})
