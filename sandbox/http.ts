/**
 * The sandbox's HTTP plumbing: replies, PagoEfectivo's error shapes (A3), body parsing and
 * validation into A3 field errors, the control API's body parsing, routes and the sandbox's own
 * codes. No state.
 */
import { timingSafeEqual } from "node:crypto"
import type http from "node:http"
import { z } from "zod"
import { CODES, type FieldError } from "../src/lib/pagoefectivo/wire"

/**
 * Codes the sandbox answers with that neither PagoEfectivo's documentation nor wire.ts define
 * (the 403/409/422 business codes are wire.ts's REFUND_CODES and CIP_CODES).
 */
export const SANDBOX_CODES = {
  /** 401: token missing/invalid/expired/revoked, bad credentials or hash, bad PE-Signature. */
  UNAUTHORIZED: "401",
  /** 404: no such route (distinct from CIP_NOT_FOUND "404" so a wrong base URL is not read as "unknown CIP"). */
  ROUTE_NOT_FOUND: "490",
  /** 405: the route exists with other methods. */
  METHOD_NOT_ALLOWED: "491",
  /** 413: body above 1 MiB. */
  PAYLOAD_TOO_LARGE: "492",
} as const

export const SUCCESS_MESSAGE = "Solicitud exitosa."
export const INVALID_MESSAGE = "Solicitud con datos inválidos."

export interface Reply {
  status: number
  body?: unknown
  headers?: Record<string, string>
  html?: string
}

export interface Ctx {
  req: http.IncomingMessage
  res: http.ServerResponse
  method: string
  path: string
  cid: string
  raw: Buffer
}

export type Handler = (ctx: Ctx, params: string[]) => Promise<Reply> | Reply

export interface Route {
  method: string
  pattern: RegExp
  template: string
  kind: "api" | "control" | "page"
  handler: Handler
}

/** A route from a template such as "/v1/cips/{cip}": each {name} matches one path segment. */
export function route(method: string, template: string, kind: Route["kind"], handler: Handler): Route {
  const pattern = new RegExp(
    "^" +
      template
        .replace(/[.]/g, "\\.")
        .replace(/\{[^}]+\}/g, "([^/]+)") +
      "$"
  )
  return { method, pattern, template, kind, handler }
}

export class HttpError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`)
  }
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): Reply => ({ status, body, headers })

/** The A3 error shape without field details. */
export const apiError = (status: number, code: string, message: string, headers?: Record<string, string>) =>
  json(status, { code, message }, headers)

/** The A3 400/111 wrapper with field errors. */
export const invalid = (data: FieldError[]) =>
  json(400, { code: CODES.INVALID_REQUEST, message: INVALID_MESSAGE, data })

export const fieldError = (field: string, code: string, message: string): FieldError => ({ code, message, field })

export const controlError = (status: number, error: string, issues?: unknown) =>
  json(status, issues ? { error, issues } : { error })

export const success = (status: number, data: unknown) => json(status, { code: 100, message: SUCCESS_MESSAGE, data })

function valueAt(root: unknown, path: PropertyKey[]): unknown {
  let v: any = root
  for (const key of path) {
    if (v === null || typeof v !== "object") return undefined
    v = v[key as any]
  }
  return v
}

/** zod issues → A3 field errors: 112 when the field is absent, 113 otherwise; one per field. */
export function fieldErrors(error: z.ZodError, input: unknown): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const issue of error.issues) {
    const path = issue.path as PropertyKey[]
    const field = path.length ? path.map(String).join(".") : "body"
    if (seen.has(field)) continue
    seen.add(field)
    const missing = path.length > 0 && valueAt(input, path) === undefined
    out.push(
      missing
        ? fieldError(field, CODES.REQUIRED_FIELD, `The field ${field} is required.`)
        : fieldError(field, CODES.INVALID_VALUE, `Invalid value for ${field}: ${issue.message}`)
    )
  }
  return out
}

export function parseJsonBody(raw: Buffer): unknown {
  const text = raw.toString("utf8").trim()
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(invalid([fieldError("body", CODES.INVALID_VALUE, "The body is not valid JSON.")]))
  }
}

export function validate<T extends z.ZodTypeAny>(schema: T, input: unknown): z.output<T> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    throw new HttpError(invalid([fieldError("body", CODES.INVALID_VALUE, "The body must be a JSON object.")]))
  }
  const parsed = schema.safeParse(input)
  if (!parsed.success) throw new HttpError(invalid(fieldErrors(parsed.error, input)))
  return parsed.data
}

/** Every top-level "amount" in the raw JSON must be written with at most 2 decimals. */
const RAW_AMOUNT_RE = /"amount"\s*:\s*(-?[0-9][0-9.eE+-]*)/g
export function checkRawAmount(raw: Buffer): void {
  for (const m of raw.toString("utf8").matchAll(RAW_AMOUNT_RE)) {
    if (!/^\d{1,16}(\.\d{1,2})?$/.test(m[1])) {
      throw new HttpError(
        invalid([
          fieldError(
            "amount",
            CODES.INVALID_VALUE,
            "Invalid value for amount: at most 16 integer digits and 2 decimals, '.' separator."
          ),
        ])
      )
    }
  }
}

export function parseControlBody<T extends z.ZodTypeAny>(schema: T, ctx: Ctx): z.output<T> {
  const text = ctx.raw.toString("utf8").trim()
  let input: unknown = {}
  if (text && !isForm(ctx.req)) {
    try {
      input = JSON.parse(text)
    } catch {
      throw new HttpError(controlError(400, "body is not valid JSON"))
    }
  }
  const parsed = schema.safeParse(input)
  if (!parsed.success) {
    throw new HttpError(
      controlError(
        400,
        "invalid body",
        parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }))
      )
    )
  }
  return parsed.data
}

export const isForm = (req: http.IncomingMessage) =>
  String(req.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")

export const toCents = (n: number) => Math.round(n * 100)

export function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export function clientIp(req: http.IncomingMessage): string {
  const ip = req.socket.remoteAddress ?? ""
  return ip.startsWith("::ffff:") ? ip.slice(7) : ip
}

export const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!)
