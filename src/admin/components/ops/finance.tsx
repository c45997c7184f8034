import { Button, Heading, Input, Label, StatusBadge, Table, Text, toast } from "@medusajs/ui"
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { type ChangeEvent, useState } from "react"
import { useTranslation } from "react-i18next"
import { type CsvBatchProblem, readBatchCsv } from "../../../lib/csv-batch"
import { PROVIDER_ID_PREFIX } from "../../../lib/pagoefectivo/provider-id"
import { csvBatchKey } from "../../../lib/sha256"
import type { BatchItemResult, BatchResult } from "../../../lib/refunds/refund-batch"
import type { AdminPagoEfectivoCipStatsResponse } from "../../../api/admin/pagoefectivo/cip-stats/route"
import { formatMoney, intlLocale, messageOf } from "../../lib/format"
import { postForBody, refreshOps } from "../../lib/ops"
import { sdk } from "../../lib/sdk"

const STATUS_COLOR: Record<string, "green" | "orange" | "red" | "grey"> = { ok: "green", pending: "orange", running: "orange", error: "red", skipped: "grey" }

type Prepared = { file: string; key: string; items: Record<string, string>[]; csvLines: number[]; problems: CsvBatchProblem[] }

/** Lima's today, yyyy-mm-dd (the export reads a day as midnight in Lima). */
const limaDay = (offsetDays = 0) => new Date(Date.now() - 5 * 3600_000 + offsetDays * 86_400_000).toISOString().slice(0, 10)

/** order id → its PagoEfectivo payment, through Medusa's own GET /admin/orders. */
async function paymentsOfOrders(orderIds: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>()
  for (let i = 0; i < orderIds.length; i += 50) {
    const query = new URLSearchParams({ fields: "id,payment_collections.payments.id,payment_collections.payments.provider_id", limit: "50" })
    for (const id of orderIds.slice(i, i + 50)) query.append("id[]", id)
    const { orders } = await sdk.client.fetch<{ orders: any[] }>(`/admin/orders?${query}`)
    for (const o of orders ?? []) {
      const payment = (o.payment_collections ?? []).flatMap((pc: any) => pc?.payments ?? []).find((p: any) => p?.provider_id?.startsWith(PROVIDER_ID_PREFIX))
      if (payment) found.set(o.id, payment.id)
    }
  }
  return found
}

const DateField = ({ id, label, value, onChange }: { id: string; label: string; value: string; onChange: (v: string) => void }) => (
  <div className="flex flex-col gap-y-1">
    <Label htmlFor={id} size="small">
      {label}
    </Label>
    <Input id={id} type="date" size="small" value={value} onChange={(e) => onChange(e.target.value)} />
  </div>
)

/**
 * Finance: the CIPs of a date range (issued, paid, expired, renewed and how many renewed ones were
 * paid: GET /admin/pagoefectivo/cip-stats), the refunds export of that range (GET /admin/pagoefectivo/refunds/export), and batch
 * refunds from an uploaded CSV (POST /admin/pagoefectivo/refunds/batch) with a result per line. The
 * file is read as the CSV script reads it (src/lib/csv-batch.ts) and keyed by its hash, so the same
 * file sent again refunds nothing twice.
 */
export const Finance = () => {
  const { t, i18n } = useTranslation()
  const locale = intlLocale(i18n.language)
  const queryClient = useQueryClient()
  const [from, setFrom] = useState(limaDay(-30))
  const [to, setTo] = useState(limaDay(1))
  const [prepared, setPrepared] = useState<Prepared | null>(null)
  const [confirming, setConfirming] = useState(false)
  const [result, setResult] = useState<{ lines: number[]; items: BatchItemResult[] } | null>(null)
  const [problems, setProblems] = useState<CsvBatchProblem[]>([])

  const download = useMutation({
    mutationFn: async (format: "csv" | "json") => {
      const query = new URLSearchParams({ from, to, format })
      const res = await sdk.client.fetch<Response>(`/admin/pagoefectivo/refunds/export?${query}`, { headers: { accept: format === "csv" ? "text/csv" : "application/x-ndjson" } })
      const blob = await res.blob()
      const a = document.createElement("a")
      a.href = URL.createObjectURL(blob)
      a.download = `pagoefectivo-refunds-${from}-${to}.${format}`
      a.click()
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000)
    },
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
  })

  const stats = useQuery({
    queryKey: ["pagoefectivo", "cip-stats", from, to],
    queryFn: () => sdk.client.fetch<AdminPagoEfectivoCipStatsResponse>(`/admin/pagoefectivo/cip-stats?${new URLSearchParams({ from, to })}`),
    enabled: !!from && !!to && to > from,
  })

  const choose = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0]
    setResult(null)
    setConfirming(false)
    if (!file) return setPrepared(null)
    const text = await file.text()
    const read = readBatchCsv(text)
    const found = await paymentsOfOrders([...new Set(read.lines.map((l) => l.id).filter((id) => id.startsWith("order_")))]).catch(() => new Map<string, string>())
    const lineProblems = [...read.problems]
    const items: Record<string, string>[] = []
    const csvLines: number[] = []
    for (const l of read.lines) {
      const paymentId = l.id.startsWith("order_") ? found.get(l.id) : l.id
      if (!paymentId) {
        lineProblems.push({ line: l.line, field: "id", message: t("pagoefectivo.ops.finance.unknownOrder", { id: l.id }) })
        continue
      }
      items.push({ payment_id: paymentId, ...(l.amount ? { amount: l.amount } : {}), ...(l.reason ? { reason: l.reason } : {}) })
      csvLines.push(l.line)
    }
    setProblems(lineProblems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)))
    setPrepared({ file: file.name, key: csvBatchKey(text), items, csvLines, problems: lineProblems })
  }

  const batch = useMutation({
    mutationFn: (p: Prepared) => postForBody<BatchResult & { message?: string; problems?: CsvBatchProblem[] }>("/admin/pagoefectivo/refunds/batch", { batch_key: p.key, items: p.items }),
    onSuccess: ({ status, body }, p) => {
      if (status === 200) {
        setResult({ lines: p.csvLines, items: body.items })
        setProblems([])
        toast.success(t("pagoefectivo.ops.finance.done", { counts: Object.entries(body.counts ?? {}).filter(([, n]) => n).map(([k, n]) => `${n} ${k}`).join(", ") }))
        return
      }
      // 400: every bad item by its line (of the items sent: mapped back to the file's), nothing refunded
      const listed = (body?.problems ?? []).map((x) => ({ ...x, line: x.line ? (p.csvLines[x.line - 1] ?? x.line) : null }))
      setProblems(listed.length ? listed : [{ line: null, field: null, message: body?.message ?? `HTTP ${status}` }])
    },
    onError: (e) => setProblems([{ line: null, field: null, message: messageOf(e) }]),
    onSettled: () => {
      setConfirming(false)
      refreshOps(queryClient)
    },
  })

  return (
    <div className="flex flex-col gap-y-8" data-testid="pagoefectivo-ops-finance">
      <section className="flex flex-col gap-y-3" data-testid="pagoefectivo-ops-cip-stats">
        <Heading level="h3">{t("pagoefectivo.ops.finance.cipsTitle")}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {t("pagoefectivo.ops.finance.cipsDescription", { from, to })}
        </Text>
        {stats.error ? (
          <Text size="small" className="text-ui-fg-error">
            {t("pagoefectivo.loadError", { message: messageOf(stats.error) })}
          </Text>
        ) : (
          <div className="flex flex-wrap gap-x-8 gap-y-2">
            {(["issued", "paid", "expired", "renewed", "renewed_paid"] as const).map((k) => (
              <div key={k} className="flex flex-col" data-testid={`pagoefectivo-ops-cip-stats-${k}`}>
                <Text size="xsmall" className="text-ui-fg-muted">
                  {t(`pagoefectivo.ops.finance.cips.${k}`)}
                </Text>
                <Text size="large" weight="plus">
                  {stats.data ? stats.data[k] : "—"}
                </Text>
              </div>
            ))}
            <div className="flex flex-col" data-testid="pagoefectivo-ops-cip-stats-conversion">
              <Text size="xsmall" className="text-ui-fg-muted">
                {t("pagoefectivo.ops.finance.cips.conversion")}
              </Text>
              <Text size="large" weight="plus">
                {stats.data?.renewed_conversion == null ? "—" : new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(stats.data.renewed_conversion)}
              </Text>
            </div>
          </div>
        )}
      </section>

      <section className="flex flex-col gap-y-3">
        <Heading level="h3">{t("pagoefectivo.ops.finance.exportTitle")}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {t("pagoefectivo.ops.finance.exportDescription")}
        </Text>
        <div className="flex flex-wrap items-end gap-3">
          <DateField id="pe-export-from" label={t("pagoefectivo.ops.finance.from")} value={from} onChange={setFrom} />
          <DateField id="pe-export-to" label={t("pagoefectivo.ops.finance.to")} value={to} onChange={setTo} />
          <Button size="small" variant="secondary" isLoading={download.isPending && download.variables === "csv"} onClick={() => download.mutate("csv")}>
            {t("pagoefectivo.ops.finance.downloadCsv")}
          </Button>
          <Button size="small" variant="secondary" isLoading={download.isPending && download.variables === "json"} onClick={() => download.mutate("json")}>
            {t("pagoefectivo.ops.finance.downloadJson")}
          </Button>
        </div>
      </section>

      <section className="flex flex-col gap-y-3">
        <Heading level="h3">{t("pagoefectivo.ops.finance.batchTitle")}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {t("pagoefectivo.ops.finance.batchDescription")}
        </Text>
        <Input type="file" accept=".csv,text/csv" size="small" onChange={choose} data-testid="pagoefectivo-ops-batch-file" />
        {prepared && (
          <div className="flex flex-wrap items-center gap-3">
            <Text size="small" data-testid="pagoefectivo-ops-batch-ready">
              {t("pagoefectivo.ops.finance.ready", { file: prepared.file, count: prepared.items.length, key: prepared.key })}
            </Text>
            {!prepared.problems.length && prepared.items.length > 0 && !confirming && (
              <Button size="small" onClick={() => setConfirming(true)}>
                {t("pagoefectivo.ops.finance.refund", { count: prepared.items.length })}
              </Button>
            )}
            {confirming && (
              <>
                <Button size="small" variant="danger" isLoading={batch.isPending} onClick={() => batch.mutate(prepared)}>
                  {t("pagoefectivo.ops.finance.confirm", { count: prepared.items.length })}
                </Button>
                <Button size="small" variant="secondary" disabled={batch.isPending} onClick={() => setConfirming(false)}>
                  {t("pagoefectivo.actions.cancel")}
                </Button>
              </>
            )}
          </div>
        )}
        {problems.length > 0 && (
          <div className="flex flex-col gap-y-1" data-testid="pagoefectivo-ops-batch-problems">
            <Text size="small" weight="plus" className="text-ui-fg-error">
              {t("pagoefectivo.ops.finance.problems")}
            </Text>
            {problems.map((p, i) => (
              <Text key={i} size="small" className="text-ui-fg-error">
                {p.line ? t("pagoefectivo.ops.finance.line", { line: p.line }) : ""} {p.field ? `(${p.field})` : ""} {p.message}
              </Text>
            ))}
          </div>
        )}
        {result && (
          <Table data-testid="pagoefectivo-ops-batch-result">
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{t("pagoefectivo.ops.finance.lineHeader")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.ops.finance.payment")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.status")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.amount")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.reason")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {result.items.map((r) => (
                <Table.Row key={r.line} data-testid="pagoefectivo-ops-batch-line" data-status={r.status}>
                  <Table.Cell>{result.lines[r.line - 1] ?? r.line}</Table.Cell>
                  <Table.Cell className="font-mono">{r.payment_id}</Table.Cell>
                  <Table.Cell>
                    <StatusBadge color={STATUS_COLOR[r.status] ?? "grey"}>{t(`pagoefectivo.ops.batchStatus.${r.status}`, { defaultValue: r.status })}</StatusBadge>
                  </Table.Cell>
                  <Table.Cell className="whitespace-nowrap">{formatMoney(r.amount, r.currency_code, locale)}</Table.Cell>
                  <Table.Cell className="whitespace-normal">
                    {[r.duplicate ? t("pagoefectivo.ops.finance.duplicate") : "", r.refund_id ?? "", r.message ?? ""].filter(Boolean).join(" · ") || "—"}
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        )}
      </section>
    </div>
  )
}
