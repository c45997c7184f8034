/**
 * Configuration and fault-injection shapes of the PagoEfectivo sandbox, validated with zod.
 * Everything here is the sandbox's own (the wire format lives in src/lib/pagoefectivo/wire.ts).
 */
import { z } from "zod"

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const

export const AUTO_SETTLE = ["none", "complete", "reject"] as const
export type AutoSettle = (typeof AUTO_SETTLE)[number]

export interface SandboxRefundSettings {
  /** What happens to a new refund on its own: stays pending, completes, or is rejected. */
  autoSettle: AutoSettle
  /** Delay between the refund's creation and its automatic settlement. */
  settleDelayMs: number
  /** Reason given when a refund is rejected automatically (or by the control API without one). */
  rejectReason: string
  /**
   * Settle (at once, ignoring settleDelayMs) and deliver the notification (awaited, retry
   * included) before the answer to POST /v1/refunds is written; the answer then carries the
   * final status. Simulates a webhook that overtakes the API answer.
   */
  notifyBeforeResponse: boolean
}

export interface SandboxConfig {
  /** Where notifications are POSTed; null = recorded as "no notify URL" deliveries, not sent. */
  notifyUrl: string | null
  /** Lifetime of a token issued by POST /v1/authorizations. 0 = already expired. */
  tokenTtlSeconds: number
  /** Above this amount POST /v1/cips answers 400 code 511. */
  maxCipAmount: number
  /** Expiry of a CIP created without dateExpiry. */
  defaultExpiryHours: number
  /** false = POST /v1/refunds answers 403 REFUNDS_NOT_ENABLED. */
  refundsEnabled: boolean
  /** Caller IPs allowed to POST /v1/refunds; empty = all. */
  allowedIps: string[]
  /** What the merchant can still refund in total (any currency); null = unlimited. */
  merchantBalance: number | null
  /** Days after payment during which a CIP can be refunded. */
  refundWindowDays: number
  /** Delay before the single retry of a failed notification. */
  notificationRetryDelayMs: number
  refunds: SandboxRefundSettings
}

export const DEFAULT_CONFIG: SandboxConfig = {
  notifyUrl: null,
  tokenTtlSeconds: 2 * 60 * 60,
  maxCipAmount: 10000,
  defaultExpiryHours: 24,
  refundsEnabled: true,
  allowedIps: [],
  merchantBalance: null,
  refundWindowDays: 180,
  notificationRetryDelayMs: 1000,
  refunds: {
    autoSettle: "complete",
    settleDelayMs: 1000,
    rejectReason: "Refund rejected by the sandbox",
    notifyBeforeResponse: false,
  },
}

const httpUrl = z
  .string()
  .refine((v) => {
    try {
      const u = new URL(v)
      return u.protocol === "http:" || u.protocol === "https:"
    } catch {
      return false
    }
  }, "must be an http(s) URL")

/** A merge-patch of the configuration (PUT /__sandbox/config, startSandbox({ config })). */
export const configPatchSchema = z
  .object({
    notifyUrl: httpUrl.nullable().optional(),
    tokenTtlSeconds: z.number().nonnegative().optional(),
    maxCipAmount: z.number().positive().optional(),
    defaultExpiryHours: z.number().positive().optional(),
    refundsEnabled: z.boolean().optional(),
    allowedIps: z.array(z.string().min(1)).optional(),
    merchantBalance: z.number().nonnegative().nullable().optional(),
    refundWindowDays: z.number().nonnegative().optional(),
    notificationRetryDelayMs: z.number().int().nonnegative().optional(),
    refunds: z
      .object({
        autoSettle: z.enum(AUTO_SETTLE).optional(),
        settleDelayMs: z.number().int().nonnegative().optional(),
        rejectReason: z.string().min(1).max(200).optional(),
        notifyBeforeResponse: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
export type SandboxConfigPatch = z.input<typeof configPatchSchema>

export function applyConfigPatch(config: SandboxConfig, patch: z.output<typeof configPatchSchema>): SandboxConfig {
  const { refunds, ...rest } = patch
  const next: SandboxConfig = { ...config, refunds: { ...config.refunds } }
  for (const [key, value] of Object.entries(rest)) {
    if (value !== undefined) (next as any)[key] = value
  }
  if (refunds) {
    for (const [key, value] of Object.entries(refunds)) {
      if (value !== undefined) (next.refunds as any)[key] = value
    }
  }
  return next
}

/**
 * A fault. `path` is an exact path or a prefix of the API ("/v1/refunds", "/v1/cips",
 * "/v1") matched against incoming requests, or the literal "notifications" for outgoing
 * notifications (optionally narrowed by eventType). The control API (/__sandbox) is never
 * faulted. The first matching fault with `times` left applies and consumes one.
 */
export const faultSchema = z
  .object({
    path: z.string().min(1),
    method: z.enum(HTTP_METHODS).optional(),
    times: z.number().int().positive().optional(),
    // Request faults
    latencyMs: z.number().int().nonnegative().max(120_000).optional(),
    /**
     * Read the request, then hold it (after any latency) until POST /__sandbox/faults/release, a
     * reset or DELETE /__sandbox/faults, and process it then: a call PagoEfectivo still works on
     * after the client gave up.
     */
    hold: z.boolean().optional(),
    /** 400-599 for an error answer; with `body`, any status 200-599. */
    status: z.number().int().min(200).max(599).optional(),
    retryAfter: z.number().int().nonnegative().optional(),
    dropConnection: z.enum(["before", "after-commit"]).optional(),
    /** Answer these raw bytes (as text/html, with `status` or 200) instead of processing: a malformed answer. */
    body: z.string().max(65_536).optional(),
    // Notification faults
    eventType: z.string().min(1).optional(),
    duplicate: z.number().int().positive().max(20).optional(),
    delayMs: z.number().int().nonnegative().max(120_000).optional(),
    drop: z.boolean().optional(),
  })
  .strict()
  .superRefine((f, ctx) => {
    const isNotification = f.path === "notifications"
    if (!isNotification && !f.path.startsWith("/")) {
      ctx.addIssue({ code: "custom", path: ["path"], message: 'must start with "/" or be "notifications"' })
    }
    const requestKeys = ["method", "latencyMs", "hold", "status", "retryAfter", "dropConnection", "body"] as const
    const notificationKeys = ["eventType", "duplicate", "delayMs", "drop"] as const
    const wrong = isNotification ? requestKeys : notificationKeys
    for (const key of wrong) {
      if (f[key] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [key],
          message: isNotification ? "only for request faults" : 'only for path "notifications"',
        })
      }
    }
    const effects = isNotification
      ? [f.duplicate, f.delayMs, f.drop]
      : [f.latencyMs, f.hold || undefined, f.status, f.retryAfter, f.dropConnection, f.body]
    if (effects.every((e) => e === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "a fault needs at least one effect" })
    }
    if (f.status !== undefined && f.status < 400 && f.body === undefined) {
      ctx.addIssue({ code: "custom", path: ["status"], message: "must be 400-599 (a status below 400 needs `body`)" })
    }
    if (f.body !== undefined && f.dropConnection !== undefined) {
      ctx.addIssue({ code: "custom", path: ["body"], message: "use either body or dropConnection" })
    }
    if (f.hold && (f.status !== undefined || f.body !== undefined || f.dropConnection !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["hold"], message: "a held request is processed when released: use hold alone (or with latencyMs)" })
    }
    if (f.status !== undefined && f.dropConnection !== undefined) {
      ctx.addIssue({ code: "custom", path: ["dropConnection"], message: "use either status or dropConnection" })
    }
  })
export type SandboxFaultInput = z.input<typeof faultSchema>

export type SandboxFault = z.output<typeof faultSchema> & {
  id: number
  /** Applications left; null = unlimited. */
  remaining: number | null
  /** How many times it has applied. */
  hits: number
}

/** PUT /__sandbox/faults takes one fault or an array of them. */
export const faultsBodySchema = z.union([faultSchema, z.array(faultSchema).min(1)])

/** Optional body of POST /__sandbox/cips/{cip}/pay. */
export const payBodySchema = z
  .object({
    paidAt: z
      .string()
      .refine((v) => !Number.isNaN(Date.parse(v)), "must be an ISO-8601 date")
      .optional(),
    notify: z.boolean().optional(),
    wait: z.boolean().optional(),
  })
  .strict()

/** Optional body of POST /__sandbox/cips/{cip}/expire. */
export const expireBodySchema = z.object({ notify: z.boolean().optional(), wait: z.boolean().optional() }).strict()

/** Optional body of POST /__sandbox/refunds/{refundId}/complete|reject. */
export const settleBodySchema = z
  .object({
    reason: z.string().min(1).max(200).optional(),
    notify: z.boolean().optional(),
    wait: z.boolean().optional(),
  })
  .strict()

/**
 * Body of POST /__sandbox/cips/{cip}/refunds: a refund made "in PagoEfectivo's panel", not asked
 * for by the merchant's API. `refundId` defaults to a fresh one.
 */
export const panelRefundBodySchema = z
  .object({
    amount: z
      .number({ error: "is required: a number with at most 2 decimals" })
      .positive("must be above 0")
      .refine((n) => Math.abs(Math.round(n * 100) - n * 100) < 1e-6, "must have at most 2 decimals"),
    reason: z.string().min(1).max(200).optional(),
    refundId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/, "must be 1-64 letters, digits or _ . : -").optional(),
    notify: z.boolean().optional(),
    wait: z.boolean().optional(),
  })
  .strict()
