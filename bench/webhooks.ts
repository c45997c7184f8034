/**
 * Webhook benchmark: `npm run bench:webhooks` (`-- --smoke` for a short run).
 *
 * One real Medusa (started from this repo, admin off) on a fresh PostgreSQL database, the
 * sandbox, and, on the same 2-core machine:
 * 1. acknowledgement: autocannon, 32 connections, against POST /webhooks/pagoefectivo with
 *    valid, unique, signed refund notifications, and against Medusa's bare
 *    /hooks/payment/pp_system_default (which verifies and stores nothing), one after the other:
 *    requests/s, p50, p99, non-2xx; afterwards every notification must be stored exactly once;
 * 2. settlement: refunds made through the admin's refund route, then a signed refund.completed
 *    or refund.rejected for each: time from the route's acknowledgement until the refund record
 *    (and, for a rejection, Medusa's refund) shows the new status.
 * Figures go to bench/results.json (key "webhooks") and a table on stdout.
 */
import fs from "node:fs"
import path from "node:path"
import autocannon from "autocannon"
import { Client } from "pg"
import { sign } from "../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS, startSandbox } from "../sandbox/server"
import { recreateDatabase } from "../scripts/lib/demo-db"
import { REPO_ROOT, readLog, runMedusa, spawnMedusa } from "../scripts/lib/medusa-process"
import { ensurePostgres } from "../scripts/lib/postgres"
import { checkoutWithCip } from "../scripts/lib/storefront"

const smoke = process.argv.includes("--smoke")
const DURATION = Number(process.env.BENCH_DURATION) || (smoke ? 3 : 15)
const SETTLEMENTS = process.argv.includes("--ack-only") ? 0 : smoke ? 10 : 200
const CONNECTIONS = 32
const PORT = Number(process.env.BENCH_MEDUSA_PORT ?? 9300)
const LOG_DIR = path.join(REPO_ROOT, ".data", "bench")

const log = (s: string) => process.stdout.write(`${s}\n`)

async function main() {
  fs.mkdirSync(LOG_DIR, { recursive: true })
  const pg = await ensurePostgres({ log: (s) => log(`  ${s}`) })
  const dbName = "medusa_pagoefectivo_bench"
  await recreateDatabase(pg, dbName)
  const databaseUrl = `${pg.url}/${dbName}`
  const sandbox = await startSandbox({ port: 0, log: () => {}, config: { refunds: { autoSettle: "none" } } })
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    PAGOEFECTIVO_BASE_URL: sandbox.apiUrl,
    MEDUSA_ADMIN_DISABLED: "true",
    NODE_ENV: "development",
    LOG_LEVEL: "error",
    PORT: String(PORT),
  }
  const base = `http://localhost:${PORT}`
  const medusa = async (args: string[], name: string) => {
    const r = await runMedusa({ args, cwd: REPO_ROOT, env: { ...env, LOG_LEVEL: "info" }, logFile: path.join(LOG_DIR, `${name}.log`) })
    if (r.code !== 0) throw new Error(`medusa ${args.join(" ")} failed:\n${r.output.slice(-2000)}`)
    return r.output
  }

  log("setting up: migrations, seed, admin user")
  await medusa(["db:migrate"], "migrate")
  const seeded = JSON.parse((await medusa(["exec", "./src/scripts/seed-peru-store.ts"], "seed")).match(/pagoefectivo seed: (\{.*\})/)![1])
  await medusa(["user", "-e", "bench@tienda.pe", "-p", "bench-password"], "user")
  await fetch(`${sandbox.url}/__sandbox/config`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ notifyUrl: `${base}/webhooks/pagoefectivo` }),
  })

  const server = spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env, logFile: path.join(LOG_DIR, "medusa.log") })
  const db = new Client({ connectionString: databaseUrl })
  try {
    await waitFor(async () => server.running && (await fetch(`${base}/health`).then((r) => r.ok).catch(() => false)), 120_000, () => readLog(server.logFile).slice(-2000))
    await db.connect()

    // ---- 1. acknowledgement throughput --------------------------------------------------------
    let seq = 0
    const refundBody = () => {
      const refundId = `bench_${process.pid}_${++seq}`
      return JSON.stringify({
        eventType: "refund.completed",
        operationNumber: String(seq),
        data: { refundId, referenceId: `RF${seq}`, cip: "2523136", amount: 10, currency: "PEN", status: "completed", dateProcessed: "2026-11-25T10:00:00-05:00" },
      })
    }
    const run = (url: string, signed: boolean) =>
      autocannon({
        url,
        connections: CONNECTIONS,
        duration: DURATION,
        method: "POST",
        headers: { "content-type": "application/json" },
        requests: [
          {
            setupRequest: (req: any) => {
              const body = refundBody()
              return { ...req, body, headers: { ...req.headers, ...(signed ? { "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) } : {}) } }
            },
          },
        ],
      })
    log(`acknowledgement: ${CONNECTIONS} connections × ${DURATION} s per route`)
    // warm both routes up, then measure the baseline first and the plugin second
    await autocannon({ url: `${base}/hooks/payment/pp_system_default`, connections: 4, amount: 200, method: "POST", body: "{}", headers: { "content-type": "application/json" } })
    await autocannon({ url: `${base}/webhooks/pagoefectivo`, connections: 4, amount: 200, method: "POST", requests: [{ setupRequest: (req: any) => { const body = refundBody(); return { ...req, body, headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) } } } }] })
    const { rows: [{ count: storedBefore }] } = await db.query("select count(*)::int as count from pagoefectivo_notification")
    const bare = await run(`${base}/hooks/payment/pp_system_default`, false)
    const plugin = await run(`${base}/webhooks/pagoefectivo`, true)
    const { rows: [stored] } = await db.query("select count(*)::int as count, count(distinct key)::int as keys from pagoefectivo_notification")
    const pluginOk = plugin["2xx"]
    const ack = {
      connections: CONNECTIONS,
      durationSeconds: DURATION,
      plugin: summarize(plugin),
      bare: summarize(bare),
      ratio: round(plugin.requests.average / bare.requests.average, 3),
      p99Ratio: round(plugin.latency.p99 / Math.max(bare.latency.p99, 1), 3),
      // every acknowledged notification stored, none twice (autocannon drops the answers still in
      // flight when the time is up, so up to `connections` more may be stored than acknowledged)
      storedExactlyOnce:
        stored.count === stored.keys && stored.count - storedBefore >= pluginOk && stored.count - storedBefore <= pluginOk + CONNECTIONS,
      stored: stored.count - storedBefore,
      acknowledged: pluginOk,
    }

    // The burst left a backlog to apply in the background (at most 2 at a time): let it drain,
    // and time it, so that the settlement below is measured on an idle store.
    const drainStarted = performance.now()
    const backlog = Number((await db.query("select count(*) as n from pagoefectivo_notification where status = 'received'")).rows[0].n)
    await waitFor(async () => Number((await db.query("select count(*) as n from pagoefectivo_notification where status = 'received'")).rows[0].n) === 0, 20 * 60_000, undefined, 500)
    const drain = { backlog, seconds: round((performance.now() - drainStarted) / 1000, 1) }
    log(`background: a backlog of ${backlog} notifications applied in ${drain.seconds} s`)

    // ---- 2. settlement latency ----------------------------------------------------------------
    if (SETTLEMENTS) log(`settlement: ${SETTLEMENTS} refunds`)
    const store = { baseUrl: base, publishableKey: seeded.publishableKey }
    const login = await fetch(`${base}/auth/user/emailpass`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: "bench@tienda.pe", password: "bench-password" }) }).then((r) => r.json())
    const admin = { authorization: `Bearer ${login.token}`, "content-type": "application/json" }
    const refundIds: string[] = []
    const perOrder = 100
    for (let o = 0; refundIds.length < SETTLEMENTS; o++) {
      const { session, order } = await checkoutWithCip(store, { regionId: seeded.regionId, variantId: seeded.variantId, email: `bench${o}@example.pe` })
      await fetch(`${sandbox.url}/__sandbox/cips/${session.data.cip}/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ wait: true }) })
      const paymentId = await waitFor(async () => {
        const { order: o2 } = await fetch(`${base}/admin/orders/${order.id}?fields=payment_status,payment_collections.payments.id`, { headers: admin }).then((r) => r.json())
        return o2.payment_status === "captured" ? (o2.payment_collections[0].payments[0].id as string) : null
      }, 30_000)
      for (let i = 0; i < perOrder && refundIds.length < SETTLEMENTS; i++) {
        const amount = (0.5 + i * 0.01).toFixed(2) // distinct amounts: not a double click
        const res = await fetch(`${base}/admin/payments/${paymentId}/refund`, { method: "POST", headers: admin, body: JSON.stringify({ amount: Number(amount) }) })
        if (!res.ok) throw new Error(`refund failed: ${res.status} ${await res.text()}`)
        const { rows } = await db.query("select refund_id from pagoefectivo_refund where payment_id = $1 order by requested_at desc limit 1", [paymentId])
        refundIds.push(rows[0].refund_id)
      }
    }
    const settle: Record<"completed" | "rejected", number[]> = { completed: [], rejected: [] }
    for (const [i, refundId] of refundIds.entries()) {
      const status = i % 2 === 0 ? "completed" : "rejected"
      const { rows: [r] } = await db.query("select cip, amount::text from pagoefectivo_refund where refund_id = $1", [refundId])
      const body = JSON.stringify({
        eventType: `refund.${status}`,
        operationNumber: `s${i}`,
        data: { refundId, referenceId: `RFS${i}`, cip: r.cip, amount: Number(r.amount), currency: "PEN", status, reason: status === "rejected" ? "bench" : null },
      })
      const res = await fetch(`${base}/webhooks/pagoefectivo`, { method: "POST", headers: { "content-type": "application/json", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, body) }, body })
      const acked = performance.now()
      if (!res.ok) throw new Error(`notification answered ${res.status}`)
      await waitFor(async () => {
        const { rows: [now] } = await db.query(
          status === "completed"
            ? "select 1 from pagoefectivo_refund where refund_id = $1 and status = 'completed'"
            : "select 1 from pagoefectivo_refund p join refund r on r.id = p.refund_id where p.refund_id = $1 and p.status = 'rejected' and r.deleted_at is not null",
          [refundId]
        )
        return !!now
      }, 30_000, undefined, 2)
      settle[status].push(performance.now() - acked)
    }
    const all = [...settle.completed, ...settle.rejected]
    const settlement = {
      count: all.length,
      p50Ms: round(pct(all, 50), 1),
      p99Ms: round(pct(all, 99), 1),
      completed: { p50Ms: round(pct(settle.completed, 50), 1), p99Ms: round(pct(settle.completed, 99), 1) },
      rejected: { p50Ms: round(pct(settle.rejected, 50), 1), p99Ms: round(pct(settle.rejected, 99), 1) },
    }

    const result = { date: new Date().toISOString(), cores: require("node:os").cpus().length, smoke, ack, drain, settlement }
    writeResults("webhooks", result)
    log("")
    log(`| route | req/s | p50 ms | p99 ms | non-2xx |`)
    log(`|---|---|---|---|---|`)
    log(`| /webhooks/pagoefectivo (verify, store, hand off) | ${ack.plugin.rps} | ${ack.plugin.p50} | ${ack.plugin.p99} | ${ack.plugin.non2xx} |`)
    log(`| /hooks/payment/pp_system_default (bare) | ${ack.bare.rps} | ${ack.bare.p50} | ${ack.bare.p99} | ${ack.bare.non2xx} |`)
    log(`throughput ratio ${ack.ratio}, p99 ratio ${ack.p99Ratio}; ${ack.acknowledged} acknowledged, ${ack.stored} stored, each exactly once: ${ack.storedExactlyOnce}`)
    log(`settlement (ack → record/Medusa updated) over ${settlement.count}: p50 ${settlement.p50Ms} ms, p99 ${settlement.p99Ms} ms ` +
      `(completed p99 ${settlement.completed.p99Ms} ms, rejected+undo p99 ${settlement.rejected.p99Ms} ms)`)
  } finally {
    await db.end().catch(() => undefined)
    await server.stop()
    await sandbox.close()
    await pg.stop()
  }
}

function summarize(r: autocannon.Result) {
  return { rps: round(r.requests.average, 0), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx + r.errors + r.timeouts, requests: r.requests.total }
}

function pct(values: number[], p: number) {
  if (!values.length) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d

async function waitFor<T>(probe: () => Promise<T>, timeoutMs: number, explain?: () => string, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`timed out${explain ? `:\n${explain()}` : ""}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export function writeResults(key: string, value: unknown) {
  const file = path.join(REPO_ROOT, "bench", "results.json")
  const current = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {}
  current[key] = value
  fs.writeFileSync(file, JSON.stringify(current, null, 2) + "\n")
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? e}\n`)
    process.exit(1)
  }
)
