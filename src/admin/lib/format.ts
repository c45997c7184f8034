/** Formatting for the order panel: money and dates in the admin's language, and error messages. */
/**
 * The language of the admin ("es", "en", "ptBR"…) as a locale Intl accepts; Spanish as written in
 * Peru (S/ 40.00), where PagoEfectivo operates.
 */
export function intlLocale(language: string | undefined): string | undefined {
  const base = (language ?? "").slice(0, 2).toLowerCase()
  if (!base) return undefined
  if (base === "es") return "es-PE"
  try {
    return Intl.getCanonicalLocales(base)[0]
  } catch {
    return undefined
  }
}

export function formatMoney(amount: number | string | null, currency: string | null, locale?: string): string {
  if (amount === null || amount === undefined || amount === "") return "—"
  const n = Number(amount)
  if (!Number.isFinite(n)) return String(amount)
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: (currency || "PEN").toUpperCase() }).format(n)
  } catch {
    return `${currency ?? ""} ${n.toFixed(2)}`.trim()
  }
}

export function formatDate(value: string | null, locale?: string): string {
  if (!value) return "—"
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return value
  return new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short" }).format(d)
}

/** The error message of a failed js-sdk call (its FetchError carries the route's `message`). */
export const messageOf = (e: unknown) => (e instanceof Error ? e.message : String(e))
