import { model } from "@medusajs/framework/utils"

/**
 * Every PagoEfectivo notification that passed the signature check, stored once under `key`
 * (see `notificationKey` in lib/pagoefectivo/wire.ts). The payload is the parsed body: it holds
 * no credential, and the signature header is never stored.
 */
const PagoEfectivoNotification = model
  .define({ name: "PagoEfectivoNotification", tableName: "pagoefectivo_notification" }, {
    id: model.id({ prefix: "penotif" }).primaryKey(),
    key: model.text(),
    event_type: model.text(),
    operation_number: model.text().nullable(),
    cip: model.text().nullable(),
    refund_id: model.text().nullable(),
    payload: model.json(),
    /**
     * received → processed | failed | ignored | unmatched | anomaly, or deferred (a refund result
     * that arrived before Medusa's refund was committed; the reconciliation applies it later)
     */
    status: model.enum(["received", "processed", "failed", "ignored", "unmatched", "anomaly", "deferred"]).default("received"),
    error: model.text().nullable(),
    deliveries: model.number().default(1),
    processed_at: model.dateTime().nullable(),
  })
  .indexes([
    { on: ["key"], unique: true },
    { on: ["status"] },
    { on: ["refund_id"] },
  ])

export default PagoEfectivoNotification
