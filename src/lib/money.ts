/**
 * The one reader of an amount a person or a file gives (a refund batch's line, the CSV script,
 * the admin's batch upload): a plain decimal, in the payment's currency, meaning exactly what it
 * shows. Dependency-free, so that the admin's browser bundle checks a file the same way the
 * server does.
 *
 * Accepted: digits, optionally a point and at most the currency's decimals (`10`, `10.5`,
 * `10.50`, `0.99`), surrounded by nothing but spaces or tabs; more than 0, at most 16 integer
 * digits (PagoEfectivo's limit). A JSON number is read as the digits it prints as (`16` → `16`;
 * `1e21` prints with an exponent and is refused).
 *
 * Refused, each with its reason: empty, hexadecimal / binary / octal notation (`0x10`, `0b11`,
 * `0o17`), exponents (`1e1`), any sign (`+5`, `-5`), thousands separators (`1,234.50`,
 * `1 234`, `1_000`, `1'000`), a decimal comma (`10,50`), spaces or invisible characters inside,
 * non-ASCII digits (`١٠`, `１０`), a leading or trailing point (`.50`, `5.`), leading zeros
 * (`007`), a currency sign or code, more decimals than the currency has, zero.
 */

/** Decimals of the currencies PagoEfectivo takes (its API carries 2 for both). */
export const MONEY_DECIMALS: Readonly<Record<string, number>> = { PEN: 2, USD: 2 }
export const MAX_INTEGER_DIGITS = 16

export type MoneyReading = { ok: true; text: string } | { ok: false; message: string }

const PLAIN = /^(\d+)(?:\.(\d+))?$/

/**
 * `input` → `{ ok: true, text }` with exactly the currency's decimals (`"5"` → `"5.00"`), or
 * `{ ok: false, message }` saying why, written to follow the field's name ("amount must …").
 * `currency` defaults to PEN's rule (PEN and USD share it); an unknown currency is refused.
 */
export function readMoney(input: unknown, { currency = "PEN" }: { currency?: string } = {}): MoneyReading {
  const decimals = MONEY_DECIMALS[currency.toUpperCase()]
  if (decimals === undefined) return no(`cannot be read in ${currency}: PagoEfectivo takes ${Object.keys(MONEY_DECIMALS).join(" or ")}`)
  let text: string
  if (typeof input === "number") {
    if (!Number.isFinite(input)) return no("must be a finite number")
    text = String(input)
  } else if (typeof input === "string") {
    text = input.replace(/^[ \t]+|[ \t]+$/g, "")
  } else {
    return no(`must be a decimal amount such as 10.50 (a string or a number), got ${input === null ? "null" : Array.isArray(input) ? "a list" : typeof input}`)
  }
  const m = PLAIN.exec(text)
  if (!m) return no(whyNotPlain(text, decimals))
  const [, whole, fraction = ""] = m
  if (whole.length > 1 && whole.startsWith("0")) return no(`must not start with a 0 (${show(text)}): write ${whole.replace(/^0+(?=\d)/, "")}${fraction ? `.${fraction}` : ""}`)
  if (fraction.length > decimals) return no(`has ${fraction.length} decimals (${show(text)}); ${currency.toUpperCase()} has ${decimals}`)
  if (whole.length > MAX_INTEGER_DIGITS) return no(`has more than ${MAX_INTEGER_DIGITS} integer digits`)
  if (/^0+$/.test(whole + fraction)) return no("must be more than 0")
  return { ok: true, text: `${whole}.${fraction.padEnd(decimals, "0")}` }
}

const no = (message: string): MoneyReading => ({ ok: false, message })

/** The input quoted, shortened, with invisible characters made visible. */
function show(text: string): string {
  const cut = text.length > 40 ? `${text.slice(0, 40)}…` : text
  return JSON.stringify(cut).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)
}

/** Why `text` (trimmed of spaces and tabs) is not a plain decimal: the most specific reason first. */
function whyNotPlain(text: string, decimals: number): string {
  const example = `write it as digits with at most ${decimals} decimals after a point, such as 1234.50`
  const quoted = show(text)
  if (text === "") return "is empty: write an amount such as 10.50, or leave the amount out to refund everything still refundable"
  if (/^[+-]/.test(text)) return `must not have a sign (${quoted}): a refund amount is written without + or -`
  if (/^0[xX]/.test(text)) return `is in hexadecimal notation (${quoted}): ${example}`
  if (/^0[bB]/.test(text)) return `is in binary notation (${quoted}): ${example}`
  if (/^0[oO]/.test(text)) return `is in octal notation (${quoted}): ${example}`
  if (/^[\d.]+[eE][+-]?\d+$/.test(text)) return `uses an exponent (${quoted}): ${example}`
  if (/[^\x00-\x7f]/.test(text) && /\p{Nd}/u.test(text.replace(/[0-9]/g, ""))) return `has digits other than 0-9 (${quoted}): ${example}`
  if (/[\s\u00a0\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff]/.test(text) && /^[\d\s\u00a0\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff.,']+$/.test(text)) {
    return /\d[\s\u00a0\u202f]\d{3}(\D|$)/.test(text)
      ? `has a space as a thousands separator (${quoted}): ${example}`
      : `has a space or an invisible character inside (${quoted}): ${example}`
  }
  if (/^\d+,\d{1,2}$/.test(text) && !/^\d{1,3},\d{3}$/.test(text)) return `has a decimal comma (${quoted}): write the decimals after a point, such as ${text.replace(",", ".")}`
  if (/^\d{1,3}([,_'’]\d{3})+(\.\d*)?$/.test(text) || /^\d+([,_'’]\d+)+(\.\d*)?$/.test(text)) return `has a thousands separator (${quoted}): ${example}`
  if (/^\.\d+$/.test(text)) return `must start with a digit (${quoted}): write 0${text}`
  if (/^\d+\.$/.test(text)) return `must have digits after its point (${quoted}): write ${text.slice(0, -1)} or ${text}${"0".repeat(decimals)}`
  if (/^(S\/|US\$|\$|PEN|USD|S\.)\s*[\d.,]+$|^[\d.,]+\s*(PEN|USD|soles)$/i.test(text)) return `must not name a currency (${quoted}): the amount is in the payment's currency; write the number alone`
  if (/[\u0000-\u001f\u007f\s]/.test(text)) return `has a space, line break or control character inside (${quoted}): ${example}`
  return `is not a plain decimal amount (${quoted}): ${example}`
}
