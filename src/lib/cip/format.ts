/**
 * Formatting for the voucher, done by hand rather than with Intl so that a server render and the
 * browser agree to the character (ICU data differs between Node builds and browsers). Pure.
 */

export type VoucherLocale = "es" | "en"

const SYMBOLS: Record<string, string> = { PEN: "S/", USD: "US$" }

/**
 * "199.9" + "PEN" → "S/ 199.90"; 1234.5 + "USD" → "US$ 1,234.50". Peru writes amounts with a
 * point for decimals and commas for thousands, in Spanish and in English alike. An unknown
 * currency is written as its code; an amount that is not a number comes back as given.
 */
export function formatCipAmount(amount: string | number | null | undefined, currency: string | null | undefined): string {
  const code = (currency ?? "").toUpperCase()
  const symbol = SYMBOLS[code] ?? code
  const s = amount === null || amount === undefined ? "" : String(amount).trim()
  const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(s)
  if (!m) return [symbol, s].filter(Boolean).join(" ")
  const units = m[1].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",")
  const cents = (m[2] ?? "").padEnd(2, "0")
  return `${symbol} ${units}.${cents}`.trim()
}

/** Peru is UTC-05:00 all year (no daylight saving time). */
const LIMA_OFFSET_MS = -5 * 3600_000
const MONTHS: Record<VoucherLocale, string[]> = {
  es: ["ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic."],
  en: ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}

/** "2026-11-27T23:59:59-05:00" → "27 nov. 2026, 23:59" (es) / "27 Nov 2026, 23:59" (en), in Lima time. */
export function formatLimaDateTime(iso: string | null | undefined, locale: VoucherLocale = "es"): string | null {
  const t = iso ? Date.parse(iso) : NaN
  if (Number.isNaN(t)) return null
  const d = new Date(t + LIMA_OFFSET_MS)
  const p = (n: number) => String(n).padStart(2, "0")
  const month = (MONTHS[locale] ?? MONTHS.es)[d.getUTCMonth()]
  return `${d.getUTCDate()} ${month} ${d.getUTCFullYear()}, ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`
}

export type Countdown = {
  /** True once the expiry has passed (or when there is no valid expiry: `totalSeconds` is then null). */
  expired: boolean
  totalSeconds: number | null
  days: number
  hours: number
  minutes: number
  seconds: number
}

/** Time left until `expiresAt`, at `now` (ms since the epoch), in whole seconds rounded down. */
export function countdown(expiresAt: string | null | undefined, now: number): Countdown {
  const t = expiresAt ? Date.parse(expiresAt) : NaN
  if (Number.isNaN(t)) return { expired: false, totalSeconds: null, days: 0, hours: 0, minutes: 0, seconds: 0 }
  const total = Math.max(0, Math.floor((t - now) / 1000))
  return {
    expired: t <= now,
    totalSeconds: total,
    days: Math.floor(total / 86_400),
    hours: Math.floor((total % 86_400) / 3600),
    minutes: Math.floor((total % 3600) / 60),
    seconds: total % 60,
  }
}

/** "1 d 02:03:04", "02:03:04"; "" when there is no expiry to count down to. */
export function formatCountdown(c: Countdown): string {
  if (c.totalSeconds === null) return ""
  const p = (n: number) => String(n).padStart(2, "0")
  const clock = `${p(c.hours)}:${p(c.minutes)}:${p(c.seconds)}`
  return c.days > 0 ? `${c.days} d ${clock}` : clock
}
