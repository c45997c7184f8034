/**
 * The CIP API (A2/A4): create, search, extend and delete CIPs, the voucher page, and the CIP
 * transitions the control API and the expiry sweep drive (paid, expired) with their
 * notifications.
 */
import { randomUUID } from "node:crypto"
import {
  CIP_CODES,
  CIP_STATUS,
  CIP_STATUS_NAME,
  type CipState,
  CODES,
  createCipRequestSchema,
  extendCipRequestSchema,
  formatLimaDate,
  parseDate,
  REFUND_CODES,
  searchCipsRequestSchema,
} from "../src/lib/pagoefectivo/wire"
import type { Auth } from "./auth"
import {
  apiError,
  checkRawAmount,
  type Ctx,
  escapeHtml,
  fieldError,
  HttpError,
  invalid,
  parseJsonBody,
  type Reply,
  route,
  type Route,
  success,
  validate,
} from "./http"
import type { Notifier } from "./notifier"
import { lima, type SandboxCip, type SandboxCore } from "./state"

const STATUS_NUMBER: Record<CipState, number> = {
  pending: CIP_STATUS.PENDING,
  paid: CIP_STATUS.PAID,
  expired: CIP_STATUS.EXPIRED,
  deleted: CIP_STATUS.DELETED,
}

export class CipApi {
  constructor(
    private readonly core: SandboxCore,
    private readonly auth: Auth,
    private readonly notifier: Notifier
  ) {}

  routes(): Route[] {
    return [
      route("POST", "/v1/cips", "api", (c) => this.createCip(c)),
      route("POST", "/v1/cips/search", "api", (c) => this.searchCips(c)),
      route("PATCH", "/v1/cips/{cip}", "api", (c, p) => this.extendCip(c, p[0])),
      route("DELETE", "/v1/cips/{cip}", "api", (c, p) => this.deleteCip(c, p[0])),
      route("GET", "/voucher/{guid}.html", "page", (c, p) => this.voucher(p[0])),
    ]
  }

  cipUrl(cip: SandboxCip): string {
    return `${this.core.baseUrl}/voucher/${cip.guid}.html`
  }

  /** A CIP as POST /v1/cips/search answers it. */
  searchItem(c: SandboxCip) {
    return {
      cip: c.cip,
      transactionCode: c.transactionCode,
      amount: c.amount,
      currency: c.currency,
      status: STATUS_NUMBER[c.status],
      statusName: CIP_STATUS_NAME[STATUS_NUMBER[c.status]],
      dateCreation: formatLimaDate(c.dateCreation),
      dateExpiry: formatLimaDate(c.dateExpiry),
      datePayment: lima(c.datePayment),
      dateRemoval: lima(c.dateRemoval),
    }
  }

  /** Pending CIPs whose dateExpiry has passed become expired and notify cip.expired. */
  expireDue(): void {
    const now = Date.now()
    for (const cip of this.core.state.cips.values()) {
      if (cip.status === "pending" && cip.dateExpiry.getTime() <= now) this.expireCip(cip, true)
    }
  }

  expireCip(cip: SandboxCip, notify: boolean): Promise<void> {
    cip.status = "expired"
    cip.dateExpired = new Date()
    return notify ? this.notifyCip("cip.expired", cip) : Promise.resolve()
  }

  payCip(cip: SandboxCip, paidAt: Date, notify: boolean): Promise<void> {
    cip.status = "paid"
    cip.datePayment = paidAt
    return notify ? this.notifyCip("cip.paid", cip, { paymentDate: formatLimaDate(paidAt) }) : Promise.resolve()
  }

  /** A CIP's notification: its number, currency, amount and transactionCode, and `extra`. */
  private notifyCip(event: "cip.paid" | "cip.expired", cip: SandboxCip, extra: Record<string, unknown> = {}): Promise<void> {
    return this.notifier.notify(event, String(cip.cip), {
      cip: String(cip.cip),
      currency: cip.currency,
      amount: cip.amount,
      transactionCode: cip.transactionCode,
      ...extra,
    })
  }

  private createCip(ctx: Ctx): Reply {
    this.auth.requireApiAuth(ctx)
    const config = this.core.state.config
    const input = parseJsonBody(ctx.raw)
    const body = validate(createCipRequestSchema, input)
    checkRawAmount(ctx.raw)
    const now = new Date()
    let dateExpiry: Date
    if (body.dateExpiry) {
      dateExpiry = parseDate(body.dateExpiry)
      if (dateExpiry.getTime() <= now.getTime()) {
        return invalid([fieldError("dateExpiry", CODES.INVALID_VALUE, "Invalid value for dateExpiry: must be in the future.")])
      }
    } else {
      dateExpiry = new Date(now.getTime() + config.defaultExpiryHours * 3600_000)
    }
    if (body.amount > config.maxCipAmount) {
      return apiError(400, CODES.ABOVE_MAX_AMOUNT, `The amount is above the merchant's maximum (${config.maxCipAmount}).`)
    }
    const cip: SandboxCip = {
      cip: this.core.seq.cip++,
      guid: randomUUID(),
      currency: body.currency,
      amount: body.amount,
      transactionCode: body.transactionCode,
      status: "pending",
      dateCreation: now,
      dateExpiry,
      datePayment: null,
      dateRemoval: null,
      dateExpired: null,
      request: { ...body },
    }
    this.core.state.cips.set(cip.cip, cip)
    return success(201, {
      cip: cip.cip,
      currency: cip.currency,
      amount: cip.amount,
      transactionCode: cip.transactionCode,
      dateExpiry: formatLimaDate(cip.dateExpiry),
      cipUrl: this.cipUrl(cip),
    })
  }

  private searchCips(ctx: Ctx): Reply {
    this.auth.requireApiAuth(ctx)
    const input = parseJsonBody(ctx.raw)
    // Casing varies between clients: data/Data/DATA, cip/CIP/Cip.
    const pick = (obj: unknown, name: string) =>
      obj && typeof obj === "object" && !Array.isArray(obj)
        ? (obj as any)[Object.keys(obj).find((k) => k.toLowerCase() === name) ?? name]
        : undefined
    const list = pick(input, "data")
    const normalised = {
      data: Array.isArray(list)
        ? list.map((item) => (item && typeof item === "object" ? { cip: pick(item, "cip") } : item))
        : list,
    }
    const body = validate(searchCipsRequestSchema, normalised)
    const found = body.data
      .map((item: { cip: string }) => this.core.state.cips.get(Number(item.cip)))
      .filter((c: SandboxCip | undefined): c is SandboxCip => !!c)
    if (found.length === 0) {
      return apiError(404, REFUND_CODES.CIP_NOT_FOUND, "None of the CIPs exists.")
    }
    return success(200, found.map((c: SandboxCip) => this.searchItem(c)))
  }

  private findCip(param: string): SandboxCip {
    if (!/^\d{1,20}$/.test(param)) {
      throw new HttpError(invalid([fieldError("cip", CODES.INVALID_VALUE, "Invalid value for cip: digits only.")]))
    }
    const cip = this.core.state.cips.get(Number(param))
    if (!cip) throw new HttpError(apiError(404, CIP_CODES.CIP_NOT_FOUND, `CIP ${param} does not exist.`))
    return cip
  }

  private extendCip(ctx: Ctx, param: string): Reply {
    this.auth.requireApiAuth(ctx)
    const cip = this.findCip(param)
    const body = validate(extendCipRequestSchema, parseJsonBody(ctx.raw))
    if (cip.status !== "pending") {
      return apiError(422, CIP_CODES.CIP_NOT_PENDING, `CIP ${cip.cip} is ${cip.status}: its expiry cannot change.`)
    }
    const date = parseDate(body.dateExpiry)
    if (date.getTime() <= Date.now()) {
      return invalid([fieldError("dateExpiry", CODES.INVALID_VALUE, "Invalid value for dateExpiry: must be in the future.")])
    }
    cip.dateExpiry = date
    return success(200, this.searchItem(cip))
  }

  private deleteCip(ctx: Ctx, param: string): Reply {
    this.auth.requireApiAuth(ctx)
    const cip = this.findCip(param)
    if (cip.status === "paid") {
      return apiError(422, CIP_CODES.CIP_ALREADY_PAID, `CIP ${cip.cip} is paid: it cannot be deleted.`)
    }
    if (cip.status !== "deleted") {
      cip.status = "deleted"
      cip.dateRemoval = new Date()
    }
    return success(200, this.searchItem(cip))
  }

  private voucher(guid: string): Reply {
    const cip = [...this.core.state.cips.values()].find((c) => c.guid === guid)
    if (!cip) {
      return { status: 404, html: "<!doctype html><title>CIP not found</title><h1>CIP not found</h1>" }
    }
    const amount = `${cip.currency === "PEN" ? "S/" : "US$"} ${cip.amount.toFixed(2)}`
    const payPath = `/__sandbox/cips/${cip.cip}/pay`
    const html = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><title>CIP ${cip.cip} - PagoEfectivo sandbox</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
.cip{font-size:2.5rem;font-weight:700;letter-spacing:.1em}.muted{color:#666}code{background:#f3f3f3;padding:.1rem .3rem}</style>
</head><body>
<p class="muted">PagoEfectivo sandbox (not a real payment)</p>
<h1>Código de pago (CIP)</h1>
<p class="cip">${cip.cip}</p>
<p>Monto: <strong>${escapeHtml(amount)}</strong></p>
<p>Estado: <strong>${escapeHtml(CIP_STATUS_NAME[STATUS_NUMBER[cip.status]])}</strong></p>
<p>Vence: ${escapeHtml(formatLimaDate(cip.dateExpiry))}</p>
<p>Referencia: ${escapeHtml(cip.transactionCode)}</p>
${
  cip.status === "pending"
    ? `<form method="post" action="${payPath}"><button type="submit">Simulate payment (pay this CIP)</button></form>
<p class="muted">Or: <code>curl -X POST ${escapeHtml(this.core.baseUrl + payPath)}</code></p>`
    : ""
}
</body></html>`
    return { status: 200, html }
  }
}
