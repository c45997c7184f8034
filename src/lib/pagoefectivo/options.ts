import { z } from "zod"
import { BASE_URLS, type Environment } from "./wire"

/**
 * The plugin's options. The same object is given to the payment provider (under the Payment
 * module) and to the plugin (its `pagoefectivo` module serves the webhook route and the jobs);
 * README.md shows it built once from environment variables.
 */
export type PagoEfectivoOptions = {
  /** Merchant access key (PAGOEFECTIVO_ACCESS_KEY). */
  accessKey: string
  /** Merchant secret key (PAGOEFECTIVO_SECRET_KEY): signs the auth hash, refunds and notifications. Never sent, never logged. */
  secretKey: string
  /** PagoEfectivo service id, up to 4 digits (PAGOEFECTIVO_SERVICE_ID). */
  serviceId: number | string
  /** "sandbox" (default) or "production"; ignored when baseUrl is set. */
  environment?: Environment
  /** Explicit API base URL, e.g. http://localhost:4010/v1 for the bundled sandbox. */
  baseUrl?: string
  /** Hours a CIP stays payable. Default: the merchant's contracted expiry (dateExpiry omitted). */
  cipExpiryHours?: number
  /** Days after payment during which a refund may be asked for. Default 180. */
  refundWindowDays?: number
  /** Per-attempt timeout of a PagoEfectivo call, ms. Default 10000. */
  requestTimeoutMs?: number
  /** Connect timeout, ms. Default 3000. */
  connectTimeoutMs?: number
  /** Retries of a retryable call after the first attempt. Default 3. */
  maxRetries?: number
  /** The `paymentConcept` shown on the CIP (≤ 50 chars). Default "Compra en línea". */
  paymentConcept?: string
  /**
   * A second refund of the same amount on the same payment within this many seconds is refused
   * as a double click (0 turns the guard off). Default 10.
   */
  duplicateRefundGuardSeconds?: number
  /**
   * The reconciliation looks at refunds, notifications and unpaid CIPs untouched for this many
   * minutes. Default 10. (How often it runs: PAGOEFECTIVO_RECONCILE_EVERY_MINUTES, default 5.)
   */
  reconcileAfterMinutes?: number
  /**
   * How long, in seconds, a refund call may still be under way at PagoEfectivo after its last sign
   * of life: while the provider's call runs it renews this lease on the refund's record, and after
   * an answer that is not definite (a timeout, a reset) the lease runs this long once more. Nobody
   * (the reconciliation, "Check status now") judges a refund while its lease runs, and a refund
   * Medusa has not finished booking is not booked by the plugin before it ends. Default 120.
   */
  refundCallLeaseSeconds?: number
  /**
   * "api" (default): refunds go through PagoEfectivo's refund endpoint. "manual": no refund call
   * is made; each refund is recorded as awaiting a bank transfer, which staff then mark
   * transferred (with the bank's reference) or failed in the admin.
   */
  refundMode?: "api" | "manual"
  /**
   * In "api" mode, treat PagoEfectivo's 403 "refunds not enabled" (code 601) as "refund by bank
   * transfer": the refund is recorded as awaiting a transfer instead of failing. Default false.
   */
  manualRefundFallback?: boolean
  /**
   * Refund a return through PagoEfectivo when Medusa marks it received. Default false: receiving
   * a return in Medusa does not refund by itself, and most stores inspect returned goods first;
   * turning this on makes every received return of a PagoEfectivo order send money back.
   */
  autoRefundOnReturn?: boolean
  /**
   * Record refunds made in PagoEfectivo's own panel in Medusa as soon as their refund.completed
   * arrives (for a CIP this store knows), as staff's "Record in Medusa" on the PagoEfectivo page
   * does. Default false: such a refund waits in the page's queue for a person to record it.
   */
  recordOutsideRefunds?: boolean
  /**
   * Email the shopper the CIP (when an order awaiting a PagoEfectivo payment is placed, and a
   * reminder before it expires) through Medusa's Notification module, channel "email". Default
   * true; nothing is sent while no email provider is configured.
   */
  cipEmails?: boolean
  /** Notification template of the CIP instructions. Default "pagoefectivo-cip-instructions". */
  cipEmailTemplate?: string
  /** Notification template of the reminder. Default "pagoefectivo-cip-reminder". */
  cipReminderTemplate?: string
  /** The reminder goes out once this many hours are left before the CIP expires; 0: no reminder. Default 6. */
  cipReminderHours?: number
  /**
   * When a CIP of an unpaid order expires, issue a fresh CIP for the same order (a new payment
   * session on its payment collection) and email it, instead of canceling the order; the shopper
   * can also ask for one from the voucher. Default false: an expired CIP cancels the order.
   */
  renewExpiredCip?: boolean
  /** How many fresh CIPs one order may get; once used up, the next expiry cancels it. Default 1. */
  maxCipRenewals?: number
  /** Notification template of the renewed CIP's email. Default "pagoefectivo-cip-renewed". */
  cipRenewedTemplate?: string
  /**
   * How many notifications one process applies at once (each is a workflow run); the rest wait
   * in the order they arrived. Default 8: below the 10 connections of Medusa's default database
   * pool, so that acknowledging a notification always finds a connection (README, "Figures").
   */
  notificationConcurrency?: number
}

const bool = z.preprocess(
  (v) => (typeof v === "string" ? ({ true: true, "1": true, false: false, "0": false } as Record<string, boolean>)[v.trim().toLowerCase()] ?? v : v),
  z.boolean({ error: 'must be true or false' })
)

const positiveInt = (max: number) => z.coerce.number().int().positive().max(max)

const optionsSchema = z
  .object({
    accessKey: z.string().trim().min(1, "is missing or empty").max(64, "is longer than 64 characters"),
    secretKey: z.string().trim().min(1, "is missing or empty").max(256, "is longer than 256 characters"),
    serviceId: z.coerce
      .number({ error: "must be a number of up to 4 digits" })
      .int("must be a whole number")
      .min(1, "must be between 1 and 9999")
      .max(9999, "must be between 1 and 9999"),
    environment: z.enum(["sandbox", "production"], { error: 'must be "sandbox" or "production"' }).default("sandbox"),
    baseUrl: z
      .string()
      .url("must be an absolute http(s) URL such as http://localhost:4010/v1")
      .refine((u) => /^https?:$/.test(new URL(u).protocol), "must be an absolute http(s) URL such as http://localhost:4010/v1")
      .optional(),
    cipExpiryHours: z.coerce.number().positive("must be above 0").max(24 * 365, "must be at most 8760 (a year)").optional(),
    refundWindowDays: positiveInt(3650).default(180),
    requestTimeoutMs: positiveInt(120_000).default(10_000),
    connectTimeoutMs: positiveInt(60_000).default(3_000),
    maxRetries: z.coerce.number().int().min(0).max(10).default(3),
    paymentConcept: z.string().min(1).max(50).default("Compra en línea"),
    duplicateRefundGuardSeconds: z.coerce.number().int().min(0).max(3600).default(10),
    reconcileAfterMinutes: z.coerce.number().min(0).max(7 * 24 * 60).default(10),
    refundCallLeaseSeconds: z.coerce.number().int("must be a whole number of seconds").min(2, "must be at least 2").max(3600, "must be at most 3600").default(120),
    refundMode: z.enum(["api", "manual"], { error: 'must be "api" or "manual"' }).default("api"),
    manualRefundFallback: bool.default(false),
    autoRefundOnReturn: bool.default(false),
    recordOutsideRefunds: bool.default(false),
    cipEmails: bool.default(true),
    cipEmailTemplate: z.string().trim().min(1).max(200, "is longer than 200 characters").default("pagoefectivo-cip-instructions"),
    cipReminderTemplate: z.string().trim().min(1).max(200, "is longer than 200 characters").default("pagoefectivo-cip-reminder"),
    cipReminderHours: z.coerce.number().min(0, "must be 0 (off) or more").max(24 * 30, "must be at most 720 (30 days)").default(6),
    renewExpiredCip: bool.default(false),
    maxCipRenewals: z.coerce.number().int("must be a whole number").min(1, "must be between 1 and 10").max(10, "must be between 1 and 10").default(1),
    cipRenewedTemplate: z.string().trim().min(1).max(200, "is longer than 200 characters").default("pagoefectivo-cip-renewed"),
    notificationConcurrency: z.coerce.number().int("must be a whole number").min(1, "must be between 1 and 64").max(64, "must be between 1 and 64").default(8),
  })


export type ResolvedOptions = Omit<z.output<typeof optionsSchema>, "serviceId"> & {
  serviceId: number
  baseUrl: string
}

/**
 * Validates options at boot. The error names the option and what is wrong with it, and never
 * echoes a value (options hold secrets).
 */
export function resolveOptions(options: unknown, where = "PagoEfectivo"): ResolvedOptions {
  const empty = (v: unknown) => v === undefined || v === null || (typeof v === "string" && v.trim() === "")
  const raw = { ...((options ?? {}) as Record<string, unknown>) }
  for (const key of ["accessKey", "secretKey", "serviceId"]) {
    if (empty(raw[key])) {
      throw new Error(
        `${where}: option \`${key}\` is missing. Set it, e.g. from ${ENV_NAMES[key]}; see README.md, "Configuration".`
      )
    }
  }
  for (const key of Object.keys(raw)) if (empty(raw[key]) && !(key in REQUIRED)) delete raw[key]
  const parsed = optionsSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const name = issue.path.join(".") || "options"
    throw new Error(`${where}: option \`${name}\` ${issue.message}. See README.md, "Configuration".`)
  }
  const o = parsed.data
  return { ...o, baseUrl: (o.baseUrl ?? BASE_URLS[o.environment]).replace(/\/+$/, "") } as ResolvedOptions
}

const REQUIRED = { accessKey: 1, secretKey: 1, serviceId: 1 }

export const ENV_NAMES: Record<string, string> = {
  accessKey: "PAGOEFECTIVO_ACCESS_KEY",
  secretKey: "PAGOEFECTIVO_SECRET_KEY",
  serviceId: "PAGOEFECTIVO_SERVICE_ID",
}

/** The client options for resolved plugin options. */
export function clientOptions(o: ResolvedOptions) {
  return {
    baseUrl: o.baseUrl,
    accessKey: o.accessKey,
    secretKey: o.secretKey,
    serviceId: o.serviceId,
    requestTimeoutMs: o.requestTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
    maxRetries: o.maxRetries,
  }
}
