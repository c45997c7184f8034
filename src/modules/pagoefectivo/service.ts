import type { Context, Logger } from "@medusajs/framework/types"
import { InjectManager, MedusaContext, MedusaService, generateEntityId } from "@medusajs/framework/utils"
import type { EntityManager, Knex } from "@medusajs/framework/mikro-orm/knex"
import { type RefundRecord, RefundLedger } from "./ledger"
import {
  type Notification,
  type PagoEfectivoClient,
  getPagoEfectivoClient,
  notificationKey,
  verifySignature,
} from "../../lib/pagoefectivo"
import { type ResolvedOptions, clientOptions, resolveOptions } from "../../lib/pagoefectivo/options"
import PagoEfectivoNotification from "./models/notification"
import PagoEfectivoRefund from "./models/refund"

type InjectedDependencies = { logger: Logger; __pg_connection__: Knex }

export type RecordedNotification = { id: string; duplicate: boolean; status: string }

/**
 * The plugin's own module: the plugin options (credentials validated at boot), the shared
 * PagoEfectivo client for routes, subscribers and jobs, and the notification store.
 */
export default class PagoEfectivoModuleService extends MedusaService({ PagoEfectivoNotification, PagoEfectivoRefund }) {
  protected readonly options_: ResolvedOptions
  protected readonly logger_: Logger
  protected readonly ledger_: RefundLedger

  constructor(container: InjectedDependencies, options: unknown) {
    // @ts-ignore MedusaService takes the container and the module declaration
    super(...arguments)
    this.logger_ = container.logger
    this.ledger_ = new RefundLedger(container.__pg_connection__)
    this.options_ = resolveOptions(options, "PagoEfectivo plugin (module `pagoefectivo`)")
  }

  get options(): Readonly<Omit<ResolvedOptions, "secretKey" | "accessKey">> {
    const { secretKey: _s, accessKey: _a, ...rest } = this.options_
    return rest
  }

  client(): PagoEfectivoClient {
    return getPagoEfectivoClient({ ...clientOptions(this.options_), logger: this.logger_ })
  }

  /** Constant-time PE-Signature check over the raw body bytes. */
  verifySignature(rawBody: Buffer | string, header: string | string[] | undefined): boolean {
    return verifySignature(this.options_.secretKey, rawBody, header)
  }

  /**
   * Stores a notification once (INSERT … ON CONFLICT DO NOTHING on the unique key). A repeated
   * delivery only counts itself and answers `duplicate: true`.
   */
  @InjectManager()
  async recordNotification(
    notification: Notification,
    @MedusaContext() sharedContext: Context<EntityManager> = {}
  ): Promise<RecordedNotification> {
    const knex = sharedContext.manager!.getKnex()
    const key = notificationKey(notification)
    const data = notification.data as Record<string, unknown>
    // The unique index on key is partial (WHERE deleted_at IS NULL), so the conflict target says so.
    const { rows: inserted } = await knex.raw(
      `INSERT INTO pagoefectivo_notification (id, key, event_type, operation_number, cip, refund_id, payload, status)
       VALUES (?, ?, ?, ?, ?, ?, ?::jsonb, 'received')
       ON CONFLICT (key) WHERE deleted_at IS NULL DO NOTHING
       RETURNING id, status`,
      [
        generateEntityId(undefined, "penotif"),
        key,
        notification.eventType,
        notification.operationNumber ?? null,
        (data.cip as string | undefined) ?? null,
        (data.refundId as string | undefined) ?? null,
        JSON.stringify(notification),
      ]
    )
    if (inserted.length) return { id: inserted[0].id, status: inserted[0].status, duplicate: false }
    const [existing] = await knex("pagoefectivo_notification")
      .where({ key })
      .increment("deliveries", 1)
      .returning(["id", "status"])
    return { id: existing.id, status: existing.status, duplicate: true }
  }

  /** The refund records (plain SQL on the shared connection; see ledger.ts). */
  ledger(): RefundLedger {
    return this.ledger_
  }

  /** The refund record of a Medusa refund id, or null. */
  async getRefundRecord(refundId: string): Promise<RefundRecord | null> {
    return this.ledger_.get(refundId)
  }
}
