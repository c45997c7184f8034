import { parseCsv, toCsvLine } from "../csv"

describe("parseCsv", () => {
  it("reads plain, quoted and escaped fields with their line numbers", () => {
    const rows = parseCsv('pay_1,10.50,talla\r\n\r\n"order_2","",\n"pay_3",5,"dice ""hola"", y\nadiós"\nlast,1')
    expect(rows).toEqual([
      { line: 1, fields: ["pay_1", "10.50", "talla"] },
      { line: 3, fields: ["order_2", "", ""] },
      { line: 4, fields: ["pay_3", "5", 'dice "hola", y\nadiós'] },
      { line: 6, fields: ["last", "1"] },
    ])
  })

  it("skips a byte order mark and blank lines", () => {
    expect(parseCsv("\ufeffa,b\n\n\n")).toEqual([{ line: 1, fields: ["a", "b"] }])
  })

  it("names the line of an unclosed quote", () => {
    expect(() => parseCsv('a,1\nb,"2\nc,3')).toThrow("line 2: a quoted field is not closed")
  })
})

describe("toCsvLine", () => {
  it("quotes what needs it, keeps formulas as text, and reads back", () => {
    const line = toCsvLine(["order_1", 10.5, null, 'dice "hola", y\nadiós', "=HYPERLINK(1)", "-5"])
    expect(line).toBe('order_1,10.5,,"dice ""hola"", y\nadiós",\'=HYPERLINK(1),\'-5\r\n')
    expect(parseCsv(line)[0].fields).toEqual(["order_1", "10.5", "", 'dice "hola", y\nadiós', "'=HYPERLINK(1)", "'-5"])
  })
})
