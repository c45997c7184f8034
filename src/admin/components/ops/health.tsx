import { Button, Heading, StatusBadge, Table, Text } from "@medusajs/ui"
import { useMutation, useQuery } from "@tanstack/react-query"
import { useTranslation } from "react-i18next"
import type { AdminPagoEfectivoTestConnectionResponse } from "../../../api/admin/pagoefectivo/health/test-connection/route"
import type { AdminPagoEfectivoHealthResponse } from "../../../api/admin/pagoefectivo/health/route"
import type { ReconcileRunView } from "../../../api/admin/pagoefectivo/health/view"
import type { AdminPagoEfectivoReconcileRunsResponse } from "../../../api/admin/pagoefectivo/reconcile-runs/route"
import { formatDate, intlLocale, messageOf } from "../../lib/format"
import { itemsOf, opsKey, post, usePagedList } from "../../lib/ops"
import { sdk } from "../../lib/sdk"
import { ListFooter, ListState } from "./list-state"

const RUN_COLOR: Record<string, "green" | "red" | "grey"> = { ok: "green", failed: "red", skipped: "grey" }

const Row = ({ label, value, testId }: { label: string; value: string; testId: string }) => (
  <div className="grid grid-cols-[220px_1fr] gap-x-4 py-1">
    <Text size="small" className="text-ui-fg-subtle">
      {label}
    </Text>
    <Text size="small" className="break-all font-mono" data-testid={testId}>
      {value}
    </Text>
  </div>
)

/**
 * Health: how the plugin is set up (GET /admin/pagoefectivo/health: never a credential), when the
 * last notification arrived, the reconciliation's runs (GET /admin/pagoefectivo/reconcile-runs),
 * and Test connection (one authorization call: success, or the error's class and PagoEfectivo's message).
 */
export const Health = () => {
  const { t, i18n } = useTranslation()
  const locale = intlLocale(i18n.language)
  const health = useQuery({ queryKey: opsKey("health"), queryFn: () => sdk.client.fetch<AdminPagoEfectivoHealthResponse>("/admin/pagoefectivo/health") })
  const runs = usePagedList<ReconcileRunView, AdminPagoEfectivoReconcileRunsResponse>("runs", "/admin/pagoefectivo/reconcile-runs")
  const test = useMutation({ mutationFn: () => post<AdminPagoEfectivoTestConnectionResponse>("/admin/pagoefectivo/health/test-connection") })

  const h = health.data
  const last = h?.reconciliation.last_run ?? null
  return (
    <div className="flex flex-col gap-y-6" data-testid="pagoefectivo-ops-health">
      <section>
        {health.isLoading && <Text size="small">{t("pagoefectivo.loading")}</Text>}
        {health.isError && (
          <Text size="small" className="text-ui-fg-error" data-testid="pagoefectivo-ops-error">
            {t("pagoefectivo.ops.loadError", { message: messageOf(health.error) })}
          </Text>
        )}
        {h && (
          <div className="flex flex-col">
            <Row label={t("pagoefectivo.ops.health.refundMode")} value={t(`pagoefectivo.ops.health.mode.${h.refund_mode}`)} testId="pagoefectivo-ops-health-refund-mode" />
            <Row label={t("pagoefectivo.ops.health.environment")} value={h.environment} testId="pagoefectivo-ops-health-environment" />
            <Row label={t("pagoefectivo.ops.health.baseUrl")} value={h.base_url} testId="pagoefectivo-ops-health-base-url" />
            <Row label={t("pagoefectivo.ops.health.notificationUrl")} value={h.notification_url} testId="pagoefectivo-ops-health-notification-url" />
            <Row label={t("pagoefectivo.ops.health.lastNotification")} value={formatDate(h.last_notification_at, locale)} testId="pagoefectivo-ops-health-last-notification" />
            <Row
              label={t("pagoefectivo.ops.health.lastRun")}
              value={last ? `${formatDate(last.started_at, locale)} · ${t(`pagoefectivo.ops.runStatus.${last.status}`)}` : t("pagoefectivo.ops.health.never")}
              testId="pagoefectivo-ops-health-last-run"
            />
            {!h.medusa ? null : h.medusa.books_written ? (
              <Row label={t("pagoefectivo.ops.health.medusa")} value={t("pagoefectivo.ops.health.medusaOk", { version: h.medusa.version })} testId="pagoefectivo-ops-health-medusa" />
            ) : (
              <div className="my-2 flex flex-col gap-y-1 rounded-md border border-ui-border-error p-3" data-testid="pagoefectivo-ops-health-medusa-differs">
                <Text size="small" weight="plus" className="text-ui-fg-error">
                  {t("pagoefectivo.ops.health.medusaDiffers", { version: h.medusa.version })}
                </Text>
                <ul className="list-disc pl-5">
                  {(h.medusa.differences ?? []).map((d) => (
                    <li key={d}>
                      <Text size="small" className="font-mono text-ui-fg-error">
                        {d}
                      </Text>
                    </li>
                  ))}
                </ul>
              </div>
            )}
            <Row label={t("pagoefectivo.ops.health.schedule")} value={t("pagoefectivo.ops.health.every", { every: h.reconciliation.every_minutes, after: h.reconciliation.after_minutes })} testId="pagoefectivo-ops-health-schedule" />
            {h.reconciliation.overdue && (
              <Text size="small" className="text-ui-fg-error mt-2" data-testid="pagoefectivo-ops-health-overdue">
                {t("pagoefectivo.ops.health.overdue", { every: h.reconciliation.every_minutes })}
              </Text>
            )}
          </div>
        )}
      </section>

      <section className="flex flex-col items-start gap-y-2">
        <Button size="small" variant="secondary" isLoading={test.isPending} onClick={() => test.mutate()}>
          {t("pagoefectivo.ops.action.testConnection")}
        </Button>
        {test.isError && (
          <Text size="small" className="text-ui-fg-error" data-testid="pagoefectivo-ops-test-result" data-ok="error">
            {t("pagoefectivo.toasts.error", { message: messageOf(test.error) })}
          </Text>
        )}
        {test.data && (
          <div data-testid="pagoefectivo-ops-test-result" data-ok={String(test.data.ok)}>
            {test.data.ok ? (
              <Text size="small" className="text-ui-fg-interactive">
                {t("pagoefectivo.ops.health.testOk", { url: test.data.base_url, ms: test.data.latency_ms, expires: formatDate(test.data.token_expires_at, locale) })}
              </Text>
            ) : (
              <div className="flex flex-col">
                <Text size="small" className="text-ui-fg-error" weight="plus">
                  {t("pagoefectivo.ops.health.testFailed", { url: test.data.base_url, kind: test.data.error.kind, status: test.data.error.status ?? "—" })}
                </Text>
                <Text size="small" className="text-ui-fg-error" data-testid="pagoefectivo-ops-test-message">
                  {test.data.error.message}
                </Text>
              </div>
            )}
          </div>
        )}
      </section>

      <section>
        <Heading level="h3" className="mb-2">
          {t("pagoefectivo.ops.health.runs")}
        </Heading>
        <ListState list={runs} empty={t("pagoefectivo.ops.health.noRuns")}>
          <Table>
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{t("pagoefectivo.ops.health.runAt")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.status")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.ops.health.summary")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {itemsOf(runs.data).map((r) => (
                <Table.Row key={r.id} data-testid="pagoefectivo-ops-run" data-status={r.status}>
                  <Table.Cell className="whitespace-nowrap">
                    {formatDate(r.started_at, locale)} · {r.trigger}
                  </Table.Cell>
                  <Table.Cell>
                    <StatusBadge color={RUN_COLOR[r.status] ?? "grey"}>{t(`pagoefectivo.ops.runStatus.${r.status}`, { defaultValue: r.status })}</StatusBadge>
                  </Table.Cell>
                  <Table.Cell className="whitespace-normal">
                    <Text size="xsmall" className={r.error ? "text-ui-fg-error font-mono" : "font-mono"}>
                      {r.error ?? r.summary_line ?? "—"}
                    </Text>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
          <ListFooter list={runs} />
        </ListState>
      </section>
    </div>
  )
}
