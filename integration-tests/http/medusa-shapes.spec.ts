import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { reconcilePagoEfectivo } from "../../src/lib/reconciliation/reconcile"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * The guard for an unknown Medusa (src/modules/pagoefectivo/medusa-shapes.ts): at boot the plugin
 * checks the tables, columns and summary keys it writes. On a Medusa that differs it writes none
 * of Medusa's books, logs one error naming the version and what differs, shows it on the Health
 * tab, and keeps recording PagoEfectivo's verdicts; once the shapes match again (the plugin
 * updated), the reconciliation brings the books to those verdicts. The differing Medusa is made
 * here by changing this test database's own tables.
 */
const sandbox = useSandbox()
const installed = require("@medusajs/medusa/package.json").version as string

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const db = () => getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION) as any
    const health = async () => (await shop.call("GET", "/admin/pagoefectivo/health")).body.medusa
    const renamed: [string, string, string][] = []
    const rename = async (table: string, from: string, to: string) => {
      await db().raw(`ALTER TABLE "${table}" RENAME COLUMN "${from}" TO "${to}"`)
      renamed.push([table, to, from])
    }

    afterEach(async () => {
      for (const [table, from, to] of renamed.splice(0).reverse()) await db().raw(`ALTER TABLE "${table}" RENAME COLUMN "${from}" TO "${to}"`)
      await shop.pe().medusaShapes({ recheck: true })
      jest.restoreAllMocks()
    })

    it(`on this Medusa (${installed}) the shapes match: the books are written, the Health tab says so`, async () => {
      const check = await shop.pe().medusaShapes({ recheck: true })
      expect(check).toMatchObject({ medusa_version: installed, ok: true, differences: [] })
      expect(await health()).toMatchObject({ version: installed, books_written: true, differences: [] })
    })

    it("on a Medusa whose order summary differs: one error, nothing of Medusa's written, the rejection recorded; the books follow once it matches", async () => {
      await sandbox.config({ refunds: { autoSettle: "none" } })
      const { orderId, paymentId } = await shop.paidOrder()
      expect((await shop.refund(paymentId, 40)).status).toBe(200)
      await shop.booksAgree(orderId)
      const [{ refund_id: refundId }] = await shop.pe().listPagoEfectivoRefunds({ order_id: orderId })

      // the installed Medusa now keeps its order totals elsewhere
      await rename("order_summary", "totals", "totals_v2")
      const logger = getContainer().resolve(ContainerRegistrationKeys.LOGGER)
      const errors = jest.spyOn(logger, "error")
      const check = await shop.pe().medusaShapes({ recheck: true })
      expect(check).toMatchObject({ medusa_version: installed, ok: false, differences: ["order_summary.totals is missing"] })
      const logged = errors.mock.calls.map((c) => String(c[0])).filter((l) => l.startsWith("pagoefectivo: Medusa"))
      expect(logged).toHaveLength(1)
      expect(logged[0]).toContain(`Medusa ${installed} does not have the shapes this plugin writes: order_summary.totals is missing`)
      expect(await health()).toMatchObject({ version: installed, books_written: false, differences: ["order_summary.totals is missing"] })

      // PagoEfectivo rejects the refund: the verdict is recorded, Medusa's rows are left alone
      await sandbox.call("POST", `/__sandbox/refunds/${refundId}/reject`, { reason: "cuenta destino cerrada", wait: true })
      await eventually(async () => {
        const [n] = await shop.pe().listPagoEfectivoNotifications({ refund_id: refundId })
        return n && n.status !== "received" ? n : null
      }, { what: "the rejection applied" })
      expect((await shop.pe().listPagoEfectivoRefunds({ refund_id: refundId }))[0].status).toBe("rejected")
      const standing = async () => {
        const { rows } = await db().raw(
          `SELECT (SELECT count(*)::int FROM refund WHERE id = ? AND deleted_at IS NULL) AS refunds,
                  (SELECT count(*)::int FROM order_transaction WHERE reference_id = ? AND deleted_at IS NULL) AS transactions`,
          [refundId, refundId]
        )
        return rows[0]
      }
      expect(await standing()).toEqual({ refunds: 1, transactions: 1 })
      const sweep = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
      expect(sweep.books).toMatchObject({ unbalanced: 0, converged: 0, errors: 0, blocked: expect.stringContaining("order_summary.totals is missing") })
      expect(await standing()).toEqual({ refunds: 1, transactions: 1 })

      // the plugin updated for that Medusa (here: its tables as they were): the sweep converges
      for (const [table, from, to] of renamed.splice(0)) await db().raw(`ALTER TABLE "${table}" RENAME COLUMN "${from}" TO "${to}"`)
      expect((await shop.pe().medusaShapes({ recheck: true })).ok).toBe(true)
      const after = await reconcilePagoEfectivo(getContainer(), { olderThanMinutes: 0 })
      expect(after.books).toMatchObject({ converged: 1, errors: 0 })
      expect(after.books.blocked).toBeUndefined()
      expect(await standing()).toEqual({ refunds: 0, transactions: 0 })
      expect(await shop.booksAgree(orderId)).toMatchObject({ gateway: 0, medusa: 0, summary: 0, collection: 0 })
    })

    it("on a Medusa whose stored summaries lack a key the convergence rewrites, the books are not written", async () => {
      await shop.paidOrder()
      await db().raw(`UPDATE order_summary SET totals = totals - 'pending_difference' - 'raw_pending_difference'`)
      const check = await shop.pe().medusaShapes({ recheck: true })
      expect(check.differences).toEqual(["the newest stored order summary lacks pending_difference"])
      expect(await health()).toMatchObject({ books_written: false })
    })
  },
})
