/**
 * Finance export at scale: N refund records, downloaded through GET
 * /admin/pagoefectivo/refunds/export as CSV and as JSON, read as a stream by the client: rows/s,
 * and the Medusa server's resident memory (sampled from /proc every 50 ms) against its level
 * before the download.
 */
import fs from "node:fs"
import { type BenchStore, log, round } from "./harness"

function rssOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(status.match(/VmRSS:\s+(\d+) kB/)![1]) * 1024
}

export async function benchExport(b: BenchStore, rows: number) {
  log(`finance export: ${rows} refund records`)
  await b.db.query("delete from pagoefectivo_refund")
  await b.db.query(
    `insert into pagoefectivo_refund (id, refund_id, order_id, merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status,
        reason, reference_id, attempts, requested_at, settled_at, created_at, updated_at)
     select 'perefund_exp_' || i, 'ref_exp_' || i, 'order_exp_' || (i / 3), 'order_exp_' || (i / 3), (2500000 + i)::text, 'payses_' || i,
            12.34, '{"value":"12.34","precision":20}'::jsonb, 'PEN', 'completed', 'Devolución, talla "M"', 'RF' || i, '[]'::jsonb,
            now() - make_interval(secs => $1 - i), now(), now(), now()
     from generate_series(1, $1) as i`,
    [rows]
  )
  const pid = b.server.pid!
  const from = new Date(Date.now() - (rows + 3600) * 1000).toISOString()
  const to = new Date(Date.now() + 60_000).toISOString()
  const out: Record<string, { seconds: number; rowsPerSecond: number; megabytes: number; rssGrowthMb: number }> = {}
  for (const format of ["csv", "json"]) {
    await new Promise((r) => setTimeout(r, 1000))
    const base = rssOf(pid)
    let peak = base
    const sampler = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50)
    const started = performance.now()
    const res = await fetch(`${b.base}/admin/pagoefectivo/refunds/export?from=${from}&to=${to}&format=${format}`, { headers: b.admin })
    if (!res.ok || !res.body) throw new Error(`export failed: ${res.status} ${await res.text()}`)
    let bytes = 0
    let newlines = 0
    for await (const chunk of res.body as any as AsyncIterable<Uint8Array>) {
      bytes += chunk.byteLength
      for (const c of chunk) if (c === 10) newlines++
    }
    const seconds = (performance.now() - started) / 1000
    clearInterval(sampler)
    peak = Math.max(peak, rssOf(pid))
    // CSV: a header and a line per row; JSON: "[", a line per row, "]"
    const got = format === "csv" ? newlines - 1 : newlines - 2
    if (got !== rows) throw new Error(`export ${format}: expected ${rows} rows, got ${got}`)
    out[format] = { seconds: round(seconds, 2), rowsPerSecond: Math.round(rows / seconds), megabytes: round(bytes / 2 ** 20, 1), rssGrowthMb: round((peak - base) / 2 ** 20, 1) }
  }
  await b.db.query("delete from pagoefectivo_refund")
  return { rows, ...out }
}
