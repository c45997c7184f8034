/**
 * A small seeded generator of hostile inputs, for the specs that send a route thousands of cases
 * (integration-tests/http/no-5xx.spec.ts). Seeded: a failing case is reproduced by its seed and
 * index. No dependency: everything a case is made of is here.
 */

/** Percent-encodes `text` as its UTF-8 bytes (a lone surrogate goes as U+FFFD, as a browser sends it). */
export function encode(text: string): string {
  let out = ""
  for (const b of Buffer.from(text, "utf8")) out += /[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`
  return out
}

export class Gen {
  private s: number
  constructor(seed: number) {
    this.s = seed >>> 0 || 1
  }

  /** mulberry32: a float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0
    let t = this.s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)]
  }
  /** One of the weighted choices, each `[weight, make]`. */
  oneOf<T>(choices: [number, () => T][]): T {
    const total = choices.reduce((s, [w]) => s + w, 0)
    let r = this.next() * total
    for (const [w, make] of choices) if ((r -= w) < 0) return make()
    return choices[choices.length - 1][1]()
  }

  digits(n: number): string {
    let s = ""
    for (let i = 0; i < n; i++) s += String(this.int(0, 9))
    return s
  }

  /** Strings that have broken parsers, databases and encoders. */
  nasty(): string {
    return this.pick(NASTY)()
  }

  /** Any string: short text, nasty, long, unicode soup. */
  string(): string {
    return this.oneOf<string>([
      [4, () => this.nasty()],
      [3, () => this.word()],
      [2, () => this.unicode(this.int(0, 40))],
      [1, () => this.pick(["a", "x", "9", "-", "_"]).repeat(this.pick([63, 64, 65, 100, 101, 200, 201, 255, 256, 1000, 8000]))],
    ])
  }

  word(): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.:"
    let s = ""
    for (let i = this.int(1, 30); i > 0; i--) s += alphabet[this.int(0, alphabet.length - 1)]
    return s
  }

  /** Code points from every plane, lone surrogates and controls included. */
  unicode(n: number): string {
    let s = ""
    for (let i = 0; i < n; i++) {
      s += this.oneOf<string>([
        [4, () => String.fromCharCode(this.int(0x20, 0x7e))],
        [1, () => String.fromCharCode(this.int(0, 0x1f))],
        [2, () => String.fromCharCode(this.int(0x80, 0xd7ff))],
        [1, () => String.fromCharCode(this.int(0xd800, 0xdfff))],
        [1, () => String.fromCodePoint(this.int(0x10000, 0x10ffff))],
        [1, () => String.fromCharCode(this.int(0xe000, 0xffff))],
      ])
    }
    return s
  }

  number(): number {
    return this.oneOf<number>([
      [3, () => this.int(-5, 500)],
      [3, () => Math.round(this.next() * 100000) / 100],
      [2, () => this.pick([0, -0, 0.1, 0.001, 0.005, 0.015, 1e-7, 1e21, 1e308, -1e308, 5e-324, 2 ** 53, 2 ** 53 + 2, -1, 199.9, 199.91, 10.005, 1234567890123456.7])],
      [1, () => this.next() * 10 ** this.int(-10, 30)],
    ])
  }

  /** An amount as a person might type one, or mistype one. */
  amount(): unknown {
    return this.oneOf<unknown>([
      [3, () => `${this.int(0, 250)}${this.pick(["", "." + this.digits(this.int(0, 3)), ".5", ".05", ".00"])}`],
      [2, () => this.number()],
      [4, () => {
        const sign = this.pick(["", "", "", "+", "-", "−", "--"])
        const prefix = this.pick(["", "", "", "0x", "0X", "0b", "0o", "0", "00", "."])
        const body = this.pick([this.digits(this.int(1, 4)), "1,234", "1 234", "1_000", "1'000", "١٠", "１０", "१०", "10", "1" + "0".repeat(17)])
        const frac = this.pick(["", "", ".", "." + this.digits(this.int(1, 4)), ",50", ".5.5"])
        const exp = this.pick(["", "", "", "e1", "E+2", "e-1", "e400"])
        const pad = this.pick(["", "", " ", "\t", "\u00a0", "\u200b", "\n"])
        const around = this.pick(["", "", "S/ ", "$", " PEN"])
        return this.chance(0.5) ? `${pad}${sign}${prefix}${body}${frac}${exp}${pad}` : `${around}${sign}${body}${frac}`
      }],
      [1, () => this.nasty()],
      [1, () => this.json(1)],
    ])
  }

  /** An id-shaped string: a real one from `pool`, one like it, or anything. */
  id(pool: readonly string[]): string {
    return this.oneOf<string>([
      [4, () => this.pick(pool)],
      [2, () => `${this.pick(["pay", "order", "cart", "ref", "penotif", "return", "pe", "x"])}_${this.word().replace(/[^A-Za-z0-9]/g, "")}`],
      [1, () => this.pick(pool) + this.pick(["x", "%00", " ", "'", "/..", "%2F", "\u00e9"])],
      [2, () => this.string()],
    ])
  }

  /** Any JSON value, at most `depth` levels of arrays and objects. */
  json(depth = 3): unknown {
    return this.oneOf<unknown>([
      [2, () => this.string()],
      [2, () => this.number()],
      [1, () => this.pick([null, true, false])],
      [depth > 0 ? 1 : 0, () => Array.from({ length: this.int(0, 4) }, () => this.json(depth - 1))],
      [depth > 0 ? 2 : 0, () => this.object(depth - 1)],
    ])
  }

  object(depth = 2, keys: readonly string[] = []): Record<string, unknown> {
    const o: Record<string, unknown> = {}
    for (let i = this.int(0, 4); i > 0; i--) o[this.chance(0.6) && keys.length ? this.pick(keys) : this.pick([...KEYS, this.word()])] = this.json(depth)
    return o
  }

  /** A query string of the route's own parameters (some good, most not) and others. */
  query(params: Record<string, () => string>): string {
    const q: string[] = []
    const names = Object.keys(params)
    for (let i = this.int(0, 3); i > 0; i--) {
      const own = names.length && this.chance(0.8)
      const name = own ? this.pick(names) : this.pick([...KEYS, this.word(), "a[b]", "a[]", "__proto__[x]", "%00"])
      const value = own && this.chance(0.7) ? params[name]() : this.string()
      const raw = (t: string) => encode(t).replace(/%(2[0-9A-F]|3[A-F]|40|5[B-E]|60|7[B-E])/g, (m) => (/%(23|26|3F|20|25)/.test(m) ? m : decodeURIComponent(m)))
      q.push(`${this.chance(0.95) ? encode(name) : raw(name)}=${this.chance(0.9) ? encode(value) : raw(value)}`)
    }
    return q.length ? `?${q.join("&")}` : ""
  }

  /** A timestamp for a cursor: PostgreSQL's own form, near its bounds, or impossible. */
  timestamp(): string {
    const year = this.pick(["0000", "0001", "1970", "2026", "9999", "10000", "-0001", "0100", String(this.int(0, 9999)).padStart(4, "0")])
    const p = (n: number) => String(n).padStart(2, "0")
    const zone = this.pick(["+00", "Z", "-05", "+15", "-15:59", "+16", "+99", "+05:60", " America/Lima", "", "+00:00:00", "-00"])
    const frac = this.pick(["", ".123456", ".1234567", ".9"])
    return `${year}-${p(this.int(0, 13))}-${p(this.int(0, 32))}${this.pick([" ", "T"])}${p(this.int(0, 25))}:${p(this.int(0, 61))}:${p(this.int(0, 61))}${frac}${zone}`
  }

  cursor(): string {
    return this.oneOf<string>([
      [4, () => Buffer.from(JSON.stringify([this.timestamp(), this.chance(0.8) ? `refund:${this.word()}` : this.string()])).toString("base64url")],
      [1, () => Buffer.from(JSON.stringify(this.json(2))).toString("base64url")],
      [1, () => this.string()],
    ])
  }
}

const KEYS = ["id", "amount", "limit", "cursor", "status", "from", "to", "format", "reason", "bank_reference", "payment_id", "items", "batch_key", "currency_code", "__proto__", "constructor", "fields", "expand", "q", "order"]

const NASTY: (() => string)[] = [
  () => "",
  () => " ",
  () => "\u0000",
  () => "a\u0000b",
  () => "\ud800",
  () => "\udfff\ud800",
  () => "\ufeff",
  () => "\u202e",
  () => "😀",
  () => "null",
  () => "undefined",
  () => "NaN",
  () => "Infinity",
  () => "-Infinity",
  () => "[]",
  () => "{}",
  () => "true",
  () => "0",
  () => "-1",
  () => "0x10",
  () => "1e1",
  () => "1e400",
  () => "9".repeat(400),
  () => "%",
  () => "%00",
  () => "%E0%A4%A",
  () => "../../etc/passwd",
  () => "' OR '1'='1",
  () => "'; DROP TABLE payment; --",
  () => "$1",
  () => ":id",
  () => "\\",
  () => '"',
  () => "<script>alert(1)</script>",
  () => "=cmd|' /C calc'!A0",
  () => "\r\n\r\n",
  () => "2026-02-30",
  () => "0000-01-01",
  () => "10000-01-01",
  () => "2026-11-01T05:00:00+25:00",
  () => "2026-11-01T05:00:00",
  () => "-2026-11-01",
  () => "x".repeat(8000),
  () => "é".repeat(3000),
  () => "𝟘𝟙𝟚",
  () => "١٢٣",
]
