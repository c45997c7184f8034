import type { Knex } from "@medusajs/framework/mikro-orm/knex"
import type {
  AuthorizePaymentInput,
  AuthorizePaymentOutput,
  BigNumberInput,
  CancelPaymentInput,
  CancelPaymentOutput,
  CapturePaymentInput,
  CapturePaymentOutput,
  DeletePaymentInput,
  DeletePaymentOutput,
  GetPaymentStatusInput,
  IEventBusModuleService,
  GetPaymentStatusOutput,
  InitiatePaymentInput,
  InitiatePaymentOutput,
  Logger,
  ProviderWebhookPayload,
  RefundPaymentInput,
  RefundPaymentOutput,
  RetrievePaymentInput,
  RetrievePaymentOutput,
  UpdatePaymentInput,
  UpdatePaymentOutput,
  WebhookActionResult,
} from "@medusajs/framework/types"
import {
  AbstractPaymentProvider,
  MedusaError,
  PaymentActions,
  PaymentSessionStatus,
} from "@medusajs/framework/utils"
import {
  type CipSearchItem,
  type CipState,
  CIP_CODES,
  CURRENCIES,
  type Currency,
  PagoEfectivoClient,
  PagoEfectivoError,
  SIGNATURE_HEADER,
  cipState,
  formatLimaDate,
  getPagoEfectivoClient,
  parseNotification,
  verifySignature,
} from "../../lib/pagoefectivo"
import { toWireAmount } from "../../lib/pagoefectivo/amount"
import { cipPhone } from "../../lib/pagoefectivo/phone"
import { type PagoEfectivoOptions, type ResolvedOptions, clientOptions, resolveOptions } from "../../lib/pagoefectivo/options"
import { RefundLedger } from "../../modules/pagoefectivo/ledger"
import { BOOKS_STALE_EVENT } from "../../lib/pagoefectivo/events"
import { RefundExecutor, type RefundSummary } from "./refund"

type InjectedDependencies = { logger: Logger; __pg_connection__?: Knex; event_bus?: IEventBusModuleService }

/** What the provider keeps in a payment session's / payment's `data`. */
export type PagoEfectivoPaymentData = {
  session_id?: string
  cip?: string
  cipUrl?: string
  dateExpiry?: string
  amount?: string
  currency?: Currency
  transactionCode?: string
  cipStatus?: CipState
  datePayment?: string | null
}

/**
 * PagoEfectivo as a Medusa payment provider. Thin: it maps Medusa's calls to the client and
 * keeps no state of its own. A CIP is "authorized and captured" at once when the shopper pays
 * it; until then the session is `pending_authorization`, so the order can be placed while the
 * shopper goes to pay.
 */

/** A CIP's state as Medusa's payment session status: paid → captured; pending → pending_authorization; expired or deleted → canceled. */
export function sessionStatusOf(cipStatus: string | null | undefined): PaymentSessionStatus {
  if (cipStatus === "paid") return PaymentSessionStatus.CAPTURED
  if (cipStatus === "pending") return PaymentSessionStatus.PENDING_AUTHORIZATION
  return PaymentSessionStatus.CANCELED
}

class PagoEfectivoProviderService extends AbstractPaymentProvider<PagoEfectivoOptions> {
  static identifier = "pagoefectivo"

  protected readonly logger_: Logger
  protected readonly options_: ResolvedOptions
  protected readonly client_: PagoEfectivoClient
  protected readonly refunds_: RefundExecutor
  protected readonly container_: InjectedDependencies
  private ledger_?: RefundLedger

  static validateOptions(options: Record<string, unknown>): void {
    resolveOptions(options, "PagoEfectivo payment provider")
  }

  constructor(container: InjectedDependencies, options: PagoEfectivoOptions) {
    // @ts-ignore the base class takes (cradle, config)
    super(...arguments)
    this.logger_ = container.logger
    this.options_ = resolveOptions(options, "PagoEfectivo payment provider")
    this.client_ = getPagoEfectivoClient({ ...clientOptions(this.options_), logger: this.logger_ })
    this.container_ = container
    this.refunds_ = new RefundExecutor(this.client_, () => this.ledger(), this.options_, this.logger_, (refundId) => this.booksStale(refundId))
  }

  async initiatePayment({ amount, currency_code, data, context }: InitiatePaymentInput): Promise<InitiatePaymentOutput> {
    const currency = this.currencyOf(currency_code)
    const sessionId = typeof data?.session_id === "string" ? data.session_id : undefined
    if (!sessionId) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "PagoEfectivo: the payment session id is missing")
    }
    const customer = context?.customer
    const email = (customer?.email ?? (typeof data?.email === "string" ? data.email : "")).trim()
    if (!email) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        "PagoEfectivo needs the shopper's email to issue a CIP: set an email on the cart, or pass `data.email` when creating the payment session"
      )
    }
    const wireAmount = this.amountOf(amount)
    // the address's phone (the plugin's middleware passes the cart's), for PagoEfectivo's own SMS
    const str = (v: unknown) => (typeof v === "string" && v.trim() ? v : undefined)
    const phone =
      cipPhone(str(data?.phone), str(data?.country_code)) ??
      cipPhone(customer?.billing_address?.phone, customer?.billing_address?.country_code)
    const created = await this.call("create a CIP", () =>
      this.client_.createCip({
        currency,
        amount: wireAmount,
        transactionCode: sessionId,
        userEmail: email,
        paymentConcept: this.options_.paymentConcept,
        ...(this.options_.cipExpiryHours
          ? { dateExpiry: formatLimaDate(new Date(Date.now() + this.options_.cipExpiryHours * 3600_000)) }
          : {}),
        ...(customer?.first_name ? { userName: customer.first_name.slice(0, 30) } : {}),
        ...(customer?.last_name ? { userLastName: customer.last_name.slice(0, 30) } : {}),
        ...(phone ?? {}),
      })
    )
    const cip = created.data
    return {
      id: cip.cip,
      status: PaymentSessionStatus.PENDING,
      data: {
        ...data,
        session_id: sessionId,
        cip: cip.cip,
        cipUrl: cip.cipUrl,
        dateExpiry: cip.dateExpiry,
        amount: wireAmount.text,
        currency,
        transactionCode: sessionId,
        cipStatus: "pending",
      } satisfies PagoEfectivoPaymentData,
    }
  }

  /**
   * Called when the cart completes and again when the webhook reports the CIP paid. Reads the
   * CIP's state: paid → captured; still pending → pending_authorization (the order is placed
   * and waits for the payment); expired or deleted → canceled.
   */
  async authorizePayment({ data }: AuthorizePaymentInput): Promise<AuthorizePaymentOutput> {
    const cip = this.cipOf(data)
    let found: CipSearchItem | null
    try {
      found = await this.client_.searchCip(cip)
    } catch (e) {
      // Nothing is claimed paid while PagoEfectivo cannot be asked: the notification or the
      // reconciliation will tell.
      this.logger_.warn(`pagoefectivo: could not read CIP ${cip} while authorizing (${(e as Error).message}); leaving it pending`)
      return { status: PaymentSessionStatus.PENDING_AUTHORIZATION, data: { ...data } }
    }
    const merged = { ...data, ...this.stateData(found) }
    return { status: sessionStatusOf(merged.cipStatus), data: merged }
  }

  /** A CIP's money arrives when it is paid: there is nothing left to capture at PagoEfectivo. */
  async capturePayment({ data }: CapturePaymentInput): Promise<CapturePaymentOutput> {
    if ((data as PagoEfectivoPaymentData)?.cipStatus === "paid") return { data: { ...data } }
    const found = await this.call("read the CIP", () => this.client_.searchCip(this.cipOf(data)))
    const merged = { ...data, ...this.stateData(found) }
    if (merged.cipStatus !== "paid") {
      throw new MedusaError(
        MedusaError.Types.NOT_ALLOWED,
        `PagoEfectivo: CIP ${this.cipOf(data)} is ${merged.cipStatus}, not paid; it is captured when the shopper pays it`
      )
    }
    return { data: merged }
  }

  /**
   * Refunds through PagoEfectivo's refund endpoint with Medusa's Refund id as the refundId
   * (see RefundExecutor). Returns the payment's data with this refund's summary added.
   */
  async refundPayment({ data, amount, context }: RefundPaymentInput): Promise<RefundPaymentOutput> {
    const refundId = context?.idempotency_key
    const result = await this.refunds_.execute({ refundId, data, amount })
    const refunds = { ...((data?.refunds as Record<string, RefundSummary> | undefined) ?? {}), [refundId!]: result }
    return { data: { ...data, refunds } }
  }

  /** Deletes the CIP while it is unpaid; a paid CIP must be refunded instead. */
  async cancelPayment({ data }: CancelPaymentInput): Promise<CancelPaymentOutput> {
    return { data: await this.deleteCip(data, "cancel") }
  }

  async deletePayment({ data }: DeletePaymentInput): Promise<DeletePaymentOutput> {
    return { data: await this.deleteCip(data, "delete") }
  }

  async getPaymentStatus({ data }: GetPaymentStatusInput): Promise<GetPaymentStatusOutput> {
    const found = await this.call("read the CIP", () => this.client_.searchCip(this.cipOf(data)))
    const merged = { ...data, ...this.stateData(found) }
    return { status: sessionStatusOf(merged.cipStatus), data: merged }
  }

  async retrievePayment({ data }: RetrievePaymentInput): Promise<RetrievePaymentOutput> {
    const found = await this.call("read the CIP", () => this.client_.searchCip(this.cipOf(data)))
    return { data: { ...data, ...this.stateData(found) } }
  }

  /**
   * A CIP's amount and currency are fixed. When the cart's total changes, the old CIP is deleted
   * and a new one is issued for the same session.
   */
  async updatePayment({ data, amount, currency_code, context }: UpdatePaymentInput): Promise<UpdatePaymentOutput> {
    const current = (data ?? {}) as PagoEfectivoPaymentData
    const unchanged =
      current.cip &&
      current.amount === this.amountOf(amount).text &&
      current.currency === this.currencyOf(currency_code)
    if (unchanged) return { data: { ...data } }
    if (current.cip) await this.deleteCip(data, "replace")
    const { data: fresh, status } = await this.initiatePayment({ amount, currency_code, data, context })
    return { data: fresh, status }
  }

  /**
   * For Medusa's built-in /hooks/payment/pp_pagoefectivo_pagoefectivo route. Same verification
   * as the plugin's own /webhooks/pagoefectivo route: a bad signature is reported and ignored.
   */
  async getWebhookActionAndData(payload: ProviderWebhookPayload["payload"]): Promise<WebhookActionResult> {
    const raw = payload.rawData
    const headers = payload.headers as Record<string, string | string[] | undefined>
    if (!raw || !verifySignature(this.options_.secretKey, raw as Buffer | string, headers?.[SIGNATURE_HEADER])) {
      this.logger_.warn("pagoefectivo: ignored a notification on /hooks/payment with a missing or wrong PE-Signature")
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    const parsed = parseNotification(raw as Buffer | string)
    if (!parsed.ok) {
      this.logger_.warn(`pagoefectivo: ignored a notification on /hooks/payment: ${parsed.message}`)
      return { action: PaymentActions.NOT_SUPPORTED }
    }
    const n = parsed.notification
    if (n.eventType !== "cip.paid" && n.eventType !== "cip.expired") return { action: PaymentActions.NOT_SUPPORTED }
    const sessionId = n.data.transactionCode ?? (await this.client_.searchCip(n.data.cip))?.transactionCode
    if (!sessionId) return { action: PaymentActions.NOT_SUPPORTED }
    return {
      action: n.eventType === "cip.paid" ? PaymentActions.SUCCESSFUL : PaymentActions.CANCELED,
      data: { session_id: sessionId, amount: n.data.amount },
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  /** The refund records, on the shared PostgreSQL connection (see RefundLedger). */
  private ledger(): RefundLedger {
    if (!this.ledger_) {
      let db: Knex | undefined
      try {
        db = this.container_.__pg_connection__
      } catch {
        db = undefined
      }
      if (!db) {
        throw new MedusaError(
          MedusaError.Types.UNEXPECTED_STATE,
          "PagoEfectivo: no database connection for the refund records; nothing was refunded. Register the plugin under `plugins` (or its `pagoefectivo` module) and run `npx medusa db:migrate`."
        )
      }
      this.ledger_ = new RefundLedger(db)
    }
    return this.ledger_
  }

  /**
   * Asks the plugin to converge a refund's books again (BOOKS_STALE_EVENT): the provider lives in
   * the Payment module's container, which has Medusa's event bus but no other module.
   */
  private async booksStale(refundId: string): Promise<void> {
    let bus: IEventBusModuleService | undefined
    try {
      bus = this.container_.event_bus
    } catch {
      bus = undefined
    }
    if (!bus) throw new Error("no event bus in the Payment module's container")
    await bus.emit({ name: BOOKS_STALE_EVENT, data: { refund_id: refundId } })
  }

  private currencyOf(currencyCode: string): Currency {
    const currency = (currencyCode ?? "").toUpperCase()
    if (!(CURRENCIES as readonly string[]).includes(currency)) {
      throw new MedusaError(
        MedusaError.Types.INVALID_DATA,
        `PagoEfectivo accepts PEN and USD only; this payment is in ${currency || "an unknown currency"}. Use another payment method for this region.`
      )
    }
    return currency as Currency
  }

  private amountOf(amount: BigNumberInput) {
    try {
      return toWireAmount(amount, { round: true })
    } catch (e) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, `PagoEfectivo: ${(e as Error).message}`)
    }
  }

  private cipOf(data: Record<string, unknown> | undefined): string {
    const cip = (data as PagoEfectivoPaymentData | undefined)?.cip
    if (!cip) {
      throw new MedusaError(MedusaError.Types.INVALID_DATA, "PagoEfectivo: this payment has no CIP in its data")
    }
    return String(cip)
  }

  private stateData(found: CipSearchItem | null): Partial<PagoEfectivoPaymentData> {
    if (!found) return { cipStatus: "deleted" }
    return {
      cipStatus: cipState(found.status, found.statusName ?? undefined),
      datePayment: found.datePayment ?? null,
      ...(found.dateExpiry ? { dateExpiry: found.dateExpiry } : {}),
    }
  }

  private async deleteCip(data: Record<string, unknown> | undefined, why: "cancel" | "delete" | "replace") {
    const current = (data ?? {}) as PagoEfectivoPaymentData
    if (!current.cip) return { ...data }
    if (current.cipStatus === "deleted" || current.cipStatus === "expired") return { ...data }
    try {
      await this.client_.deleteCip(current.cip)
      return { ...data, cipStatus: "deleted" as const }
    } catch (e) {
      if (e instanceof PagoEfectivoError && e.code === CIP_CODES.CIP_NOT_FOUND) return { ...data, cipStatus: "deleted" as const }
      if (e instanceof PagoEfectivoError && e.code === CIP_CODES.CIP_ALREADY_PAID) {
        throw new MedusaError(
          MedusaError.Types.NOT_ALLOWED,
          `PagoEfectivo: CIP ${current.cip} is already paid and cannot be ${why === "replace" ? "replaced" : "canceled"}; refund it instead`
        )
      }
      throw this.buildError(`could not delete CIP ${current.cip}`, e)
    }
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (e) {
      throw this.buildError(`could not ${what}`, e)
    }
  }

  /** A MedusaError that says what failed and keeps the PagoEfectivo error as its cause. */
  protected buildError(message: string, error: unknown): MedusaError {
    const e = error as PagoEfectivoError
    const clientSide = e instanceof PagoEfectivoError && e.kind === "http" && e.status !== undefined && e.status < 500 && e.status !== 429 && e.status !== 401
    const type = clientSide ? MedusaError.Types.INVALID_DATA : MedusaError.Types.UNEXPECTED_STATE
    const hint = clientSide ? "" : " PagoEfectivo is not answering as expected; please try again in a moment."
    const err = new MedusaError(type, `PagoEfectivo: ${message}. ${(error as Error)?.message ?? String(error)}.${hint}`)
    ;(err as Error & { cause?: unknown }).cause = error
    return err
  }
}

export default PagoEfectivoProviderService
