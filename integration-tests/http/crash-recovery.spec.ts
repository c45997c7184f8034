import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { FAILPOINTS } from "../../src/lib/failpoints"
import { type GroupChild, REPO_ROOT, readLog, runMedusa, spawnMedusa } from "../../scripts/lib/medusa-process"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * A real `medusa start` process killed with SIGKILL at a chosen point of a money path (a
 * failpoint, or a refund call PagoEfectivo holds), then the reconciliation run in a fresh
 * process (`medusa exec`): the books end equal to PagoEfectivo's.
 */
const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const databaseUrl = () => getContainer().resolve(ContainerRegistrationKeys.CONFIG_MODULE).projectConfig.databaseUrl!
    const env = (port: number, extra: Record<string, string> = {}) => ({
      ...process.env,
      DATABASE_URL: databaseUrl(),
      PORT: String(port),
      MEDUSA_ADMIN_DISABLED: "true",
      NODE_ENV: "development",
      LOG_LEVEL: "info",
      REDIS_URL: "",
      ...extra,
    })
    let worker: GroupChild | null = null

    async function startWorker(port: number, extra: Record<string, string>) {
      worker = spawnMedusa({ args: ["start"], cwd: REPO_ROOT, env: env(port, extra), logFile: path.join(REPO_ROOT, ".data", `crash-recovery-${port}.log`) })
      const w = worker
      await eventually(async () => {
        if (!w.running) throw new Error(`medusa exited:\n${readLog(w.logFile).slice(-3000)}`)
        return fetch(`http://localhost:${port}/health`).then((r) => r.ok).catch(() => false)
      }, { timeoutMs: 120_000, intervalMs: 500, what: `medusa on ${port}` })
      return { url: `http://localhost:${port}`, child: w }
    }

    async function kill(child: GroupChild) {
      child.signalGroup("SIGKILL")
      await child.exited
    }

    /** The reconciliation in a process of its own, as the scheduled job or an operator would run it. */
    async function reconcileInFreshProcess(port: number) {
      const run = await runMedusa({
        args: ["exec", "./src/scripts/reconcile-pagoefectivo.ts", "0"],
        cwd: REPO_ROOT,
        env: env(port),
        logFile: path.join(REPO_ROOT, ".data", `crash-recovery-reconcile-${port}.log`),
      })
      expect(run.code).toBe(0)
      const line = run.output.match(/pagoefectivo reconcile: .*/)?.[0] ?? ""
      expect(line).not.toBe("")
      return line
    }

    afterEach(async () => {
      if (worker) await kill(worker)
      worker = null
    })

    it("killed in the middle of an undo: Medusa's rows half changed; the reconciliation finishes it", async () => {
      await sandbox.config({ refunds: { autoSettle: "none" } })
      const { orderId, paymentId } = await shop.paidOrder()
      expect((await shop.refund(paymentId, 40)).status).toBe(200)
      const [record] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })

      const { url, child } = await startWorker(19301, { PAGOEFECTIVO_FAILPOINTS: FAILPOINTS.booksMidway })
      await sandbox.config({ notifyUrl: `${url}/webhooks/pagoefectivo` })
      await sandbox.call("POST", `/__sandbox/refunds/${record.refund_id}/reject`, { reason: "cuenta cerrada", wait: true })
      await eventually(async () => readLog(child.logFile).includes(`pagoefectivo failpoint ${FAILPOINTS.booksMidway} reached`), { timeoutMs: 60_000, what: "the undo to reach its midpoint" })
      await kill(child)

      // what the crash left: the refund rejected, its Refund row gone, the order still counting it
      const left = await shop.books(orderId)
      expect(left).toMatchObject({ gateway: 0, medusa: 0, summary: 40 })
      expect((await shop.pe().listPagoEfectivoRefunds({ refund_id: record.refund_id }))[0].status).toBe("rejected")

      // the notification the dead process was applying is applied again, which finishes the undo
      const line = await reconcileInFreshProcess(19302)
      expect(line).toMatch(/notifications retried=1/)
      expect(line).toMatch(/books unbalanced=\d+ converged=\d+ errors=0/)
      await shop.booksAgree(orderId)
      expect(await shop.books(orderId)).toMatchObject({ gateway: 0, medusa: 0, summary: 0, collection: 0, payment_status: "captured" })
    })

    it("killed before the provider wrote its record: the Refund row Medusa committed stops counting (no call was made)", async () => {
      const { orderId, paymentId } = await shop.paidOrder()
      const { url, child } = await startWorker(19305, { PAGOEFECTIVO_FAILPOINTS: FAILPOINTS.providerRefundBeginning })
      const refunding = fetch(`${url}/admin/payments/${paymentId}/refund`, { method: "POST", headers: { ...shop.admin, "content-type": "application/json" }, body: JSON.stringify({ amount: 40 }) }).catch(() => null)
      await eventually(async () => readLog(child.logFile).includes(`pagoefectivo failpoint ${FAILPOINTS.providerRefundBeginning} reached`), { timeoutMs: 60_000, what: "the provider before its record" })
      await kill(child)
      await refunding
      // what the crash left: Medusa's Refund row, no record, nothing at PagoEfectivo
      expect(await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })).toHaveLength(0)
      expect(await shop.books(orderId)).toMatchObject({ gateway: 0, medusa: 40, summary: 0 })

      await new Promise((r) => setTimeout(r, Number(process.env.PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS) * 1000 + 500))
      const line = await reconcileInFreshProcess(19306)
      expect(line).toMatch(/books unbalanced=1 converged=1 errors=0/)
      expect(await shop.booksAgree(orderId)).toMatchObject({ gateway: 0, medusa: 0, summary: 0, payment_status: "captured" })
      expect((await sandbox.state()).counters.requests["POST /v1/refunds"] ?? 0).toBe(0)
    })

    it("killed in the middle of a refund call PagoEfectivo then completes: the refund is booked, once", async () => {
      await sandbox.config({ refunds: { autoSettle: "none" } })
      const { orderId, paymentId, order } = await shop.paidOrder()
      const { url, child } = await startWorker(19303, {})
      // PagoEfectivo receives the call and works on it past the process's death
      await sandbox.fault({ path: "/v1/refunds", method: "POST", hold: true, times: 1 })
      const refunding = fetch(`${url}/admin/payments/${paymentId}/refund`, { method: "POST", headers: { ...shop.admin, "content-type": "application/json" }, body: JSON.stringify({ amount: 40 }) }).catch(() => null)
      await eventually(async () => (await sandbox.state()).counters.held === 1, { what: "the refund call held at PagoEfectivo" })
      await kill(child)
      await refunding
      await sandbox.releaseHeld()
      await eventually(async () => (await sandbox.state()).refunds.length === 1, { what: "PagoEfectivo to make the refund" })

      // what the crash left: Medusa's Refund row (committed before the call), the record
      // "requested", no order transaction
      const [record] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })
      expect(record.status).toBe("requested")
      expect(await shop.books(orderId)).toMatchObject({ gateway: 40, medusa: 40, summary: 0 })

      // the lease runs out (no heartbeat), then Medusa's grace to book it
      await shop.afterLease(record.refund_id)
      await new Promise((r) => setTimeout(r, Number(process.env.PAGOEFECTIVO_REFUND_CALL_LEASE_SECONDS) * 1000 + 500))
      const line = await reconcileInFreshProcess(19304)
      expect(line).toMatch(/books unbalanced=1 converged=1 errors=0/)
      await shop.booksAgree(orderId)
      const after = await shop.orderOf(orderId)
      expect(after.payment_status).toBe("partially_refunded")
      // booked as Medusa would have: the order owes the shopper nothing more
      expect(after.summary.pending_difference).toBeCloseTo(order.summary.pending_difference, 2)
      expect((await shop.pe().listPagoEfectivoRefunds({ refund_id: record.refund_id }))[0].status).toBe("pending")
      expect((await sandbox.state()).counters.refundsCreated).toBe(1)
    })
  },
})
