"use client"

import { QRCodeSVG } from "qrcode.react"
import { type CSSProperties, useCallback, useEffect, useRef, useState } from "react"
import type { PagoEfectivoCip, PagoEfectivoCipStatus, StorePagoEfectivoCipResponse } from "../../../src/lib/cip/read"
import { type VoucherLocale, countdown, formatCipAmount, formatCountdown, formatLimaDateTime } from "../../../src/lib/cip/format"
import { VOUCHER_LABELS, type VoucherLabels } from "./labels"
import { fetchPagoEfectivoStatus, renewPagoEfectivoCip } from "./status"

/** The parts a store can style: each gets `pe-voucher__<part>` and `classNames[part]`. */
export type VoucherPart =
  | "root"
  | "header"
  | "code"
  | "copyButton"
  | "details"
  | "amount"
  | "expiry"
  | "countdown"
  | "status"
  | "message"
  | "qr"
  | "link"
  | "steps"
  | "renewButton"

export type UsePagoEfectivoCipOptions = {
  /** The CIP as the page has it already, e.g. `readPagoEfectivoCip(order)`. */
  cip?: PagoEfectivoCip | null
  /** Polls the plugin's store route: the Medusa URL and publishable key, and a cart or an order id. */
  baseUrl?: string
  publishableKey?: string
  cartId?: string
  orderId?: string
  /** Extra headers (a logged-in customer's `authorization`) and fetch credentials. */
  headers?: Record<string, string>
  credentials?: RequestCredentials
  /**
   * Or any function that answers the current CIP, or the status route's whole answer
   * (`{ cip, cip_emails }`), e.g. a Next.js server action calling the store route with the
   * customer's auth headers. Wins over baseUrl/cartId/orderId.
   */
  fetchStatus?: () => Promise<PagoEfectivoCip | StorePagoEfectivoCipResponse | null>
  /** How often to ask while the CIP is unpaid. Default 4000 ms. */
  pollIntervalMs?: number
}

export type PagoEfectivoCipState = {
  cip: PagoEfectivoCip | null
  /** Whether the store emails the CIP, as the status route last said; null until it has answered. */
  emails: boolean | null
  loading: boolean
  error: Error | null
  /**
   * An order's expired CIP: whether the store gives a fresh one (`renew`); null when not known or
   * not asked (a cart, a CIP that has not expired, `fetchStatus`).
   */
  renewable: boolean | null
  /** Asks for the fresh CIP (orders, with baseUrl and publishableKey); the state then holds it. */
  renew: () => Promise<void>
  renewing: boolean
}

/**
 * The CIP, kept current: asked for at once when not given, then every `pollIntervalMs` while it
 * is unpaid (and when the tab becomes visible again). Stops once paid, expired or canceled; an
 * order's expired CIP is asked about once more, to learn whether it is renewable.
 */
export function usePagoEfectivoCip(options: UsePagoEfectivoCipOptions): PagoEfectivoCipState {
  const { baseUrl, publishableKey, cartId, orderId, credentials, fetchStatus, pollIntervalMs = 4000 } = options
  const [cip, setCip] = useState<PagoEfectivoCip | null>(options.cip ?? null)
  const [loading, setLoading] = useState(!options.cip)
  const [error, setError] = useState<Error | null>(null)
  const [emails, setEmails] = useState<boolean | null>(null)
  const [renewable, setRenewable] = useState<boolean | null>(null)
  const [renewing, setRenewing] = useState(false)
  const headersRef = useRef(options.headers)
  headersRef.current = options.headers
  const fetchRef = useRef(fetchStatus)
  fetchRef.current = fetchStatus

  const canFetch = !!fetchStatus || (!!baseUrl && !!publishableKey && (!!cartId || !!orderId))
  const load = useCallback(async (): Promise<VoucherStatus | null> => {
    if (fetchRef.current) return asStatus(await fetchRef.current())
    if (!baseUrl || !publishableKey) return null
    if (cartId) return fetchPagoEfectivoStatus({ baseUrl, publishableKey, cartId, headers: headersRef.current, credentials })
    if (orderId) return fetchPagoEfectivoStatus({ baseUrl, publishableKey, orderId, headers: headersRef.current, credentials })
    return null
  }, [baseUrl, publishableKey, cartId, orderId, credentials])

  const status = cip?.status
  const code = cip?.code
  // an expired CIP of an order, given by the page: one question, whether it is renewable
  const askRenewable = status === "expired" && !!orderId && !fetchStatus && renewable === null
  useEffect(() => {
    if (!canFetch || (status && status !== "pending" && !askRenewable)) return
    let stopped = false
    let timer: ReturnType<typeof setTimeout> | undefined
    const tick = async () => {
      timer = undefined
      try {
        const answer = await load()
        if (stopped) return
        setError(null)
        const fresh = answer?.cip ?? null
        if (fresh) setCip(fresh)
        if (typeof answer?.cip_emails === "boolean") setEmails(answer.cip_emails)
        setRenewable(typeof answer?.renewable === "boolean" ? answer.renewable : fresh?.status === "expired" ? false : null)
        setLoading(false)
        if (fresh && fresh.status !== "pending") return
      } catch (e) {
        if (stopped) return
        setError(e as Error)
        setLoading(false)
      }
      if (!stopped) timer = setTimeout(tick, pollIntervalMs)
    }
    // given a CIP, the first question waits a round; without one, it goes out at once
    timer = setTimeout(tick, cip && !askRenewable ? pollIntervalMs : 0)
    const onVisible = () => {
      if (document.visibilityState === "visible" && timer) {
        clearTimeout(timer)
        void tick()
      }
    }
    document.addEventListener("visibilitychange", onVisible)
    return () => {
      stopped = true
      if (timer) clearTimeout(timer)
      document.removeEventListener("visibilitychange", onVisible)
    }
    // `cip` itself is left out on purpose: polling restarts only when the status or the code changes
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [canFetch, status, code, askRenewable, load, pollIntervalMs])

  const renew = useCallback(async () => {
    if (!orderId || !baseUrl || !publishableKey) return
    setRenewing(true)
    try {
      const { cip: fresh } = await renewPagoEfectivoCip({ baseUrl, publishableKey, orderId, headers: headersRef.current, credentials })
      setError(null)
      setRenewable(null)
      setCip(fresh)
    } catch (e) {
      setError(e as Error)
      setRenewable(false)
    } finally {
      setRenewing(false)
    }
  }, [orderId, baseUrl, publishableKey, credentials])

  return { cip, emails, loading, error, renewable, renew, renewing }
}

/** What the hook learns from one answer: the CIP, whether the store emails it, whether it is renewable. */
type VoucherStatus = { cip: PagoEfectivoCip; cip_emails: boolean | null; renewable?: boolean }

/** A `fetchStatus` answer, the CIP alone or the route's whole answer, as a VoucherStatus. */
function asStatus(x: PagoEfectivoCip | StorePagoEfectivoCipResponse | null): VoucherStatus | null {
  if (!x) return null
  if ("cip" in x && x.cip && typeof x.cip === "object") {
    return {
      cip: x.cip,
      cip_emails: typeof x.cip_emails === "boolean" ? x.cip_emails : null,
      ...(typeof x.renewable === "boolean" ? { renewable: x.renewable } : {}),
    }
  }
  return { cip: x as PagoEfectivoCip, cip_emails: null }
}

export type PagoEfectivoVoucherProps = UsePagoEfectivoCipOptions & {
  /** "es" (default) or "en". */
  locale?: VoucherLocale
  /** Replace any text. */
  labels?: Partial<VoucherLabels>
  className?: string
  classNames?: Partial<Record<VoucherPart, string>>
  /** No inline styles at all: style it with the class names alone. */
  unstyled?: boolean
  /** Leave out the "how to pay" steps. */
  hideSteps?: boolean
  /** Called once when the CIP turns paid while the page is open. */
  onPaid?: (cip: PagoEfectivoCip) => void
  /**
   * Whether the store emails the CIP: shows "we also emailed you this code" while it is unpaid.
   * Unset: as the status route says (`cip_emails`); until it has answered, no email is promised.
   */
  emails?: boolean
}

const GREEN = "#0a7d3b"
const STATUS_COLOR: Record<PagoEfectivoCipStatus, { fg: string; bg: string }> = {
  pending: { fg: "#8a5300", bg: "#fff4e0" },
  paid: { fg: GREEN, bg: "#e6f6ec" },
  expired: { fg: "#a32020", bg: "#fdeaea" },
  canceled: { fg: "#555", bg: "#f0f0f0" },
}

const STYLES: Record<Exclude<VoucherPart, "status">, CSSProperties> = {
  root: {
    fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    color: "#1a1a1a",
    background: "#fff",
    border: "1px solid #e3e3e3",
    borderRadius: 12,
    padding: 20,
    maxWidth: 560,
    boxSizing: "border-box",
    lineHeight: 1.4,
  },
  header: { display: "flex", justifyContent: "space-between", alignItems: "center", gap: 12, flexWrap: "wrap", marginBottom: 12 },
  code: { fontSize: 36, fontWeight: 700, letterSpacing: "0.08em", fontVariantNumeric: "tabular-nums", wordBreak: "break-all" },
  copyButton: {
    font: "inherit",
    fontSize: 14,
    padding: "6px 12px",
    borderRadius: 8,
    border: "1px solid #c9c9c9",
    background: "#fafafa",
    cursor: "pointer",
    marginLeft: 12,
    verticalAlign: "middle",
  },
  details: { display: "flex", gap: 20, flexWrap: "wrap", alignItems: "flex-start", margin: "16px 0" },
  amount: { fontSize: 22, fontWeight: 600 },
  expiry: { fontSize: 14, color: "#444" },
  countdown: { fontSize: 18, fontWeight: 600, fontVariantNumeric: "tabular-nums" },
  message: { margin: "12px 0", fontWeight: 600 },
  qr: { padding: 8, background: "#fff", border: "1px solid #eee", borderRadius: 8, lineHeight: 0 },
  link: { color: "#0b5fcc", fontSize: 14 },
  steps: { margin: "8px 0 0", paddingLeft: 20, fontSize: 14, color: "#333" },
  renewButton: {
    font: "inherit",
    fontSize: 16,
    fontWeight: 600,
    padding: "10px 18px",
    borderRadius: 8,
    border: "none",
    background: GREEN,
    color: "#fff",
    cursor: "pointer",
    margin: "4px 0 12px",
  },
}

const small: CSSProperties = { fontSize: 12, color: "#666", textTransform: "uppercase", letterSpacing: "0.04em" }

/**
 * The CIP for the shopper to pay: the code in large type with a copy button, the amount, the
 * expiry in Lima time with a live countdown, a QR code of the voucher URL, the voucher link, the
 * steps to pay, and a status that turns to paid without a reload (see usePagoEfectivoCip).
 *
 *   <PagoEfectivoVoucher cip={readPagoEfectivoCip(order)} orderId={order.id}
 *     baseUrl={MEDUSA_URL} publishableKey={KEY} locale="es" />
 */
export function PagoEfectivoVoucher(props: PagoEfectivoVoucherProps) {
  const { locale = "es", className, classNames = {}, unstyled = false, hideSteps = false, onPaid } = props
  const t: VoucherLabels = { ...(VOUCHER_LABELS[locale] ?? VOUCHER_LABELS.es), ...(props.labels ?? {}) }
  const { cip, emails: routeSaysEmails, renewable, renew, renewing, error } = usePagoEfectivoCip(props)
  const emails = props.emails ?? routeSaysEmails === true

  // the clock starts after mounting, so a server render and the first client render agree
  const [now, setNow] = useState<number | null>(null)
  const pending = cip?.status === "pending"
  useEffect(() => {
    setNow(Date.now())
    if (!pending || !cip?.expires_at) return
    const timer = setInterval(() => setNow(Date.now()), 1000)
    return () => clearInterval(timer)
  }, [pending, cip?.expires_at])

  const paidSeen = useRef(false)
  useEffect(() => {
    if (cip?.status === "paid" && !paidSeen.current) {
      paidSeen.current = true
      onPaid?.(cip)
    }
  }, [cip, onPaid])

  const [copied, setCopied] = useState(false)
  const copy = useCallback(async () => {
    if (!cip) return
    if (await copyText(cip.code)) {
      setCopied(true)
      setTimeout(() => setCopied(false), 2000)
    }
  }, [cip])

  if (!cip) return null

  const left = now === null ? null : countdown(cip.expires_at, now)
  // the expiry passed while the page was open: shown as expired until the store says otherwise
  const status: PagoEfectivoCipStatus = pending && left?.expired ? "expired" : cip.status
  const cls = (part: VoucherPart) => [`pe-voucher__${part}`, classNames[part]].filter(Boolean).join(" ")
  const css = (part: Exclude<VoucherPart, "status">, extra?: CSSProperties) => (unstyled ? undefined : { ...STYLES[part], ...extra })
  const expiresText = formatLimaDateTime(cip.expires_at, locale)
  const color = STATUS_COLOR[status]
  const canRenew = status === "expired" && renewable === true && !!props.orderId && !!props.baseUrl && !!props.publishableKey
  const message =
    status === "paid" ? t.paidMessage : status === "expired" ? (canRenew ? t.renewableMessage : t.expiredMessage) : status === "canceled" ? t.canceledMessage : null

  return (
    <section
      className={["pe-voucher", `pe-voucher--${status}`, className, classNames.root].filter(Boolean).join(" ")}
      style={css("root")}
      data-testid="pagoefectivo-voucher"
      data-status={status}
      lang={locale}
      aria-label={t.title}
    >
      <div className={cls("header")} style={css("header")}>
        <strong style={unstyled ? undefined : { fontSize: 16 }}>{t.title}</strong>
        <span
          className={cls("status")}
          style={unstyled ? undefined : { fontSize: 13, fontWeight: 600, padding: "3px 10px", borderRadius: 999, color: color.fg, background: color.bg }}
          role="status"
          aria-live="polite"
          data-testid="pagoefectivo-status"
        >
          {t.statuses[status]}
        </span>
      </div>

      <div style={unstyled ? undefined : small}>{t.codeLabel}</div>
      <div>
        <span className={cls("code")} style={css("code", status === "pending" ? undefined : { color: "#777" })} data-testid="pagoefectivo-cip-code">
          {cip.code}
        </span>
        {status === "pending" && (
          <button type="button" className={cls("copyButton")} style={css("copyButton")} onClick={copy} data-testid="pagoefectivo-copy">
            {copied ? t.copied : t.copy}
          </button>
        )}
      </div>

      {message && (
        <p className={cls("message")} style={css("message", { color: color.fg })} data-testid="pagoefectivo-message">
          {message}
        </p>
      )}

      {canRenew && (
        <button
          type="button"
          className={cls("renewButton")}
          style={css("renewButton")}
          onClick={() => void renew()}
          disabled={renewing}
          aria-busy={renewing}
          data-testid="pagoefectivo-renew"
        >
          {renewing ? t.renewing : t.renew}
        </button>
      )}
      {status === "expired" && error && !renewing && (
        <p className={cls("message")} style={css("message", { color: color.fg, fontWeight: 400 })} role="alert" data-testid="pagoefectivo-renew-error">
          {error.message}
        </p>
      )}

      <div className={cls("details")} style={css("details")}>
        <div style={unstyled ? undefined : { flex: "1 1 220px" }}>
          <div style={unstyled ? undefined : small}>{status === "paid" ? t.amountPaid : t.amount}</div>
          <div className={cls("amount")} style={css("amount")} data-testid="pagoefectivo-amount">
            {formatCipAmount(cip.amount, cip.currency)}
          </div>
          {expiresText && status === "pending" && (
            <>
              <div style={unstyled ? undefined : { ...small, marginTop: 12 }}>{t.expires}</div>
              <div className={cls("expiry")} style={css("expiry")} data-testid="pagoefectivo-expires">
                {expiresText} ({t.limaTime})
              </div>
            </>
          )}
          {status === "pending" && left && left.totalSeconds !== null && (
            <>
              <div style={unstyled ? undefined : { ...small, marginTop: 12 }}>{t.timeLeft}</div>
              <div className={cls("countdown")} style={css("countdown")} data-testid="pagoefectivo-countdown" aria-live="off">
                {formatCountdown(left)}
              </div>
            </>
          )}
        </div>
        {status === "pending" && cip.voucher_url && (
          <div className={cls("qr")} style={css("qr")} data-testid="pagoefectivo-qr">
            <QRCodeSVG value={cip.voucher_url} size={144} level="M" title={t.qrAlt} />
          </div>
        )}
      </div>

      {cip.voucher_url && status !== "canceled" && (
        <a className={cls("link")} style={css("link")} href={cip.voucher_url} target="_blank" rel="noopener noreferrer" data-testid="pagoefectivo-voucher-link">
          {t.voucherLink}
        </a>
      )}

      {status === "pending" && !hideSteps && (
        <div style={unstyled ? undefined : { marginTop: 16 }}>
          <strong style={unstyled ? undefined : { fontSize: 15 }}>{t.howToPay}</strong>
          <ol className={cls("steps")} style={css("steps")} data-testid="pagoefectivo-steps">
            {t.steps.map((s, i) => (
              <li key={i} style={unstyled ? undefined : { marginBottom: 6 }}>
                {s}
              </li>
            ))}
          </ol>
        </div>
      )}
      {status === "pending" && emails && (
        <p className={cls("message")} style={css("message", { fontWeight: 400, fontSize: 14 })} data-testid="pagoefectivo-email-notice">
          {t.emailNotice}
        </p>
      )}
    </section>
  )
}

async function copyText(value: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(value)
      return true
    }
  } catch {
    /* not allowed here (http, permissions): fall back */
  }
  try {
    const area = document.createElement("textarea")
    area.value = value
    area.setAttribute("readonly", "")
    area.style.position = "fixed"
    area.style.opacity = "0"
    document.body.appendChild(area)
    area.select()
    const ok = document.execCommand("copy")
    document.body.removeChild(area)
    return ok
  } catch {
    return false
  }
}
