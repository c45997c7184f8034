import { readBatchCsv } from "../csv-batch"

describe("readBatchCsv (the batch file of the CSV script and of the admin's PagoEfectivo page)", () => {
  it("reads id, amount and reason by the file's line, skipping a header line", () => {
    expect(readBatchCsv('payment_id,amount,reason\npay_1,10.50,talla\n\norder_2,,\n"pay_3",5,"dice ""hola"""\n')).toEqual({
      lines: [
        { line: 2, id: "pay_1", amount: "10.50", reason: "talla" },
        { line: 4, id: "order_2" },
        { line: 5, id: "pay_3", amount: "5", reason: 'dice "hola"' },
      ],
      problems: [],
    })
  })

  it("names every bad line: too many fields, an amount with a thousands separator", () => {
    const { lines, problems } = readBatchCsv("pay_1,1,234.50\npay_2,3,a,b\npay_3,4")
    expect(lines).toEqual([{ line: 3, id: "pay_3", amount: "4" }])
    expect(problems).toEqual([
      { line: 1, field: "amount", message: '"1,234.50" looks like an amount with a thousands separator: write 1234.50, or quote the field' },
      { line: 2, field: null, message: 'expected "payment or order id, amount, reason", got 4 fields' },
    ])
  })

  it("refuses an empty file, too many lines and an unclosed quote as a whole", () => {
    expect(readBatchCsv("payment_id,amount\n").problems).toEqual([{ line: null, field: null, message: "the file has no refunds" }])
    expect(readBatchCsv("pay_1\npay_2\npay_3", { maxLines: 2 }).problems).toEqual([{ line: null, field: null, message: "the file has 3 refunds; at most 2 per batch" }])
    expect(readBatchCsv('pay_1,"2').problems).toEqual([{ line: null, field: null, message: "line 1: a quoted field is not closed" }])
  })
})

describe("sha256Hex / csvBatchKey (the same batch key for a file in the browser as in the CSV script)", () => {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { createHash } = require("node:crypto") as typeof import("node:crypto")
  const { csvBatchKey, sha256Hex } = require("../sha256") as typeof import("../sha256")
  it("matches node:crypto on empty, short, multi-block and non-ASCII texts", () => {
    for (const text of ["", "abc", "pay_1,10.50,talla\r\n".repeat(40), "añadir ñandú, €, 日本 😀", "x".repeat(55), "x".repeat(56), "x".repeat(64)]) {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"))
    }
    expect(csvBatchKey("pay_1,10\n")).toBe(`csv-${createHash("sha256").update("pay_1,10\n").digest("hex").slice(0, 24)}`)
  })
})
