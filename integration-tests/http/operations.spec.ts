import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import reconcileJob from "../../src/jobs/reconcile-pagoefectivo"
import { FAILPOINTS, armFailpoint, holdAtFailpoint } from "../../src/lib/failpoints"
import { runReconciliation } from "../../src/lib/reconciliation/runs"
import { SANDBOX_DEFAULTS } from "../../sandbox/server"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

/**
 * The admin routes behind the PagoEfectivo page (issue #14) that the browser spec
 * (integration-tests/e2e/operations-page.spec.ts) does not drive: the queue's other kinds and its
 * keyset paging, the notifications list and Reprocess, the reconciliation's runs (ok, failed with
 * its error, skipped, the last 50 kept), health, and every bad input answered 400.
 * PagoEfectivo's 403/601 leaves a refund awaiting a bank transfer (manualRefundFallback).
 */
const sandbox = useSandbox({ PAGOEFECTIVO_MANUAL_REFUND_FALLBACK: "true" })

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)

    const http = (method: string, path: string, body?: unknown) => shop.call(method, path, body)
    const get = async (path: string) => {
      const res = await http("GET", path)
      expect([path, res.status]).toEqual([path, 200])
      return res.body
    }

    it("the queue: a bank transfer to make, a failed refund Medusa still counts (Check now undoes it), a return refund in error; keyset-paged", async () => {
      const { orderId, paymentId } = await shop.paidOrder()
      const pe = shop.pe()
      // a refund awaiting a bank transfer
      await sandbox.config({ refundsEnabled: false })
      expect((await shop.refund(paymentId, 15)).status).toBe(200)
      await sandbox.config({ refundsEnabled: true })
      const [awaiting] = await pe.listPagoEfectivoRefunds({ order_id: orderId, status: "awaiting_transfer" })
      // a refund PagoEfectivo rejects, whose undo stops midway every time (a failpoint throws once
      // its Refund row is gone, before its order transaction): the record says rejected, Medusa still counts it
      expect((await shop.refund(paymentId, 40)).status).toBe(200)
      const rejected = (await pe.listPagoEfectivoRefunds({ order_id: orderId, status: "pending" }))[0]
      let stopped = false
      const disarm = armFailpoint(FAILPOINTS.booksMidway, (_name, context) => {
        if (!(context.plan as { undone: string[] }).undone.includes(rejected.refund_id)) return
        stopped = true
        throw new Error("the process died mid-undo (test)")
      })
      try {
        await sandbox.call("POST", `/__sandbox/refunds/${rejected.refund_id}/reject`, { reason: "cuenta cerrada", wait: true })
        // the verdict is kept, the books left for the sweep (the convergence never fails its workflow)
        await eventually(async () => stopped && (await pe.listPagoEfectivoNotifications({ refund_id: rejected.refund_id }))[0]?.status === "processed", { what: "the rejection's undo to stop midway" })
      } finally {
        disarm()
      }
      expect(await shop.books(orderId)).toMatchObject({ gateway: 0, medusa: 15, summary: 55, collection: 55 })
      // a return whose automatic refund refunded nothing
      const claimed = await pe.refundRequests().claim({ key: "return:return_01OPS", source: "return", return_id: "return_01OPS", order_id: orderId, payment_id: paymentId }, { retryErrors: false, staleAfterSeconds: 300 })
      await pe.refundRequests().finish("return:return_01OPS", { status: "error", message: "PagoEfectivo refused: refund window exceeded" }, claimed.row.tries)

      const all = await get("/admin/pagoefectivo/attention")
      expect(all.items.map((i: any) => [i.kind, i.actions])).toEqual([
        ["awaiting_transfer", ["mark_transferred", "mark_failed"]],
        ["counted_failed", ["check"]],
        ["return_error", ["retry_return"]],
      ])
      expect(all.items[0]).toMatchObject({ key: `refund:${awaiting.refund_id}`, order_id: orderId, amount: "15.00", currency_code: "PEN", status: "awaiting_transfer" })
      expect(all.items[1]).toMatchObject({ refund_id: rejected.refund_id, amount: "40.00", status: "rejected", detail: "cuenta cerrada" })
      expect(all.items[2]).toMatchObject({ key: "return:return_01OPS", return_id: "return_01OPS", detail: "PagoEfectivo refused: refund window exceeded" })
      expect(all).toMatchObject({ next_cursor: null, unconfirmed_after_minutes: 10 })

      // two pages of two: the same rows, none twice
      const first = await get("/admin/pagoefectivo/attention?limit=2")
      expect(first.items).toHaveLength(2)
      expect(first.next_cursor).toEqual(expect.any(String))
      const second = await get(`/admin/pagoefectivo/attention?limit=2&cursor=${first.next_cursor}`)
      expect([...first.items, ...second.items].map((i: any) => i.key)).toEqual(all.items.map((i: any) => i.key))
      expect(second.next_cursor).toBeNull()

      // Check now on the failed refund Medusa still counts converges its books (undone); it leaves the queue
      const check = await http("POST", `/admin/pagoefectivo/refunds/${rejected.refund_id}/check`, {})
      expect(check.status).toBe(200)
      expect(check.body.outcome).toBe("undone")
      // (the bank transfer is Medusa's and staff's alone: PagoEfectivo has no refund for it)
      expect(await shop.books(orderId)).toMatchObject({ gateway: 0, medusa: 15, summary: 15, collection: 15, payment_status: "partially_refunded" })
      expect((await get("/admin/pagoefectivo/attention")).items.map((i: any) => i.kind)).toEqual(["awaiting_transfer", "return_error"])
      // …and a final refund Medusa no longer counts has nothing to check
      expect((await http("POST", `/admin/pagoefectivo/refunds/${rejected.refund_id}/check`, {})).status).toBe(409)
    })

    it("notifications that failed or matched nothing, with their payload and no secret; Reprocess", async () => {
      const { cip } = await shop.paidOrder()
      const deliver = async (n: unknown) => expect((await shop.deliver(JSON.stringify(n))).status).toBe(200)
      // matched nothing: a CIP PagoEfectivo does not know either
      await deliver({ eventType: "cip.paid", operationNumber: "o-1", data: { cip: "7777777", currency: "PEN", amount: 5 } })
      // failed: the amount contradicts the payment session (a cip.expired: the cip.paid of this CIP is stored already)
      await deliver({ eventType: "cip.expired", operationNumber: "o-2", data: { cip, currency: "PEN", amount: 1, transactionCode: (await sandbox.state()).cips[0].transactionCode } })
      const listed = await eventually(async () => {
        const body = await get("/admin/pagoefectivo/notifications")
        return body.items.length === 2 ? body : null
      }, { what: "two notifications to need a person" })
      expect(listed.statuses).toEqual(["failed", "unmatched", "deferred"])
      expect(listed.items.map((n: any) => [n.status, n.cip])).toEqual([["failed", cip], ["unmatched", "7777777"]]) // newest first
      expect(listed.items[0]).toMatchObject({ event_type: "cip.expired", error: expect.stringMatching(/reports 1 PEN but payment session .* is for 199\.9 PEN; not applied/), deliveries: 1, payload: { data: { cip, amount: 1 } } })
      const text = JSON.stringify(listed)
      for (const secret of [SANDBOX_DEFAULTS.secretKey, SANDBOX_DEFAULTS.accessKey]) expect(text).not.toContain(secret)

      expect((await get("/admin/pagoefectivo/notifications?status=unmatched")).items.map((n: any) => n.cip)).toEqual(["7777777"])
      const page1 = await get("/admin/pagoefectivo/notifications?limit=1")
      const page2 = await get(`/admin/pagoefectivo/notifications?limit=1&cursor=${page1.next_cursor}`)
      expect([...page1.items, ...page2.items].map((n: any) => n.id)).toEqual(listed.items.map((n: any) => n.id))

      // Reprocess runs it again (still failing, with its error); one already applied is a 409; unknown 404
      const again = await http("POST", `/admin/pagoefectivo/notifications/${listed.items[0].id}/reprocess`, {})
      expect(again.status).toBe(200)
      expect(again.body.notification).toMatchObject({ id: listed.items[0].id, status: "failed", error: expect.stringMatching(/not applied/) })
      const [paid] = await shop.pe().listPagoEfectivoNotifications({ status: "processed" })
      const done = await http("POST", `/admin/pagoefectivo/notifications/${paid.id}/reprocess`, {})
      expect(done).toEqual({ status: 409, body: { type: "conflict", message: `Notification ${paid.id} is processed: it was applied already, there is nothing to reprocess` } })
      expect((await http("POST", "/admin/pagoefectivo/notifications/penotif_01NONE/reprocess", {})).status).toBe(404)
    })

    it("keeps each reconciliation run: ok, failed with its error, skipped under another's lock; the last 50; health shows the last", async () => {
      await runReconciliation(getContainer(), "script", { olderThanMinutes: 0 })
      const disarm = armFailpoint(FAILPOINTS.reconcileLocked, () => {
        throw new Error("the database went away (test)")
      })
      await expect(reconcileJob(getContainer())).rejects.toThrow("the database went away (test)")
      disarm()
      // a run that overlaps another (held at its start) is skipped
      const hold = holdAtFailpoint(FAILPOINTS.reconcileLocked)
      const held = runReconciliation(getContainer(), "job")
      await hold.reached
      await runReconciliation(getContainer(), "job")
      hold.release()
      await held

      const { items } = await get("/admin/pagoefectivo/reconcile-runs")
      // (the held run and the one it made skip may start within the same millisecond: either comes first)
      expect(items.slice(0, 2).map((r: any) => [r.trigger, r.status]).sort()).toEqual([["job", "ok"], ["job", "skipped"]])
      expect(items.slice(2).map((r: any) => [r.trigger, r.status])).toEqual([["job", "failed"], ["script", "ok"]])
      expect(items[2]).toMatchObject({ error: "the database went away (test)", summary_line: null })
      expect(items[3].summary_line).toMatch(/^refunds checked=0 completed=0 .* books unbalanced=0 converged=0 errors=0; \d+ ms$/)
      expect(items[3].summary).toMatchObject({ refunds: { checked: 0 }, cips: { checked: 0 } })

      const health = await get("/admin/pagoefectivo/health")
      expect(health).toEqual({
        refund_mode: "api",
        environment: "sandbox",
        base_url: `${sandbox.url}/v1`,
        notification_url: `${shop.baseUrl}/webhooks/pagoefectivo`,
        record_outside_refunds: false,
        auto_refund_on_return: false,
        last_notification_at: null,
        reconciliation: { every_minutes: 5, after_minutes: 10, last_run: expect.objectContaining({ id: items[0].id, status: items[0].status }), overdue: false },
        medusa: { version: require("@medusajs/medusa/package.json").version, books_written: true, differences: [], checked_at: expect.any(String) },
      })
      for (const secret of [SANDBOX_DEFAULTS.secretKey, SANDBOX_DEFAULTS.accessKey]) expect(JSON.stringify(health)).not.toContain(secret)

      // the last 50 are kept
      const runs = shop.pe().reconcileRuns()
      for (let i = 0; i < 60; i++) {
        await runs.record({ trigger: "job", status: "ok", started_at: new Date(Date.now() + i * 1000), finished_at: new Date(Date.now() + i * 1000), duration_ms: 1, summary: null, summary_line: `run ${i}`, error: null })
      }
      const kept: any[] = []
      let cursor: string | null = null
      do {
        const page: any = await get(`/admin/pagoefectivo/reconcile-runs?limit=20${cursor ? `&cursor=${cursor}` : ""}`)
        kept.push(...page.items)
        cursor = page.next_cursor
      } while (cursor)
      expect(kept).toHaveLength(50)
      expect(kept[0].summary_line).toBe("run 59")
      expect(kept[49].summary_line).toBe("run 10")
    })

    it("answers every bad input with a 400 naming it", async () => {
      const bad: [string, string, unknown, RegExp][] = [
        ["GET", "/admin/pagoefectivo/attention?limit=0", undefined, /^Invalid query\.limit: must be at least 1/],
        ["GET", "/admin/pagoefectivo/attention?limit=101", undefined, /^Invalid query\.limit: must be at most 100/],
        ["GET", "/admin/pagoefectivo/attention?limit=ten", undefined, /^Invalid query\.limit/],
        ["GET", "/admin/pagoefectivo/attention?cursor=not-a-cursor", undefined, /^Invalid query\.cursor: is not a cursor this route answered/],
        ["GET", `/admin/pagoefectivo/attention?cursor=${Buffer.from(JSON.stringify(["yesterday", "k"])).toString("base64url")}`, undefined, /^Invalid query\.cursor/],
        ["GET", `/admin/pagoefectivo/attention?cursor=${Buffer.from(JSON.stringify(["2026-02-30 25:00:00+00", "k"])).toString("base64url")}`, undefined, /^Invalid query\.cursor/],
        ["GET", "/admin/pagoefectivo/attention?limit=1e1", undefined, /^Invalid query\.limit: must be a whole number from 1 to 100, written in digits/],
        ["GET", "/admin/pagoefectivo/attention?limit=0x10", undefined, /^Invalid query\.limit: must be a whole number/],
        // cursors PostgreSQL cannot hold (year 0000, five digits, an offset past ±15:59, a key with U+0000), on each paged list
        ...["attention", "notifications", "reconcile-runs"].flatMap((list) =>
          [["0000-01-01 00:00:00+00", "k"], ["10000-01-01 00:00:00+00", "k"], ["-0001-01-01 00:00:00+00", "k"], ["2026-12-01 10:00:00+16", "k"], ["2026-12-01 10:00:00+00", "k\u0000"]].map(
            (c): [string, string, unknown, RegExp] => ["GET", `/admin/pagoefectivo/${list}?cursor=${Buffer.from(JSON.stringify(c)).toString("base64url")}`, undefined, /^Invalid query\.cursor: is not a cursor this route answered/]
          )
        ),
        ["GET", "/admin/pagoefectivo/attention?sort=amount", undefined, /^Invalid query/],
        ["GET", "/admin/pagoefectivo/notifications?status=lost", undefined, /^Invalid query\.status/],
        ["GET", "/admin/pagoefectivo/notifications?status=", undefined, /^Invalid query\.status: must name at least one status/],
        ["GET", "/admin/pagoefectivo/reconcile-runs?cursor=%00", undefined, /^Invalid query\.cursor/],
        ["GET", "/admin/pagoefectivo/health?verbose=1", undefined, /^Invalid query/],
        ["POST", "/admin/pagoefectivo/health/test-connection", { accessKey: "x" }, /^Invalid body/],
        ["POST", "/admin/pagoefectivo/notifications/bad%20id/reprocess", {}, /^Invalid path\.id: must be a notification id/],
        ["POST", "/admin/pagoefectivo/notifications/penotif_1/reprocess", { force: true }, /^Invalid body/],
      ]
      for (const [method, path, body, message] of bad) {
        const res = await http(method, path, body)
        expect([path, res.status, res.body?.type]).toEqual([path, 400, "invalid_data"])
        expect(res.body.message).toMatch(message)
      }
      // and every route needs a login
      for (const path of ["/admin/pagoefectivo/attention", "/admin/pagoefectivo/notifications", "/admin/pagoefectivo/health", "/admin/pagoefectivo/reconcile-runs"]) {
        expect((await fetch(shop.baseUrl + path)).status).toBe(401)
      }
      expect((await fetch(shop.baseUrl + "/admin/pagoefectivo/health/test-connection", { method: "POST" })).status).toBe(401)
    })
  },
})
