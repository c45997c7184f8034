/**
 * PagoEfectivo's wire format, in one place.
 *
 * Everything that is a fact about the bytes PagoEfectivo sends or expects lives here: base URLs,
 * the Lima date format, the authorization hash, the PE-Signature HMAC, response codes, the
 * project's refund business codes and the zod schemas of every body. The HTTP client, the
 * provider, the webhook route, the reconciliation job and the bundled sandbox all import it, so
 * a merchant whose contract differs changes this file only.
 *
 * Part A of docs/reference (v1 API) is PagoEfectivo's documented API. Part B (refunds) is this
 * project's own contract; the numeric codes in REFUND_CODES are ours and the sandbox answers
 * with exactly these.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto"
import { z } from "zod"
import { readMoney } from "../money"
import { storable } from "../storable"

export const BASE_URLS = {
  sandbox: "https://pre1a.services.pagoefectivo.pe/v1",
  production: "https://services.pagoefectivo.pe/v1",
} as const

export type Environment = keyof typeof BASE_URLS

export const SIGNATURE_HEADER = "pe-signature"
export const CORRELATION_HEADER = "x-correlation-id"

/** Currencies PagoEfectivo accepts for a CIP. */
export const CURRENCIES = ["PEN", "USD"] as const
export type Currency = (typeof CURRENCIES)[number]

/** PagoEfectivo response codes (section A3). */
export const CODES = {
  SUCCESS: "100",
  INVALID_REQUEST: "111",
  REQUIRED_FIELD: "112",
  INVALID_VALUE: "113",
  INVALID_SERVICE: "508",
  ABOVE_MAX_AMOUNT: "511",
  INTERNAL_ERROR: "166",
} as const

/**
 * Refund business codes. PagoEfectivo publishes no refund API, so these numbers are this
 * project's contract (section B of the reference): the client maps them to operator-facing
 * errors and the sandbox answers with exactly these.
 */
export const REFUND_CODES = {
  /** 403: refunds are not enabled for this merchant. */
  REFUNDS_NOT_ENABLED: "601",
  /** 403: the caller's IP is not on the merchant's allow-list. */
  IP_NOT_ALLOWED: "602",
  /** 409: the refundId was already used with a different payload. */
  REFUND_ID_CONFLICT: "603",
  /** 422: the CIP is not paid (pending, expired or deleted). */
  CIP_NOT_PAID: "611",
  /** 422: the amount is above what is still refundable on the CIP. */
  AMOUNT_ABOVE_REFUNDABLE: "612",
  /** 422: the refund window (days after payment) has passed. */
  REFUND_WINDOW_EXCEEDED: "613",
  /** 422: the merchant's balance cannot cover the refund. */
  INSUFFICIENT_BALANCE: "614",
  /** 422: the currency differs from the CIP's. */
  CURRENCY_MISMATCH: "615",
  /** 404: no CIP with that number for this service. */
  CIP_NOT_FOUND: "404",
  /** 404: no refund with that refundId. */
  REFUND_NOT_FOUND: "405",
} as const

/**
 * Codes for PATCH and DELETE /cips/{cip} when the CIP cannot change. PagoEfectivo documents
 * none (A4 only says "only while unpaid"), so like REFUND_CODES these are this project's and
 * the sandbox answers with exactly these.
 */
export const CIP_CODES = {
  /** 404: no CIP with that number (the same number as REFUND_CODES.CIP_NOT_FOUND). */
  CIP_NOT_FOUND: "404",
  /** 422: the CIP is no longer pending (paid, expired or deleted): its expiry cannot change. */
  CIP_NOT_PENDING: "621",
  /** 422: the CIP is paid: it cannot be deleted. */
  CIP_ALREADY_PAID: "622",
} as const

/** Values of the `Origin` header required on every call after authorization (A2). */
export const ORIGINS = ["web", "android", "ios"] as const
export type Origin = (typeof ORIGINS)[number]

/** CIP states as answered by POST /cips/search. "Cancelado" is PagoEfectivo's word for paid. */
export const CIP_STATUS = {
  PENDING: 1,
  PAID: 2,
  EXPIRED: 3,
  DELETED: 4,
} as const
export const CIP_STATUS_NAME: Record<number, string> = {
  [CIP_STATUS.PENDING]: "Pendiente",
  [CIP_STATUS.PAID]: "Cancelado",
  [CIP_STATUS.EXPIRED]: "Expirado",
  [CIP_STATUS.DELETED]: "Eliminado",
}
export type CipState = "pending" | "paid" | "expired" | "deleted"

export function cipState(status: number, statusName?: string): CipState {
  switch (status) {
    case CIP_STATUS.PAID:
      return "paid"
    case CIP_STATUS.EXPIRED:
      return "expired"
    case CIP_STATUS.DELETED:
      return "deleted"
    case CIP_STATUS.PENDING:
      return "pending"
  }
  const name = (statusName ?? "").toLowerCase()
  if (name.startsWith("cancelad") || name.startsWith("pagad")) return "paid"
  if (name.startsWith("expirad")) return "expired"
  if (name.startsWith("eliminad")) return "deleted"
  return "pending"
}

// ---------------------------------------------------------------------------
// Dates: Peru is UTC-05:00 all year (no daylight saving).
// ---------------------------------------------------------------------------

const LIMA_OFFSET_MS = -5 * 60 * 60 * 1000
const LIMA_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})-05:00$/

/** `yyyy-MM-ddTHH:mm:ss-05:00`, the only date format PagoEfectivo accepts. */
export function formatLimaDate(date: Date): string {
  const lima = new Date(date.getTime() + LIMA_OFFSET_MS)
  const p = (n: number) => String(n).padStart(2, "0")
  return (
    `${lima.getUTCFullYear()}-${p(lima.getUTCMonth() + 1)}-${p(lima.getUTCDate())}` +
    `T${p(lima.getUTCHours())}:${p(lima.getUTCMinutes())}:${p(lima.getUTCSeconds())}-05:00`
  )
}

export function isLimaDate(value: string): boolean {
  return LIMA_DATE_RE.test(value) && !Number.isNaN(Date.parse(value))
}

/** Parses any ISO-8601 date with an offset (PagoEfectivo sends -05:00). */
export function parseDate(value: string): Date {
  const ms = Date.parse(value)
  if (Number.isNaN(ms)) {
    throw new Error(`not a date: ${JSON.stringify(value).slice(0, 40)}`)
  }
  return new Date(ms)
}

// ---------------------------------------------------------------------------
// Authorization hash and PE-Signature
// ---------------------------------------------------------------------------

/** hashString = hex(SHA-256(idService + "." + accessKey + "." + secretKey + "." + dateRequest)) */
export function authHash(
  serviceId: number | string,
  accessKey: string,
  secretKey: string,
  dateRequest: string
): string {
  return createHash("sha256")
    .update(`${serviceId}.${accessKey}.${secretKey}.${dateRequest}`, "utf8")
    .digest("hex")
}

/** PE-Signature: lowercase hex HMAC-SHA256(key = secretKey, message = the raw body bytes). */
export function sign(secretKey: string, rawBody: Buffer | string): string {
  return createHmac("sha256", secretKey).update(rawBody).digest("hex")
}

/** Constant-time check of a PE-Signature header against the raw body. */
export function verifySignature(
  secretKey: string,
  rawBody: Buffer | string,
  header: string | string[] | undefined
): boolean {
  const given = Array.isArray(header) ? header[0] : header
  if (typeof given !== "string" || !/^[0-9a-fA-F]{64}$/.test(given.trim())) {
    return false
  }
  const expected = Buffer.from(sign(secretKey, rawBody), "hex")
  return timingSafeEqual(expected, Buffer.from(given.trim().toLowerCase(), "hex"))
}

// ---------------------------------------------------------------------------
// Amounts: PagoEfectivo wants a JSON number with "." and two decimals.
// ---------------------------------------------------------------------------

const AMOUNT_RE = /^\d{1,16}\.\d{2}$/

/** A decimal amount already formatted with exactly two decimals, e.g. "50.00". */
export class WireAmount {
  constructor(readonly text: string) {
    if (!AMOUNT_RE.test(text)) {
      throw new Error(`amount must have at most 16 integer digits and exactly 2 decimals, got ${text}`)
    }
  }
  toNumber(): number {
    return Number(this.text)
  }
  toJSON(): string {
    return this.text
  }
}

const AMOUNT_MARK = `__pe_amount_${process.pid}_${Date.now().toString(36)}__`

/**
 * JSON.stringify that writes every WireAmount as a bare number with its two decimals
 * (`"amount":50.00`, which JSON.stringify alone would shorten to 50). The bytes returned are
 * the bytes sent and signed.
 */
export function serializeBody(body: unknown): string {
  const json = JSON.stringify(body, function (this: any, key, value) {
    const raw = key === "" ? value : this[key]
    return raw instanceof WireAmount ? `${AMOUNT_MARK}${raw.text}` : value
  })
  return json.replace(new RegExp(`"${AMOUNT_MARK}(\\d{1,16}\\.\\d{2})"`, "g"), "$1")
}

// ---------------------------------------------------------------------------
// Schemas of what PagoEfectivo sends. `code` comes as "100" or 100, `cip` as a number or a
// string: both are normalised to strings.
// ---------------------------------------------------------------------------

const codeSchema = z.union([z.string().max(16, "must be at most 16 characters"), z.number().int()]).transform((v) => String(v))
const cipSchema = z
  .union([z.string().regex(/^\d{1,20}$/, "must be 1 to 20 digits"), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)])
  .transform((v) => String(v))
/** An amount PagoEfectivo writes: the plain-decimal rule of every amount (src/lib/money.ts). */
const amountSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const read = readMoney(v)
  if (read.ok) return Number(read.text)
  ctx.addIssue({ code: "custom", message: read.message })
  return z.NEVER
})

/**
 * The most characters of each string PagoEfectivo sends (an answer or a notification): its
 * documented size where the API gives one (A2, B), a generous bound where it does not, so that
 * nothing it sends is too long to store or index (a 400 naming the field, never a database error).
 */
export const WIRE_MAX = {
  /** B: "unique, ≤ 64 chars". */
  refundId: 64,
  /** A2: 1-36 chars. */
  transactionCode: 36,
  /** B: "≤ 200 chars". */
  reason: 200,
  /** Undocumented sizes: generous bounds. */
  id: 200,
  date: 64,
  name: 100,
  message: 1000,
  url: 2048,
  token: 4096,
} as const

/**
 * A string PagoEfectivo sends, at most `max` characters. JSON allows U+0000 and lone surrogates,
 * PostgreSQL's text and jsonb do not: they become U+FFFD here, once, so that whatever is stored
 * is storable.
 */
const inbound = (max: number) =>
  z
    .string()
    .max(max, { error: (i) => `must be at most ${max} characters, got ${String((i.input as string).length)}` })
    .transform(storable)
const date = inbound(WIRE_MAX.date)
const message = z.string().max(WIRE_MAX.message, `must be at most ${WIRE_MAX.message} characters`)

export const fieldErrorSchema = z.object({
  code: codeSchema,
  message,
  field: z.string().max(WIRE_MAX.name).optional(),
})
export type FieldError = z.infer<typeof fieldErrorSchema>

/** The A3 error shape. `data` is a list of field errors when present. */
export const errorBodySchema = z.object({
  code: codeSchema,
  message,
  data: z.array(fieldErrorSchema).max(100).nullish(),
})
export type ErrorBody = z.infer<typeof errorBodySchema>

export function envelope<T extends z.ZodTypeAny>(data: T) {
  return z.object({ code: codeSchema, message, data })
}

export const tokenDataSchema = z.object({
  token: z.string().min(1).max(WIRE_MAX.token),
  codeService: z.string().max(WIRE_MAX.id).optional(),
  tokenStart: z.string().max(WIRE_MAX.date).optional(),
  tokenExpires: z.string().max(WIRE_MAX.date).refine((v) => !Number.isNaN(Date.parse(v)), "not a date"),
})
export type TokenData = z.infer<typeof tokenDataSchema>

export const cipDataSchema = z.object({
  cip: cipSchema,
  currency: z.enum(CURRENCIES),
  amount: amountSchema,
  transactionCode: inbound(WIRE_MAX.transactionCode),
  dateExpiry: date,
  cipUrl: z.string().max(WIRE_MAX.url).url(),
})
export type CipData = z.infer<typeof cipDataSchema>

export const cipSearchItemSchema = z.object({
  cip: cipSchema,
  transactionCode: inbound(WIRE_MAX.transactionCode).nullish(),
  amount: amountSchema,
  currency: z.enum(CURRENCIES),
  status: z.union([z.number().int(), z.string().regex(/^\d{1,4}$/)]).transform(Number),
  statusName: inbound(WIRE_MAX.name).nullish(),
  dateCreation: date.nullish(),
  dateExpiry: date.nullish(),
  datePayment: date.nullish(),
  dateRemoval: date.nullish(),
})
export type CipSearchItem = z.infer<typeof cipSearchItemSchema>
export const cipSearchDataSchema = z.array(cipSearchItemSchema)

export const REFUND_STATUSES = ["pending", "completed", "rejected"] as const
export type GatewayRefundStatus = (typeof REFUND_STATUSES)[number]

export const refundDataSchema = z.object({
  refundId: inbound(WIRE_MAX.refundId).pipe(z.string().min(1)),
  referenceId: inbound(WIRE_MAX.id).nullish(),
  cip: cipSchema,
  amount: amountSchema,
  currency: z.enum(CURRENCIES),
  status: z.enum(REFUND_STATUSES),
  reason: inbound(WIRE_MAX.reason).nullish(),
  dateCreation: date.nullish(),
  dateProcessed: date.nullish(),
  traceId: inbound(WIRE_MAX.id).nullish(),
})
export type RefundData = z.infer<typeof refundDataSchema>

// ---------------------------------------------------------------------------
// What we send. These schemas are also how the sandbox validates requests.
// ---------------------------------------------------------------------------

const limaDate = z.string().refine(isLimaDate, "must be yyyy-MM-ddTHH:mm:ss-05:00")
const wireAmount = z
  .number()
  .positive()
  .refine((n) => /^\d{1,16}(\.\d{1,2})?$/.test(String(n)), "at most 16 integer digits and 2 decimals")

export const authRequestSchema = z.object({
  accessKey: z.string().min(1).max(64),
  idService: z.union([z.number().int(), z.string().regex(/^\d{1,4}$/)]).transform(Number),
  dateRequest: limaDate,
  hashString: z.string().regex(/^[0-9a-f]{64}$/, "64 lowercase hex characters"),
})
export type AuthRequest = z.input<typeof authRequestSchema>

export const DOCUMENT_TYPES = ["DNI", "PAR", "PAS", "LMI", "NAN"] as const

export const createCipRequestSchema = z.object({
  currency: z.enum(CURRENCIES),
  amount: wireAmount,
  transactionCode: z.string().min(1).max(36),
  dateExpiry: limaDate.optional(),
  paymentConcept: z.string().min(1).max(50).optional(),
  additionalData: z.string().min(1).max(200).optional(),
  adminEmail: z.string().min(1).max(100).optional(),
  userEmail: z.string().min(1).max(100).email(),
  userName: z.string().min(1).max(30).optional(),
  userLastName: z.string().min(1).max(30).optional(),
  userUbigeo: z.string().regex(/^\d{6}$/).optional(),
  userCountry: z.string().min(1).max(30).optional(),
  userDocumentType: z.enum(DOCUMENT_TYPES).optional(),
  userDocumentNumber: z.string().regex(/^\d{1,14}$/).optional(),
  userPhone: z.string().regex(/^\d{1,15}$/).optional(),
  userCodeCountry: z.string().regex(/^\+\d{1,4}$/).optional(),
})
/** The body as the client builds it: the amount is a WireAmount, serialised with 2 decimals. */
export type CreateCipRequest = Omit<z.input<typeof createCipRequestSchema>, "amount"> & {
  amount: WireAmount
}

export const searchCipsRequestSchema = z.object({
  data: z.array(z.object({ cip: cipSchema })).min(1).max(100),
})

export const extendCipRequestSchema = z.object({ dateExpiry: limaDate })

export const createRefundRequestSchema = z.object({
  cip: cipSchema,
  transactionCode: z.string().min(1).max(64),
  merchantOrderId: z.string().min(1).max(64),
  refundId: z.string().min(1).max(64),
  amount: wireAmount,
  currency: z.enum(CURRENCIES),
  reason: z.string().max(200).optional(),
})
export type CreateRefundRequest = Omit<z.input<typeof createRefundRequestSchema>, "amount"> & {
  amount: WireAmount
}

// ---------------------------------------------------------------------------
// Notifications (A5 and B). Compact JSON, signed over the raw bytes.
// ---------------------------------------------------------------------------

export const NOTIFICATION_EVENTS = ["cip.paid", "cip.expired", "refund.completed", "refund.rejected"] as const
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number]

const cipEventData = z.object({
  cip: cipSchema,
  currency: z.enum(CURRENCIES),
  amount: amountSchema,
  transactionCode: inbound(WIRE_MAX.transactionCode).nullish(),
  paymentDate: date.nullish(),
})

const refundEventData = z.object({
  refundId: inbound(WIRE_MAX.refundId).pipe(z.string().min(1)),
  referenceId: inbound(WIRE_MAX.id).nullish(),
  cip: cipSchema,
  amount: amountSchema,
  currency: z.enum(CURRENCIES),
  status: z.enum(["completed", "rejected"]),
  reason: inbound(WIRE_MAX.reason).nullish(),
  dateProcessed: date.nullish(),
})

const operationNumber = z.union([inbound(WIRE_MAX.id), z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER)]).transform((v) => String(v))

export const notificationSchema = z.discriminatedUnion("eventType", [
  z.object({ eventType: z.literal("cip.paid"), operationNumber: operationNumber.nullish(), data: cipEventData }),
  z.object({ eventType: z.literal("cip.expired"), operationNumber: operationNumber.nullish(), data: cipEventData }),
  z.object({ eventType: z.literal("refund.completed"), operationNumber: operationNumber.nullish(), data: refundEventData }),
  z.object({ eventType: z.literal("refund.rejected"), operationNumber: operationNumber.nullish(), data: refundEventData }),
])
export type Notification = z.infer<typeof notificationSchema>
export type CipNotification = Extract<Notification, { eventType: "cip.paid" | "cip.expired" }>
export type RefundNotification = Extract<Notification, { eventType: "refund.completed" | "refund.rejected" }>

/**
 * The key under which a notification is stored once: a CIP is paid or expires once, a refund
 * settles once per outcome. Redeliveries of the same fact share the key whatever their
 * operationNumber.
 */
export function notificationKey(n: Notification): string {
  return n.eventType.startsWith("cip.")
    ? `${n.eventType}:${(n as CipNotification).data.cip}`
    : `${n.eventType}:${(n as RefundNotification).data.refundId}`
}

export type ParsedNotification =
  | { ok: true; notification: Notification }
  | { ok: false; reason: "malformed_json" | "unknown_event" | "invalid_fields"; message: string }

/** Parses an already signature-checked body. Never throws. */
export function parseNotification(raw: Buffer | string): ParsedNotification {
  let json: unknown
  try {
    json = JSON.parse(typeof raw === "string" ? raw : raw.toString("utf8"))
  } catch {
    return { ok: false, reason: "malformed_json", message: "body is not valid JSON" }
  }
  const eventType = (json as any)?.eventType
  if (!NOTIFICATION_EVENTS.includes(eventType)) {
    return {
      ok: false,
      reason: "unknown_event",
      message: `unknown eventType ${JSON.stringify(eventType ?? null).slice(0, 40)}; expected one of ${NOTIFICATION_EVENTS.join(", ")}`,
    }
  }
  const parsed = notificationSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return {
      ok: false,
      reason: "invalid_fields",
      message: `${eventType}: ${issue.path.join(".") || "body"} ${issue.message}`,
    }
  }
  return { ok: true, notification: parsed.data }
}
