import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { type GroupChild, REPO_ROOT, readLog, runMedusa, spawnMedusa } from "../../scripts/lib/medusa-process"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * A burst of `cip.paid` to a real `medusa start` process, killed with SIGKILL in the middle of it
 * (some applied, some in the middle of their workflow, the rest acknowledged and waiting in the
 * process's queue), then restarted while the burst goes on: every notification is applied once,
 * every order captured once. The interleaving is forced: PagoEfectivo confirms the first payments
 * and holds every later confirmation (the provider's CIP search), so the process is killed in a
 * known state, not at a moment hoped for.
 */
const sandbox = useSandbox()
// two process boots and a reconciliation run (each ~20-60 s on a busy 2-core machine)
jest.setTimeout(400_000)

const CONCURRENCY = 2
const BEFORE = 10
const CONFIRMED = 3
const AFTER = 4

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const databaseUrl = () => getContainer().resolve(ContainerRegistrationKeys.CONFIG_MODULE).projectConfig.databaseUrl!
    const env = (port: number) => ({
      ...process.env,
      DATABASE_URL: databaseUrl(),
      PORT: String(port),
      MEDUSA_ADMIN_DISABLED: "true",
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      REDIS_URL: "",
      PAGOEFECTIVO_NOTIFICATION_CONCURRENCY: String(CONCURRENCY),
      // a held confirmation stays in flight until the kill (no timeout turns it into a failure first)
      PAGOEFECTIVO_REQUEST_TIMEOUT_MS: "120000",
    })
    const children: GroupChild[] = []

    async function start(port: number) {
      const child = spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env: env(port), logFile: path.join(REPO_ROOT, ".data", `notification-burst-crash-${port}.log`) })
      children.push(child)
      await eventually(async () => {
        if (!child.running) throw new Error(`medusa exited:\n${readLog(child.logFile).slice(-3000)}`)
        return fetch(`http://localhost:${port}/health`).then((r) => r.ok).catch(() => false)
      }, { timeoutMs: 120_000, intervalMs: 500, what: `medusa on ${port}` })
      await sandbox.config({ notifyUrl: `http://localhost:${port}/webhooks/pagoefectivo` })
      return child
    }

    const notifications = async () =>
      (await shop.pe().listPagoEfectivoNotifications({ event_type: "cip.paid" }, { take: 100 })) as { cip: string; status: string }[]
    const byStatus = async () =>
      (await notifications()).reduce<Record<string, number>>((n, { status }) => ({ ...n, [status]: (n[status] ?? 0) + 1 }), {})

    afterEach(async () => {
      for (const c of children.splice(0)) {
        c.signalGroup("SIGKILL")
        await c.exited
      }
    })

    it("killed with SIGKILL in the middle of a burst and restarted: every notification applied once, every order captured once", async () => {
      const orders: { orderId: string; cip: string }[] = []
      for (let i = 0; i < BEFORE + AFTER; i++) {
        const { session, order } = await checkoutWithCip(shop.store, { regionId: shop.seeded.regionId, variantId: shop.seeded.variantId, email: `burst${i}@example.pe` })
        orders.push({ orderId: order.id, cip: session.data.cip })
      }

      const first = await start(19311)
      // PagoEfectivo confirms CONFIRMED payments, then holds every later confirmation
      await sandbox.fault([
        { path: "/v1/cips/search", latencyMs: 0, times: CONFIRMED },
        { path: "/v1/cips/search", hold: true },
      ])
      // the first part of the burst: each acknowledged (stored) before the next is paid
      for (const { cip } of orders.slice(0, BEFORE)) await sandbox.pay(cip)

      // the state it is killed in: CONFIRMED applied, CONCURRENCY in the middle of their workflow
      // (waiting on PagoEfectivo), the rest acknowledged and queued
      await eventually(async () => (await byStatus()).processed === CONFIRMED && (await sandbox.state()).counters.held === CONCURRENCY, { timeoutMs: 60_000, what: "the burst to stop at the held confirmations" })
      expect(await byStatus()).toEqual({ processed: CONFIRMED, received: BEFORE - CONFIRMED })
      first.signalGroup("SIGKILL")
      await first.exited
      await sandbox.clearFaults()
      await sandbox.releaseHeld()

      // restarted; the burst goes on
      await start(19312)
      for (const { cip } of orders.slice(BEFORE)) await sandbox.pay(cip)
      await eventually(async () => (await byStatus()).processed === CONFIRMED + AFTER, { timeoutMs: 60_000, what: "the rest of the burst applied by the restarted process" })

      // what the killed process had acknowledged but not applied: applied by the reconciliation
      const run = await runMedusa({
        args: ["exec", "./src/scripts/reconcile-pagoefectivo.ts", "0"],
        cwd: REPO_ROOT,
        env: env(19313),
        logFile: path.join(REPO_ROOT, ".data", "notification-burst-crash-reconcile.log"),
      })
      expect(run.code).toBe(0)
      expect(run.output).toMatch(new RegExp(`notifications retried=${BEFORE - CONFIRMED}`))

      // every notification stored once and applied; every order captured once, for its total
      const stored = await notifications()
      expect(stored).toHaveLength(BEFORE + AFTER)
      expect(new Set(stored.map((n) => n.cip)).size).toBe(BEFORE + AFTER)
      expect(await byStatus()).toEqual({ processed: BEFORE + AFTER })
      for (const { orderId } of orders) {
        const order = await shop.orderOf(orderId)
        expect(order.payment_status).toBe("captured")
        expect(order.payment_collections).toHaveLength(1)
        expect(order.payment_collections[0].payments).toHaveLength(1)
        expect(order.payment_collections[0].payments[0].captures).toHaveLength(1)
        expect(order.summary.paid_total).toBeCloseTo(order.summary.original_order_total, 2)
      }
    })
  },
})
