import { decodeCursor, encodeCursor } from "../operations-sql"

describe("keyset cursors of the PagoEfectivo page's lists", () => {
  it("round-trip a position at full precision, opaque and URL-safe", () => {
    const c = { at: "2026-12-01 17:07:17.123456+00", key: "refund:ref_01ABC" }
    const text = encodeCursor(c)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeCursor(text)).toEqual(c)
  })

  it("refuse anything this code did not write, and impossible instants (a 400, never a database error)", () => {
    const of = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
    for (const bad of ["", "not-a-cursor", of({ at: "x" }), of(["2026-12-01 10:00:00+00"]), of([1, "k"]), of(["yesterday", "k"]), of(["2026-02-30 10:00:00+00", "k"]), of(["2026-12-01 24:00:00+00", "k"]), of(["2026-12-01 10:00:00+00", "k".repeat(201)])]) {
      expect([bad, decodeCursor(bad)]).toEqual([bad, null])
    }
  })
})
