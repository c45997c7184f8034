import { spawnSync } from "node:child_process"
import fs from "node:fs"
import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { FAILPOINTS } from "../../src/lib/failpoints"
import { sign } from "../../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { type GroupChild, REPO_ROOT, readLog, runMedusa, spawnMedusa } from "../../scripts/lib/medusa-process"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * Two Medusa processes on one database with Medusa's Redis event bus, workflow engine and locking
 * (database 7 of the Redis at 127.0.0.1:6379, so other users of that Redis are not disturbed).
 * Where no Redis answers, this spec alone is skipped and says why.
 */
const REDIS_URL = process.env.PAGOEFECTIVO_TEST_REDIS_URL ?? "redis://127.0.0.1:6379/7"
const redisAnswers = (() => {
  const { hostname: host, port } = new URL(REDIS_URL)
  const probe = spawnSync(
    process.execPath,
    ["-e", `const s=require("net").connect(${Number(port) || 6379},"${host}");s.setTimeout(1000,()=>process.exit(1));s.on("connect",()=>{s.write("PING\\r\\n")});s.on("data",d=>process.exit(String(d).startsWith("+PONG")?0:1));s.on("error",()=>process.exit(1))`],
    { timeout: 3000 }
  )
  return probe.status === 0
})()
if (!redisAnswers) {
  const why = `no Redis answers at ${REDIS_URL} (set PAGOEFECTIVO_TEST_REDIS_URL to point at one)`
  // eslint-disable-next-line no-console
  console.warn(`many-instances spec skipped: ${why}`)
  describe.skip(`two Medusa processes with Redis — skipped: ${why}`, () => {
    it("applies a notification delivered 20 times across both processes once", () => undefined)
    it("reconciles each refund once when both workers run the job", () => undefined)
  })
} else {
  manyInstances()
}

function manyInstances() {
  const sandbox = useSandbox()

  medusaIntegrationTestRunner({
    testSuite: ({ api, getContainer }) => {
      describe("two Medusa processes with Redis", () => {
        const shop = useStore(api, getContainer, sandbox)
        const workers: { child: GroupChild; url: string }[] = []
        const databaseUrl = () => getContainer().resolve(ContainerRegistrationKeys.CONFIG_MODULE).projectConfig.databaseUrl!
        const env = (port: number) => ({
          ...process.env,
          DATABASE_URL: databaseUrl(),
          REDIS_URL,
          PORT: String(port),
          MEDUSA_ADMIN_DISABLED: "true",
          NODE_ENV: "development",
          LOG_LEVEL: "info",
        })

        beforeAll(async () => {
          // flush this spec's Redis database, then start both processes
          spawnSync(process.execPath, ["-e", `const s=require("net").connect(${Number(new URL(REDIS_URL).port) || 6379},"${new URL(REDIS_URL).hostname}");s.on("connect",()=>s.write("SELECT ${new URL(REDIS_URL).pathname.slice(1) || 0}\\r\\nFLUSHDB\\r\\nQUIT\\r\\n"));s.on("close",()=>process.exit(0))`], { timeout: 3000 })
          for (const port of [19101, 19102]) {
            const child = spawnMedusa({
              args: ["start"],
              cwd: REPO_ROOT,
              env: env(port),
              logFile: path.join(REPO_ROOT, ".data", `many-instances-${port}.log`),
            })
            workers.push({ child, url: `http://localhost:${port}` })
          }
          await Promise.all(
            workers.map((w) =>
              eventually(async () => {
                if (!w.child.running) throw new Error(`medusa exited:\n${readLog(w.child.logFile).slice(-3000)}`)
                return fetch(`${w.url}/health`).then((r) => r.ok).catch(() => false)
              }, { timeoutMs: 100_000, intervalMs: 500, what: `${w.url}/health` })
            )
          )
        })

        afterAll(async () => {
          await Promise.all(workers.map((w) => w.child.stop()))
        })


        async function refundedOrder(amount: number) {
          const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: "rosa@example.pe" })
          await sandbox.pay(session.data.cip)
          const paid = await eventually(async () => {
            const o = await shop.orderOf(order.id)
            return o.payment_status === "captured" && o.summary.paid_total > 0 ? o : null
          }, { what: "order paid" })
          const before = paid.summary
          await api.post(`/admin/payments/${paid.payment_collections[0].payments[0].id}/refund`, { amount }, { headers: shop.admin })
          const [record] = await shop.pe().listPagoEfectivoRefunds({ order_id: order.id })
          return { orderId: order.id as string, paymentId: paid.payment_collections[0].payments[0].id as string, refundId: record.refund_id as string, cip: session.data.cip as string, before }
        }


        it("the same refund.rejected delivered 20 times concurrently across both processes is applied once", async () => {
          const { orderId, refundId, cip, before } = await refundedOrder(40)
          // PagoEfectivo rejects it (its own notification withheld), then its result arrives 20 times
          await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta cerrada", notify: false })
          const body = JSON.stringify({
            eventType: "refund.rejected",
            operationNumber: "4242",
            data: { refundId, referenceId: "RF1", cip, amount: 40, currency: "PEN", status: "rejected", reason: "cuenta cerrada" },
          })
          const signature = sign(SANDBOX_DEFAULTS.secretKey, body)
          const answers = await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
              fetch(`${workers[i % 2].url}/webhooks/pagoefectivo`, {
                method: "POST",
                headers: { "content-type": "application/json", "pe-signature": signature },
                body,
              }).then(async (r) => ({ status: r.status, body: await r.json() }))
            )
          )
          expect(answers.every((a) => a.status === 200)).toBe(true)
          expect(answers.filter((a) => a.body.duplicate === false)).toHaveLength(1)

          const record = await eventually(async () => {
            const [r] = await shop.pe().listPagoEfectivoRefunds({ refund_id: refundId })
            return r.reversed_at ? r : null
          }, { what: "refund undone", timeoutMs: 30_000 })
          expect(record.status).toBe("rejected")
          const [n] = await shop.pe().listPagoEfectivoNotifications({ refund_id: refundId })
          expect(n).toMatchObject({ deliveries: 20 })
          await eventually(async () => (await shop.pe().listPagoEfectivoNotifications({ refund_id: refundId }))[0].status === "processed", { what: "processed" })

          // undone exactly once: a second undo would push these below their values before the refund
          const order = await shop.orderOf(orderId)
          expect(order.payment_status).toBe("captured")
          expect(order.payment_collections[0].payments[0].refunds).toHaveLength(0)
          expect(Number(order.payment_collections[0].refunded_amount)).toBe(0)
          expect(order.summary.refunded_total).toEqual(before.refunded_total)
          expect(order.summary.pending_difference).toBeCloseTo(before.pending_difference - 40, 2)
          expect(await shop.booksAgree(orderId)).toMatchObject({ gateway: 0, medusa: 0, summary: 0 })
        })

        it("the reconciliation run by both workers at once: one runs it under the lock, the other skips", async () => {
          await sandbox.fault({ path: "notifications", eventType: "refund.rejected", drop: true })
          const first = await refundedOrder(30)
          const second = await refundedOrder(20)
          for (const r of [first, second]) await sandbox.call("POST", `/__sandbox/refunds/${r.refundId}/reject`, { wait: true })

          // the first run holds the lock until the second one has finished: they overlap for sure
          const go = path.join(REPO_ROOT, ".data", `many-instances-go-${Date.now()}`)
          const reconcile = (port: number, extra: Record<string, string> = {}) =>
            runMedusa({
              args: ["exec", "./src/scripts/reconcile-pagoefectivo.ts", "0"],
              cwd: REPO_ROOT,
              env: { ...env(port), ...extra },
              logFile: path.join(REPO_ROOT, ".data", `many-instances-reconcile-${port}.log`),
            })
          const holder = reconcile(19201, { PAGOEFECTIVO_FAILPOINTS: `${FAILPOINTS.reconcileLocked}=until:${go}` })
          await eventually(async () => readLog(path.join(REPO_ROOT, ".data", "many-instances-reconcile-19201.log")).includes(`failpoint ${FAILPOINTS.reconcileLocked} reached`), { timeoutMs: 100_000, intervalMs: 500, what: "the first run inside its lock" })
          const skipper = await reconcile(19202)
          fs.writeFileSync(go, "")
          const held = await holder
          fs.rmSync(go, { force: true })
          for (const run of [held, skipper]) expect(run.code).toBe(0)
          expect(skipper.output).toMatch(/pagoefectivo reconcile: skipped \(another worker is reconciling\)/)
          expect(held.output).toMatch(/pagoefectivo reconcile: refunds checked=2 completed=0 failed=0 undone=2/)

          for (const r of [first, second]) {
            const books = await shop.booksAgree(r.orderId)
            expect(books).toMatchObject({ gateway: 0, medusa: 0, summary: 0, payment_status: "captured" })
          }
        })

        it("refund results delivered across the server and worker at once: every order's books agree", async () => {
          const orders = [await refundedOrder(40), await refundedOrder(30), await refundedOrder(20)]
          // a second refund on each, then every refund settled at once, half of them rejected
          for (const o of orders) await api.post(`/admin/payments/${o.paymentId}/refund`, { amount: 10 }, { headers: shop.admin })
          const records = (await Promise.all(orders.map((o) => shop.pe().listPagoEfectivoRefunds({ order_id: o.orderId })))).flat()
          // results go to the first process; Redis hands their events to either
          await sandbox.config({ notifyUrl: `${workers[0].url}/webhooks/pagoefectivo` })
          await Promise.all(records.map((r: any, i: number) => sandbox.call("POST", `/__sandbox/refunds/${r.refund_id}/${i % 2 ? "complete" : "reject"}`, { wait: true })))
          for (const o of orders) await shop.booksAgree(o.orderId, { timeoutMs: 30_000 })
        })
      })
    },
  })
}
