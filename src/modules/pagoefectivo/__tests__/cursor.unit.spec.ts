import { decodeCursor, encodeCursor } from "../operations-sql"

describe("keyset cursors of the PagoEfectivo page's lists", () => {
  it("round-trip a position at full precision, opaque and URL-safe", () => {
    const c = { at: "2026-12-01 17:07:17.123456+00", key: "refund:ref_01ABC" }
    const text = encodeCursor(c)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(text)).toEqual(c)
  })

  it("refuse what PostgreSQL cannot hold: year 0000, five-digit years, negative years, impossible time zones, keys with U+0000 or a lone surrogate", () => {
    const of = (at: string, key = "refund:ref_1") => Buffer.from(JSON.stringify([at, key])).toString("base64url")
    const refused = [
      of("0000-01-01 00:00:00+00"),
      of("0000-12-31 23:59:59.999999+00"),
      of("10000-01-01 00:00:00+00"),
      of("-0001-01-01 00:00:00+00"),
      of("-2026-12-01 10:00:00+00"),
      of("2026-12-01 10:00:00+16"),
      of("2026-12-01 10:00:00-16:00"),
      of("2026-12-01 10:00:00+99:99"),
      of("2026-12-01 10:00:00+05:60"),
      of("2026-12-01 10:00:00 America/Lima"),
      of("2026-12-01 10:00:00+00", "refund:\u0000"),
      of("2026-12-01 10:00:00+00", "refund:\ud800"),
    ]
    for (const bad of refused) expect([Buffer.from(bad, "base64url").toString(), decodeCursor(bad)]).toEqual([Buffer.from(bad, "base64url").toString(), null])
    // the bounds PostgreSQL holds
    for (const at of ["0001-01-01 00:00:00+15", "0001-01-01 00:00:00+15:59", "9999-12-31 23:59:59.999999-15:59", "2026-12-01T10:00:00Z"]) {
      expect(decodeCursor(of(at))).toEqual({ at, key: "refund:ref_1" })
    }
  })

  it("refuse anything this code did not write, and impossible instants (a 400, never a database error)", () => {
    const of = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
    for (const bad of ["", "not-a-cursor", of({ at: "x" }), of(["2026-12-01 10:00:00+00"]), of([1, "k"]), of(["yesterday", "k"]), of(["2026-02-30 10:00:00+00", "k"]), of(["2026-12-01 24:00:00+00", "k"]), of(["2026-12-01 10:00:00+00", "k".repeat(201)])]) {
      expect([bad, decodeCursor(bad)]).toEqual([bad, null])
    }
  })
})
