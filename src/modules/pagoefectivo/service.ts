import type { Logger } from "@medusajs/framework/types"
import { MedusaService } from "@medusajs/framework/utils"
import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import { BooksQueries } from "./books-sql"
import { RefundLedger } from "./ledger"
import { RefundRequests } from "./refund-requests"
import { OperationsQueries } from "./operations-sql"
import { OutsideRefunds } from "./outside-refunds"
import { ReconcileRuns } from "./reconcile-runs"
import { type MedusaShapeCheck, checkMedusaShapes, shapeError } from "./medusa-shapes"
import { NotificationWriter, type RecordedNotification } from "./notification-writer"
import {
  type Notification,
  type PagoEfectivoClient,
  getPagoEfectivoClient,
  verifySignature,
} from "../../lib/pagoefectivo"
import { type ResolvedOptions, clientOptions, resolveOptions } from "../../lib/pagoefectivo/options"
import PagoEfectivoNotification from "./models/notification"
import PagoEfectivoRefund from "./models/refund"
import PagoEfectivoRefundBatch from "./models/refund-batch"
import PagoEfectivoRefundRequest from "./models/refund-request"
import PagoEfectivoReconcileRun from "./models/reconcile-run"
import PagoEfectivoCip from "./models/cip"

type InjectedDependencies = { logger: Logger; __pg_connection__: Knex }

export type { RecordedNotification }

/**
 * The plugin's own module: the plugin options (credentials validated at boot), the shared
 * PagoEfectivo client for routes, subscribers and jobs, and the notification store.
 */
export default class PagoEfectivoModuleService extends MedusaService({
  PagoEfectivoNotification,
  PagoEfectivoRefund,
  PagoEfectivoRefundRequest,
  PagoEfectivoRefundBatch,
  PagoEfectivoReconcileRun,
  PagoEfectivoCip,
}) {
  protected readonly options_: ResolvedOptions
  protected readonly logger_: Logger
  protected readonly ledger_: RefundLedger
  protected readonly db_: Knex
  protected readonly notifications_: NotificationWriter
  protected readonly requests_: RefundRequests
  protected readonly books_: BooksQueries
  protected readonly operations_: OperationsQueries
  protected readonly outside_: OutsideRefunds
  protected readonly runs_: ReconcileRuns
  private emailProvider_?: Promise<boolean>
  private shapes_?: Promise<MedusaShapeCheck>

  __hooks = {
    /** Says once, at boot, when the CIP emails cannot go out (see hasEmailProvider). */
    onApplicationStart: async () => {
      await this.medusaShapes().catch((e) =>
        this.logger_.warn(`pagoefectivo: could not check Medusa's tables at boot (${(e as Error).message}); the first convergence checks them`)
      )
      if (this.options_.cipEmails && !(await this.hasEmailProvider())) {
        this.logger_.warn(
          "pagoefectivo: no notification provider for the email channel, so the CIP instructions and reminders are not emailed. " +
            'Add one to the Notification module (a provider with channels: ["email"]) or set the option cipEmails: false.'
        )
      }
    },
  }

  constructor(container: InjectedDependencies, options: unknown) {
    // @ts-ignore MedusaService takes the container and the module declaration
    super(...arguments)
    this.logger_ = container.logger
    this.db_ = container.__pg_connection__
    this.ledger_ = new RefundLedger(this.db_)
    this.notifications_ = new NotificationWriter(this.db_)
    this.requests_ = new RefundRequests(this.db_)
    this.books_ = new BooksQueries(this.db_)
    this.operations_ = new OperationsQueries(this.db_)
    this.outside_ = new OutsideRefunds(this.ledger_)
    this.runs_ = new ReconcileRuns(this.db_)
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
   * Stores a notification once under its unique key; a repeated delivery only counts itself and
   * answers `duplicate: true`. This is the webhook's hot path, so concurrent calls are written
   * together (see NotificationWriter): one INSERT … ON CONFLICT DO NOTHING for the batch, one
   * UPDATE counting the repeats.
   */
  recordNotification(notification: Notification): Promise<RecordedNotification> {
    return this.notifications_.record(notification)
  }

  /**
   * Whether Medusa's Notification module has an enabled provider for the email channel. Read once
   * per process from the providers table the Notification module syncs from its options at boot
   * (its service has no call that lists them); no table (no Notification module) counts as none.
   */
  hasEmailProvider(): Promise<boolean> {
    this.emailProvider_ ??= this.db_
      .raw(`SELECT 1 FROM notification_provider WHERE is_enabled AND deleted_at IS NULL AND 'email' = ANY(channels) LIMIT 1`)
      .then(
        (r: { rows: unknown[] }) => r.rows.length > 0,
        () => false
      )
    return this.emailProvider_
  }

  /** Whether the CIP emails go out: `cipEmails` on and an email provider configured. */
  async cipEmailsOn(): Promise<boolean> {
    return this.options_.cipEmails && (await this.hasEmailProvider())
  }

  /**
   * Whether the installed Medusa has the shapes the convergence writes (see medusa-shapes.ts):
   * checked once per process (at boot), the one error logged then; `recheck` reads them again.
   * A check that could not read the database is not kept: the next call tries again.
   */
  medusaShapes({ recheck = false }: { recheck?: boolean } = {}): Promise<MedusaShapeCheck> {
    if (!this.shapes_ || recheck) {
      const check = checkMedusaShapes(this.db_).then((r) => {
        if (!r.ok) this.logger_.error(shapeError(r))
        return r
      })
      this.shapes_ = check
      check.catch(() => {
        if (this.shapes_ === check) this.shapes_ = undefined
      })
    }
    return this.shapes_
  }

  /** The refund records (plain SQL on the shared connection; see ledger.ts). */
  ledger(): RefundLedger {
    return this.ledger_
  }

  /** Which books disagree with the refund records (plain SQL across Medusa's tables; see books-sql.ts). */
  books(): BooksQueries {
    return this.books_
  }

  /** What the admin's PagoEfectivo page lists across orders (plain SQL, read-only; see operations-sql.ts). */
  operations(): OperationsQueries {
    return this.operations_
  }

  /** Records of refunds made in PagoEfectivo's own panel (see outside-refunds.ts). */
  outsideRefunds(): OutsideRefunds {
    return this.outside_
  }

  /** The reconciliation's runs, the last 50 (see reconcile-runs.ts). */
  reconcileRuns(): ReconcileRuns {
    return this.runs_
  }

  /** The keyed refund requests: returns and batch lines (plain SQL; see refund-requests.ts). */
  refundRequests(): RefundRequests {
    return this.requests_
  }
}
