import { StepResponse, createStep } from "@medusajs/framework/workflows-sdk"
import { PAGOEFECTIVO_MODULE } from "../../modules/pagoefectivo"
import type PagoEfectivoModuleService from "../../modules/pagoefectivo/service"

export type ExpiredCip = {
  session_id: string
  cip: string
  amount: string
  currency_code: string
  cip_url: string | null
  date_expiry: string | null
  /** Its payment session's creation. */
  issued_at: string | null
}

export type RecordRenewalInput = {
  order_id: string
  payment_collection_id: string
  expired: ExpiredCip
  /** The fresh CIP's number among the order's CIPs (1 for the first renewal). */
  sequence: number
  renewed_by: string
  fresh: { session_id: string; data: Record<string, unknown> | null }
}

/**
 * Records the renewal in pagoefectivo_cip: the expired CIP (the checkout's one is recorded here
 * the first time, as sequence 0) marked expired and replaced, and the fresh CIP as pending.
 * Compensation removes what it wrote.
 */
export const recordRenewalStep = createStep(
  "pagoefectivo-record-renewal",
  async (input: RecordRenewalInput, { container }) => {
    const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
    const now = new Date()
    const [old] = await pe.listPagoEfectivoCips({ cip: input.expired.cip })
    let createdOld: string | null = null
    if (old) {
      await pe.updatePagoEfectivoCips({ id: old.id, status: "expired", expired_at: old.expired_at ?? now, replaced_at: now })
    } else {
      const [row] = await pe.createPagoEfectivoCips([
        {
          cip: input.expired.cip,
          order_id: input.order_id,
          payment_collection_id: input.payment_collection_id,
          session_id: input.expired.session_id,
          sequence: 0,
          amount: input.expired.amount,
          currency_code: input.expired.currency_code,
          cip_url: input.expired.cip_url,
          date_expiry: input.expired.date_expiry ? new Date(input.expired.date_expiry) : null,
          issued_at: input.expired.issued_at ? new Date(input.expired.issued_at) : null,
          status: "expired",
          expired_at: now,
          replaced_at: now,
        },
      ])
      createdOld = row.id
    }
    const d = (input.fresh.data ?? {}) as Record<string, unknown>
    const [fresh] = await pe.createPagoEfectivoCips([
      {
        cip: String(d.cip),
        order_id: input.order_id,
        payment_collection_id: input.payment_collection_id,
        session_id: input.fresh.session_id,
        sequence: input.sequence,
        amount: String(d.amount),
        currency_code: String(d.currency),
        cip_url: (d.cipUrl as string | undefined) ?? null,
        date_expiry: d.dateExpiry ? new Date(String(d.dateExpiry)) : null,
        issued_at: now,
        status: "pending",
        renewed_by: input.renewed_by,
      },
    ])
    return new StepResponse({ cip: String(d.cip) }, { fresh: fresh.id, createdOld, old: old ? { id: old.id, status: old.status, replaced_at: old.replaced_at } : null })
  },
  async (undo, { container }) => {
    if (!undo) return
    const pe = container.resolve<PagoEfectivoModuleService>(PAGOEFECTIVO_MODULE)
    await pe.deletePagoEfectivoCips([undo.fresh, ...(undo.createdOld ? [undo.createdOld] : [])])
    if (undo.old) await pe.updatePagoEfectivoCips({ id: undo.old.id, status: undo.old.status, replaced_at: undo.old.replaced_at })
  }
)
