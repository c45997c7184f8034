import { readMoney } from "../money"

describe("readMoney: the one reader of an amount a person or a file gives", () => {
  it.each([
    ["10", "10.00"],
    ["10.5", "10.50"],
    ["10.50", "10.50"],
    ["0.01", "0.01"],
    ["0.5", "0.50"],
    ["  199.90\t", "199.90"],
    ["1234567890123456.99", "1234567890123456.99"],
    [16, "16.00"],
    [20.5, "20.50"],
    [0.01, "0.01"],
  ])("accepts %j as %s", (input, text) => {
    expect(readMoney(input)).toEqual({ ok: true, text })
  })

  it.each([
    // JavaScript's number syntax: what `Number()` or bignumber.js would read
    ["0x10", /hexadecimal/],
    ["0X1F", /hexadecimal/],
    ["0b11", /binary/],
    ["0o17", /octal/],
    ["1e1", /exponent/],
    ["1E+2", /exponent/],
    ["2.5e-1", /exponent/],
    [1e21, /exponent|not a plain/],
    ["Infinity", /not a plain decimal/],
    ["NaN", /not a plain decimal/],
    [Number.NaN, /finite/],
    // signs
    ["-5", /sign/],
    ["+5", /sign/],
    [-3, /sign/],
    ["−5", /not a plain decimal/],
    // separators
    ["1,234.50", /thousands separator/],
    ["1,234", /thousands separator/],
    ["1_000", /thousands separator/],
    ["1'000", /thousands separator/],
    ["1 234.50", /space as a thousands separator/],
    ["1\u00a0234", /space as a thousands separator/],
    ["10,50", /decimal comma.*10\.50/],
    // whitespace and invisible characters inside
    ["10 .50", /space or an invisible character inside/],
    ["1\u200b0", /space or an invisible character inside/],
    ["10\n", /line break|space/],
    ["\u00a010", /space or an invisible character/],
    // digits other than 0-9
    ["١٠", /digits other than 0-9/],
    ["１０", /digits other than 0-9/],
    ["१०.५०", /digits other than 0-9/],
    // shape
    ["", /is empty/],
    ["   ", /is empty/],
    [".50", /must start with a digit.*0\.50/],
    ["5.", /digits after its point/],
    ["1.2.3", /not a plain decimal/],
    ["007.50", /must not start with a 0.*write 7\.50/],
    ["00", /must not start with a 0/],
    ["abc", /not a plain decimal/],
    ["S/ 10.00", /must not name a currency/],
    ["10 PEN", /must not name a currency/],
    ["$10", /must not name a currency/],
    // amounts
    ["10.005", /has 3 decimals.*PEN has 2/],
    [10.005, /has 3 decimals/],
    ["0", /more than 0/],
    ["0.00", /more than 0/],
    [0, /more than 0/],
    ["12345678901234567", /more than 16 integer digits/],
    // not text
    [null, /got null/],
    [true, /got boolean/],
    [[10], /got a list/],
    [{ value: "10" }, /got object/],
  ])("refuses %j, saying why", (input, why) => {
    const r = readMoney(input)
    expect(r.ok).toBe(false)
    expect(r.ok ? "" : r.message).toMatch(why as RegExp)
  })

  it("reads in the currency given, and refuses one PagoEfectivo does not take", () => {
    expect(readMoney("10.5", { currency: "usd" })).toEqual({ ok: true, text: "10.50" })
    expect(readMoney("10.555", { currency: "USD" })).toEqual({ ok: false, message: 'has 3 decimals ("10.555"); USD has 2' })
    expect(readMoney("10", { currency: "EUR" })).toEqual({ ok: false, message: "cannot be read in EUR: PagoEfectivo takes PEN or USD" })
  })
})
