/**
 * A small RFC 4180 CSV reader: commas, double-quoted fields with "" escapes and embedded commas
 * or newlines, CRLF or LF line ends. Each row keeps the 1-based line it starts on, so errors can
 * name it. Blank lines are skipped. An unterminated quote is an error naming its line.
 */
export type CsvRow = { line: number; fields: string[] }

export function parseCsv(text: string): CsvRow[] {
  const rows: CsvRow[] = []
  let fields: string[] = []
  let field = ""
  let quoted = false
  let line = 1
  let rowLine = 1
  let i = 0
  const endRow = () => {
    fields.push(field)
    if (fields.length > 1 || fields[0].trim() !== "") rows.push({ line: rowLine, fields })
    fields = []
    field = ""
  }
  if (text.charCodeAt(0) === 0xfeff) i = 1 // a spreadsheet's byte order mark
  for (; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else {
        if (c === "\n") line++
        field += c
      }
      continue
    }
    if (c === '"' && field.trim() === "") {
      field = ""
      quoted = true
    } else if (c === ",") {
      fields.push(field)
      field = ""
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++
      endRow()
      line++
      rowLine = line
    } else field += c
  }
  if (quoted) throw new Error(`line ${rowLine}: a quoted field is not closed`)
  if (field !== "" || fields.length) endRow()
  return rows
}

/**
 * One CSV line (with its CRLF): fields quoted when they hold a comma, quote or line break, and a
 * text starting with = + - @ (a formula to a spreadsheet) prefixed with ' so it stays text.
 */
export function toCsvLine(fields: (string | number | null | undefined)[]): string {
  return (
    fields
      .map((f) => {
        if (f === null || f === undefined) return ""
        let s = String(f)
        if (typeof f === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`
        return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
      })
      .join(",") + "\r\n"
  )
}
