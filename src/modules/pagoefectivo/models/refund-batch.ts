import { model } from "@medusajs/framework/utils"

/**
 * A batch of refunds under a client-supplied key. The items' hash makes a resubmission with other
 * items under the same key an error (409) instead of a silent mix; its lines are
 * PagoEfectivoRefundRequest rows keyed `batch:<batch_key>:<line>`.
 */
const PagoEfectivoRefundBatch = model
  .define({ name: "PagoEfectivoRefundBatch", tableName: "pagoefectivo_refund_batch" }, {
    id: model.id({ prefix: "perbatch" }).primaryKey(),
    batch_key: model.text(),
    items_hash: model.text(),
    item_count: model.number(),
    created_by: model.text().nullable(),
  })
  .indexes([{ on: ["batch_key"], unique: true }])

export default PagoEfectivoRefundBatch
