/**
 * The shopper's phone as PagoEfectivo's CIP wants it (`userPhone`: national digits, at most 15;
 * `userCodeCountry`: "+51"), so that PagoEfectivo's own SMS reminders reach them. Read from the
 * cart's address; a phone that cannot be split with confidence is left out (the CIP is issued
 * without it) rather than sent wrong.
 */

/** Calling codes of the countries a store selling into Peru is likely to ship to. */
const CALLING_CODES: Record<string, string> = {
  pe: "51",
  ar: "54",
  bo: "591",
  br: "55",
  ca: "1",
  cl: "56",
  co: "57",
  ec: "593",
  es: "34",
  mx: "52",
  py: "595",
  us: "1",
  uy: "598",
  ve: "58",
}
const BY_LENGTH = [...new Set(Object.values(CALLING_CODES))].sort((a, b) => b.length - a.length)

export type CipPhone = { userPhone: string; userCodeCountry: string }

export function cipPhone(phone: string | null | undefined, countryCode: string | null | undefined): CipPhone | null {
  const raw = (phone ?? "").trim().replace(/^\(\s*(?=\+)/, "")
  if (!raw || /[a-z]/i.test(raw)) return null
  const digits = raw.replace(/\D/g, "")
  const country = CALLING_CODES[(countryCode ?? "").trim().toLowerCase()]
  let code: string | undefined
  let national: string
  if (raw.startsWith("+") || raw.startsWith("00")) {
    const intl = raw.startsWith("00") ? digits.slice(2) : digits
    code = country && intl.startsWith(country) ? country : BY_LENGTH.find((c) => intl.startsWith(c))
    if (!code) return null
    national = intl.slice(code.length)
  } else {
    code = country
    national = digits
  }
  national = national.replace(/^0+/, "") // the trunk prefix (01 for Lima landlines)
  if (!code || national.length < 6 || national.length > 15) return null
  return { userPhone: national, userCodeCountry: `+${code}` }
}
