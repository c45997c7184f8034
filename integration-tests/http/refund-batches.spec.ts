import fs from "node:fs"
import os from "node:os"
import path from "node:path"
import { medusaIntegrationTestRunner } from "@medusajs/test-utils"
import { ContainerRegistrationKeys } from "@medusajs/framework/utils"
import { parseCsv } from "../../src/lib/csv"
import refundBatchFromCsv from "../../src/scripts/refund-batch"
import { observe } from "../helpers/observe"
import { eventually, useSandbox } from "../helpers/sandbox"
import { useStore } from "../helpers/store"

const sandbox = useSandbox()

medusaIntegrationTestRunner({
  testSuite: ({ api, getContainer }) => {
    const shop = useStore(api, getContainer, sandbox)
    const seen = observe(getContainer)
    const batch = (body: unknown) =>
      api
        .post(`/admin/pagoefectivo/refunds/batch`, body, { headers: shop.admin })
        .then((r: any) => ({ status: r.status as number, body: r.data }))
        .catch((e: any) => ({ status: e.response?.status as number, body: e.response?.data }))
    const counted = async (orderId: string) => (await shop.orderOf(orderId)).payment_collections[0].payments[0].refunds as any[]

    beforeEach(async () => {
      // PagoEfectivo settles at once: the refund answer carries "completed"
      await sandbox.config({ refunds: { autoSettle: "complete", notifyBeforeResponse: true } })
    })

    describe("POST /admin/pagoefectivo/refunds/batch", () => {
      it("runs a mixed batch: per line ok or error with the reason; resubmitting refunds nothing twice and retries only the errors", async () => {
        const a = await shop.paidOrder()
        const b = await shop.paidOrder()
        await sandbox.config({ merchantBalance: 100 })
        const items = [
          { payment_id: a.paymentId, amount: 50, reason: "talla equivocada" },
          { payment_id: a.paymentId, amount: "500.00" },
          { payment_id: b.paymentId }, // all of it: PEN 199.90, above the merchant's balance
          { payment_id: a.paymentId, amount: 20.5, currency_code: "pen" },
        ]
        const first = await batch({ batch_key: "lote-2026-11-26-a", items })
        expect(first.status).toBe(200)
        expect(first.body.counts).toEqual({ ok: 2, pending: 0, error: 2, skipped: 0, running: 0 })
        const [l1, l2, l3, l4] = first.body.items
        expect(l1).toMatchObject({ line: 1, payment_id: a.paymentId, status: "ok", amount: "50.00", currency_code: "PEN", duplicate: false })
        expect(l2).toMatchObject({ line: 2, status: "error", refund_id: null })
        expect(l2.message).toMatch(/PEN 500.00 is above what is still refundable on payment .*: PEN 149.90/)
        expect(l3).toMatchObject({ line: 3, payment_id: b.paymentId, status: "error", amount: "199.90" })
        expect(l3.message).toMatch(/balance cannot cover this refund/)
        expect(l4).toMatchObject({ line: 4, status: "ok", amount: "20.50" })

        const state = await sandbox.state()
        expect(state.refunds.map((r: any) => r.amount).sort()).toEqual([20.5, 50])
        expect((await counted(a.orderId)).map((r) => r.id).sort()).toEqual([l1.refund_id, l4.refund_id].sort())
        expect(await counted(b.orderId)).toHaveLength(0)
        const [record] = await shop.pe().listPagoEfectivoRefunds({ refund_id: l1.refund_id })
        expect(record).toMatchObject({ status: "completed", reason: "talla equivocada" })

        // the same batch again, once PagoEfectivo's balance allows it: only line 3 runs
        await sandbox.config({ merchantBalance: null })
        const again = await batch({ batch_key: "lote-2026-11-26-a", items })
        expect(again.status).toBe(200)
        expect(again.body.items[0]).toMatchObject({ status: "ok", refund_id: l1.refund_id, duplicate: true })
        expect(again.body.items[1]).toMatchObject({ status: "error", duplicate: false })
        expect(again.body.items[2]).toMatchObject({ status: "ok", amount: "199.90", duplicate: false })
        expect(again.body.items[3]).toMatchObject({ status: "ok", refund_id: l4.refund_id, duplicate: true })
        expect((await sandbox.state()).refunds).toHaveLength(3)
        expect(await counted(a.orderId)).toHaveLength(2)
        expect((await shop.orderOf(b.orderId)).payment_status).toBe("refunded")

        // the same key with other items is refused
        const other = await batch({ batch_key: "lote-2026-11-26-a", items: items.slice(0, 1) })
        expect(other.status).toBe(409)
        expect(other.body.message).toMatch(/already submitted with other items/)
        expect((await sandbox.state()).refunds).toHaveLength(3)
      })

      it("answers pending for a refund PagoEfectivo settles later and skipped for a payment with nothing left; resubmitted, a line PagoEfectivo rejected since runs again", async () => {
        const a = await shop.paidOrder()
        const b = await shop.paidOrder()
        expect((await shop.refund(b.paymentId, 199.9)).status).toBe(200) // b: nothing left to refund
        await sandbox.config({ refunds: { autoSettle: "none", notifyBeforeResponse: false } })
        const items = [{ payment_id: a.paymentId, amount: 40 }, { payment_id: b.paymentId }]
        const first = await batch({ batch_key: "lote-pendiente-01", items })
        expect(first.status).toBe(200)
        expect(first.body.counts).toEqual({ ok: 0, pending: 1, error: 0, skipped: 1, running: 0 })
        const [l1, l2] = first.body.items
        expect(l1).toMatchObject({ line: 1, status: "pending", amount: "40.00", refund_id: expect.stringMatching(/^ref_/), duplicate: false })
        expect(l2).toMatchObject({ line: 2, status: "skipped", amount: "0.00", refund_id: null, message: expect.stringMatching(/nothing left to refund/) })
        expect((await sandbox.state()).refunds.filter((r: any) => r.refundId === l1.refund_id)).toEqual([expect.objectContaining({ amount: 40, status: "pending" })])

        // PagoEfectivo rejects line 1's refund later: it is undone, and the line may run again
        await sandbox.call("POST", `/__sandbox/refunds/${l1.refund_id}/reject`, { reason: "cuenta destino cerrada", wait: true })
        // applied once its notification is processed (the undo, and the line's request reopened)
        await eventually(async () => {
          const [n] = await shop.pe().listPagoEfectivoNotifications({ refund_id: l1.refund_id })
          return n?.status === "processed"
        }, { what: "line 1's rejection applied" })
        expect(await counted(a.orderId)).toHaveLength(0)
        const again = await batch({ batch_key: "lote-pendiente-01", items })
        expect(again.status).toBe(200)
        expect(again.body.items[0]).toMatchObject({ line: 1, status: "pending", amount: "40.00", duplicate: false })
        expect(again.body.items[0].refund_id).not.toBe(l1.refund_id)
        expect(again.body.items[1]).toMatchObject({ line: 2, status: "skipped", duplicate: true })
        expect((await counted(a.orderId)).map((r) => r.id)).toEqual([again.body.items[0].refund_id])
        const atGateway = (await sandbox.state()).refunds.filter((r: any) => r.merchantOrderId === a.orderId)
        expect(atGateway.map((r: any) => [r.refundId, r.status])).toEqual([
          [l1.refund_id, "rejected"],
          [again.body.items[0].refund_id, "pending"],
        ])
        // and a third submission refunds nothing
        const third = await batch({ batch_key: "lote-pendiente-01", items })
        expect(third.body.items.map((i: any) => i.duplicate)).toEqual([true, true])
        expect((await sandbox.state()).refunds).toHaveLength(3)
      })

      it("refuses a bad batch as a whole, listing every bad line, and refunds nothing", async () => {
        const a = await shop.paidOrder()
        const other = await shop.systemPaidOrder()
        const bad = await batch({
          batch_key: "lote-malo-0001",
          items: [
            { payment_id: a.paymentId, amount: 10 },
            { payment_id: a.paymentId, amount: 10.005 },
            { payment_id: "pay_NOPE0000000000000000000000" },
            { payment_id: other.paymentId, amount: 5 },
            { payment_id: a.paymentId, amount: 5, currency_code: "USD" },
            { payment_id: a.paymentId, amount: -3 },
            { payment_id: "order_123", refund: true },
          ],
        })
        expect(bad.status).toBe(400)
        expect(bad.body.message).toMatch(/The batch is invalid and nothing was refunded/)
        // every bad line in one answer, in line order: shape and payment problems alike
        expect(bad.body.problems).toEqual([
          { line: 2, field: "amount", message: 'has 3 decimals ("10.005"); PEN has 2' },
          { line: 3, field: "payment_id", message: "unknown payment pay_NOPE0000000000000000000000" },
          { line: 4, field: "payment_id", message: expect.stringMatching(/was not made with PagoEfectivo \(pp_system_default\)/) },
          { line: 5, field: "currency_code", message: `payment ${a.paymentId} is in PEN, not USD` },
          { line: 6, field: "amount", message: expect.stringMatching(/^must not have a sign \("-3"\)/) },
          { line: 7, field: "payment_id", message: "must be a payment id (pay_…)" },
          { line: 7, field: null, message: expect.stringMatching(/refund/) },
        ])
        // JavaScript's number syntax is not an amount: nothing of it reaches PagoEfectivo
        const syntax = await batch({
          batch_key: "lote-malo-0003",
          items: [
            { payment_id: a.paymentId, amount: "0x10" },
            { payment_id: "pay_NOPE0000000000000000000000", amount: "1" },
            { payment_id: a.paymentId, amount: "abc" },
            { payment_id: a.paymentId, amount: "0b11" },
            { payment_id: a.paymentId, amount: "0o17" },
            { payment_id: a.paymentId, amount: "1e1" },
            { payment_id: a.paymentId, amount: "1,234.50" },
            { payment_id: a.paymentId, amount: "１０" },
          ],
        })
        expect(syntax.status).toBe(400)
        expect(syntax.body.problems.map((p: any) => [p.line, p.field, p.message.replace(/ \(.*/, "")])).toEqual([
          [1, "amount", "is in hexadecimal notation"],
          [2, "payment_id", "unknown payment pay_NOPE0000000000000000000000"],
          [3, "amount", "is not a plain decimal amount"],
          [4, "amount", "is in binary notation"],
          [5, "amount", "is in octal notation"],
          [6, "amount", "uses an exponent"],
          [7, "amount", "has a thousands separator"],
          [8, "amount", "has digits other than 0-9"],
        ])
        const fixedShape = await batch({
          batch_key: "lote-malo-0002",
          items: [
            { payment_id: a.paymentId, amount: 10 },
            { payment_id: "pay_NOPE0000000000000000000000" },
            { payment_id: other.paymentId, amount: 5 },
            { payment_id: a.paymentId, amount: 5, currency_code: "USD" },
          ],
        })
        expect(fixedShape.status).toBe(400)
        expect(fixedShape.body.problems).toEqual([
          { line: 2, field: "payment_id", message: "unknown payment pay_NOPE0000000000000000000000" },
          { line: 3, field: "payment_id", message: expect.stringMatching(/was not made with PagoEfectivo \(pp_system_default\)/) },
          { line: 4, field: "currency_code", message: `payment ${a.paymentId} is in PEN, not USD` },
        ])
        const tooMany = await batch({ batch_key: "lote-enorme-01", items: Array.from({ length: 501 }, () => ({ payment_id: a.paymentId, amount: 1 })) })
        expect(tooMany.status).toBe(400)
        expect(tooMany.body.problems).toEqual([{ line: null, field: "items", message: "must hold at most 500 refunds" }])
        const noKey = await batch({ items: [{ payment_id: a.paymentId }] })
        expect(noKey.body.problems[0]).toMatchObject({ field: "batch_key", message: expect.stringMatching(/is required/) })

        expect((await sandbox.state()).refunds).toHaveLength(0)
        expect(await counted(a.orderId)).toHaveLength(0)
        const anon = await api.post(`/admin/pagoefectivo/refunds/batch`, { batch_key: "x", items: [] }).catch((e: any) => e.response)
        expect(anon.status).toBe(401)
      })

      it("backs off when PagoEfectivo answers 429 past what the client waits out, and refunds each line once", async () => {
        const orders = [await shop.paidOrder(), await shop.paidOrder(), await shop.paidOrder()]
        // 6 answers 429: the first line's call and its 3 retries, then 2 more after the pause
        await sandbox.fault({ path: "/v1/refunds", method: "POST", status: 429, retryAfter: 0, times: 6 })
        const res = await batch({ batch_key: "lote-429-0001", items: orders.map((o) => ({ payment_id: o.paymentId, amount: 30 })) })
        expect(res.status).toBe(200)
        expect(res.body.counts).toMatchObject({ ok: 3, error: 0 })
        const state = await sandbox.state()
        expect(state.refunds).toHaveLength(3)
        expect(state.faults).toEqual([expect.objectContaining({ status: 429, hits: 6, remaining: 0 })]) // all six 429s were answered
        for (const o of orders) expect(await counted(o.orderId)).toHaveLength(1)
        // the attempts refused with 429 are recorded as failed and not counted
        const records = await shop.pe().listPagoEfectivoRefunds({})
        expect(records.filter((r: any) => r.status === "completed")).toHaveLength(3)
        for (const r of records.filter((r: any) => r.status !== "completed")) expect(r).toMatchObject({ status: "failed", failure_code: "429" })
      })
    })

    describe("the CSV script (npx medusa exec ./src/scripts/refund-batch.ts)", () => {
      const run = async (text: string) => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pe-csv-")), "refunds.csv")
        fs.writeFileSync(file, text)
        const lines: string[] = []
        const write = process.stdout.write
        process.stdout.write = ((s: string) => (lines.push(...String(s).trimEnd().split("\n")), true)) as any
        const exitCode = process.exitCode
        try {
          await refundBatchFromCsv({ container: getContainer(), args: [file] } as any)
          return { lines, failed: process.exitCode === 1 }
        } finally {
          process.stdout.write = write
          process.exitCode = exitCode
        }
      }

      it("refunds order or payment id lines once, prints each, and refuses a file with a bad line", async () => {
        const a = await shop.paidOrder()
        const b = await shop.paidOrder()
        const bad = await run(
          `payment_id,amount,reason\n${a.orderId},15,"cliente, arrepentido"\n${b.paymentId},12.345\n${b.paymentId},5,x,extra\n${b.paymentId},1,234.50\n` +
            `pay_NOPE0000000000000000000000,5\n${b.paymentId},abc\n${b.paymentId},0x10\n`
        )
        expect(bad.failed).toBe(true)
        expect(bad.lines[0]).toMatch(/6 problem\(s\); nothing was refunded/)
        expect(bad.lines.slice(1)).toEqual([
          '  line 3 (amount): has 3 decimals ("12.345"); PEN has 2',
          '  line 4: expected "payment or order id, amount, reason", got 4 fields',
          '  line 5 (amount): "1,234.50" looks like an amount with a thousands separator: write 1234.50, or quote the field',
          "  line 6 (payment_id): unknown payment pay_NOPE0000000000000000000000",
          expect.stringMatching(/^  line 7 \(amount\): is not a plain decimal amount \("abc"\)/),
          expect.stringMatching(/^  line 8 \(amount\): is in hexadecimal notation \("0x10"\)/),
        ])
        expect((await sandbox.state()).refunds).toHaveLength(0)

        const good = `payment_id,amount,reason\n${a.orderId},15,"cliente, arrepentido"\n${b.paymentId},12.35\n`
        const first = await run(good)
        expect(first.failed).toBe(false)
        expect(first.lines).toEqual(
          expect.arrayContaining([
            expect.stringMatching(new RegExp(`^\\[\\d/2\\] line 2 ${a.paymentId}: ok PEN 15.00 refund ref_`)),
            expect.stringMatching(new RegExp(`^\\[\\d/2\\] line 3 ${b.paymentId}: ok PEN 12.35 refund ref_`)),
            "done: 2 ok, 0 pending, 0 error, 0 skipped, 0 running",
          ])
        )
        const again = await run(good)
        expect(again.lines.filter((l) => l.includes("(already done)"))).toHaveLength(2)
        expect((await sandbox.state()).refunds.map((r: any) => r.amount).sort()).toEqual([12.35, 15])
        const [record] = await shop.pe().listPagoEfectivoRefunds({ order_id: a.orderId })
        expect(record.reason).toBe("cliente, arrepentido")
      })
    })

    describe("GET /admin/pagoefectivo/refunds/export", () => {
      it("streams the refunds of a date range as CSV and JSON, matching the refunds made", async () => {
        const a = await shop.paidOrder()
        const b = await shop.paidOrder()
        await sandbox.config({ refunds: { autoSettle: "none", notifyBeforeResponse: false } })
        expect((await shop.refund(a.paymentId, 40)).status).toBe(200)
        expect((await shop.refund(b.paymentId, 199.9)).status).toBe(200)
        await sandbox.config({ refundsEnabled: false })
        expect((await shop.refund(a.paymentId, 10)).status).toBe(400) // refused: recorded as failed
        const records = (await shop.pe().listPagoEfectivoRefunds({}, { order: { requested_at: "ASC" } })) as any[]
        expect(records).toHaveLength(3)

        const from = new Date(Date.now() - 3600_000).toISOString()
        const to = new Date(Date.now() + 60_000).toISOString()
        const csv = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?from=${from}&to=${to}`, { headers: shop.admin })
        expect(csv.status).toBe(200)
        expect(csv.headers.get("content-type")).toMatch(/^text\/csv/)
        expect(csv.headers.get("content-disposition")).toMatch(/attachment; filename="pagoefectivo-refunds-/)
        const lines = (await csv.text()).trimEnd().split("\r\n")
        expect(lines[0]).toBe("order_id,cip,refund_id,reference_id,amount,currency_code,status,requested_at,settled_at,reason,failure_reason")
        expect(lines).toHaveLength(1 + records.length)
        records.forEach((r, i) => {
          const [fields] = parseCsv(lines[i + 1])
          expect(fields.fields).toEqual([
            r.order_id,
            r.cip,
            r.refund_id,
            r.reference_id ?? "",
            Number(r.amount).toFixed(2),
            "PEN",
            r.status,
            new Date(r.requested_at).toISOString(),
            r.settled_at ? new Date(r.settled_at).toISOString() : "",
            r.reason ?? "",
            r.status === "failed" ? expect.stringMatching(/PagoEfectivo has not enabled refunds/) : "",
          ])
        })
        expect(records.map((r) => [r.order_id, Number(r.amount), r.status])).toEqual([
          [a.orderId, 40, "pending"],
          [b.orderId, 199.9, "pending"],
          [a.orderId, 10, "failed"],
        ])

        const json = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?from=${from}&to=${to}&format=json`, { headers: shop.admin }).then((r) => r.json())
        expect(json).toEqual(
          records.map((r) => expect.objectContaining({ order_id: r.order_id, cip: r.cip, refund_id: r.refund_id, amount: Number(r.amount).toFixed(2), currency_code: "PEN", status: r.status }))
        )
        expect(json[0]).toMatchObject({ status: "pending", reference_id: expect.stringMatching(/^RF/), amount: "40.00" })

        // outside the range: nothing
        const empty = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?from=2020-01-01&to=2020-02-01&format=json`, { headers: shop.admin }).then((r) => r.json())
        expect(empty).toEqual([])
      })

      /** Refund records as the ledger keeps them, written straight into its table (a month of refunds takes too long to make). */
      const seedRecords = async (rows: { refund_id: string; requested_at: string }[]) => {
        const db = getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION)
        for (let i = 0; i < rows.length; i += 1000) {
          const page = rows.slice(i, i + 1000)
          await db.raw(
            `INSERT INTO pagoefectivo_refund (id, refund_id, order_id, merchant_order_id, cip, transaction_code, amount, raw_amount, currency_code, status, attempts, requested_at, created_at, updated_at)
             SELECT 'perefund_' || r.refund_id, r.refund_id, 'order_exp', 'order_exp', '2523136', 'payses_exp', 12.34, '{"value":"12.34","precision":20}'::jsonb, 'PEN', 'completed', '[]'::jsonb, r.requested_at, now(), now()
             FROM json_to_recordset(?::json) AS r(refund_id text, requested_at timestamptz)`,
            [JSON.stringify(page)]
          )
        }
      }
      const exportCsv = async (qs: string) => {
        const res = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?${qs}`, { headers: shop.admin })
        expect(res.status).toBe(200)
        return (await res.text()).trimEnd().split("\r\n").slice(1).map((l) => parseCsv(l)[0].fields)
      }

      it("takes a day as midnight to midnight in Lima (UTC−5)", async () => {
        await seedRecords([
          { refund_id: "ref_oct31_lima_end", requested_at: "2026-11-01T04:59:59.999Z" }, // 31 Oct 23:59:59.999 in Lima
          { refund_id: "ref_nov1_lima_start", requested_at: "2026-11-01T05:00:00.000Z" }, // 1 Nov 00:00 in Lima
          { refund_id: "ref_nov1_lima_end", requested_at: "2026-11-02T04:59:59.999Z" }, // 1 Nov 23:59:59.999 in Lima
          { refund_id: "ref_nov2_lima_start", requested_at: "2026-11-02T05:00:00.000Z" }, // 2 Nov 00:00 in Lima
        ])
        const day = await exportCsv("from=2026-11-01&to=2026-11-02")
        expect(day.map((f) => f[2])).toEqual(["ref_nov1_lima_start", "ref_nov1_lima_end"])
        expect(day.map((f) => f[7])).toEqual(["2026-11-01T05:00:00.000Z", "2026-11-02T04:59:59.999Z"])
        // an instant with its offset is taken as given
        const utc = await exportCsv("from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z")
        expect(utc.map((f) => f[2])).toEqual(["ref_oct31_lima_end", "ref_nov1_lima_start"])
      })

      it("pages past 1,000 rows: every record once, oldest first, ties on the same instant included", async () => {
        // 2,500 records; 1,200 of them at the very same instant (to the microsecond), across the first page's end
        const rows = Array.from({ length: 2500 }, (_, i) => ({
          refund_id: `ref_page_${String(i).padStart(4, "0")}`,
          requested_at: i >= 500 && i < 1700 ? "2026-11-10T12:10:00.123456Z" : new Date(Date.UTC(2026, 10, 10, 12) + i * 1000).toISOString(),
        }))
        await seedRecords(rows)
        const lines = await exportCsv("from=2026-11-01&to=2026-12-01")
        expect(lines).toHaveLength(2500)
        const ids = lines.map((f) => f[2])
        expect(new Set(ids).size).toBe(2500)
        const expected = [...rows].sort((x, y) => Date.parse(x.requested_at) - Date.parse(y.requested_at) || (`perefund_${x.refund_id}` < `perefund_${y.refund_id}` ? -1 : 1)).map((r) => r.refund_id)
        expect(ids).toEqual(expected)
        const json = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?from=2026-11-01&to=2026-12-01&format=json`, { headers: shop.admin }).then((r) => r.json())
        expect(json.map((r: any) => r.refund_id)).toEqual(expected)
      })

      it("cuts the download when the database fails mid-stream, so the file never looks complete, and logs it", async () => {
        await seedRecords([{ refund_id: "ref_cut_1", requested_at: "2026-11-05T12:00:00Z" }])
        const db = getContainer().resolve(ContainerRegistrationKeys.PG_CONNECTION)
        // the export's first page waits on this lock; cancelling that query is the database error
        const lock = await db.transaction()
        try {
          await lock.raw("LOCK TABLE pagoefectivo_refund IN ACCESS EXCLUSIVE MODE")
          const res = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?from=2026-11-01&to=2026-12-01`, { headers: shop.admin })
          expect(res.status).toBe(200) // the status line and the header row are out already
          // read as it comes, as a browser saving the file would
          let text = ""
          const reading = (async (): Promise<Error | null> => {
            try {
              for await (const chunk of res.body as any as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString("utf8")
              return null
            } catch (e) {
              return e as Error
            }
          })()
          const waiting = await eventually(async () => {
            const { rows } = await db.raw(
              `SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%FROM pagoefectivo_refund%' AND query ILIKE '%ORDER BY requested_at, id%'`
            )
            return rows[0]?.pid as number | undefined
          }, { what: "the export's page query waiting on the lock" })
          await db.raw("SELECT pg_cancel_backend(?)", [waiting])
          const error = await reading
          // cut, not ended: a client sees a failed download (undici: "terminated")
          expect(error?.message).toMatch(/terminated|aborted|other side closed/i)
          expect(text).toBe("order_id,cip,refund_id,reference_id,amount,currency_code,status,requested_at,settled_at,reason,failure_reason\r\n")
          await eventually(async () => seen.logged.find((l) => /refund export failed mid-stream: [\s\S]*canceling statement/.test(l)), { what: "the failure logged" })
        } finally {
          await lock.rollback()
        }
      })

      it.each([
        ["from=2026-11-01", /Invalid query.to: is required/],
        ["from=yesterday&to=2026-12-01", /Invalid query.from: must be a date such as 2026-11-01 \(Lima\)/],
        ["from=2026-02-30&to=2026-03-05", /Invalid query.from: must be a date/],
        ["from=2026-11-01T10:00:00&to=2026-12-01", /Invalid query.from: .*an instant with its offset/],
        ["from=2026-12-01&to=2026-11-01", /Invalid query.to: must be after from/],
        ["from=2026-11-01&to=2026-12-01&format=xlsx", /Invalid query.format: must be "csv" or "json"/],
        // no statement is that old or that far ahead (and PostgreSQL has no year 0000)
        ["from=0000-01-01&to=2026-12-01", /Invalid query.from: must be a date/],
        ["from=1000-01-01&to=2026-12-01", /Invalid query.from: must be in the years 1900 to 9999/],
        ["from=0100-01-01T00:00:00%2B14:00&to=2026-12-01", /Invalid query.from: must be in the years 1900 to 9999/],
        ["from=2026-11-01&to=10000-01-01", /Invalid query.to: must be a date/],
      ])("answers 400 for %s", async (qs, message) => {
        const res = await fetch(`${shop.baseUrl}/admin/pagoefectivo/refunds/export?${qs}`, { headers: shop.admin })
        expect(res.status).toBe(400)
        expect((await res.json()).message).toMatch(message)
      })
    })
  },
})
