import { defineWidgetConfig } from "@medusajs/admin-sdk"
import type { AdminOrder, DetailWidgetProps } from "@medusajs/framework/types"
import { Button, Container, Heading, StatusBadge, Table, Text, toast } from "@medusajs/ui"
import { type QueryKey, useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useEffect, useRef, useState } from "react"
import { useTranslation } from "react-i18next"
import { useLocation } from "react-router-dom"
import { AWAITING_GATEWAY_STATUSES } from "../../lib/refund-status"
import type { AdminPagoEfectivoOrderResponse, ReturnRefundView } from "../../api/admin/pagoefectivo/orders/[id]/route"
import type { RefundView } from "../../api/admin/pagoefectivo/orders/view"
import { ManualSettleDrawer } from "../components/manual-settle-drawer"
import { formatDate, formatMoney, intlLocale, messageOf } from "../lib/format"
import { PanelBoundary, isPagoEfectivoOrder } from "../lib/guard"
import { sdk } from "../lib/sdk"

/**
 * The PagoEfectivo panel on the order page (zone order.details.after): the order's CIP and what
 * PagoEfectivo did with each refund staff made with Medusa's own Refund button, with the actions
 * that apply to a refund (check it now; in manual mode, record the bank transfer or its failure).
 * It reads GET /admin/pagoefectivo/orders/:id.
 *
 * It never breaks the page it sits on (src/admin/lib/guard.tsx): for an order paid another way it
 * renders nothing and calls no hook, query or router function at all (the widget renders on every
 * order page); for a PagoEfectivo order an error boundary shows a one-line notice instead of a
 * panel that threw, and the one router hook it uses sits in a boundary of its own, so a store whose
 * react-router-dom is not the dashboard's copy loses only the refetch on route changes.
 *
 * Keeping it current — refund results arrive in the background (PagoEfectivo's notification, the
 * reconciliation job), and staff act in Medusa's refund drawer, outside this component:
 * 1. Its query key sits under the dashboard's order keys (["orders", "detail", id, …]). Medusa's
 *    refund mutation invalidates ["orders", "detail"] when a refund succeeds, so the panel
 *    refetches together with the order, with no coupling to the drawer's internals.
 * 2. The drawer is a child route (/orders/:id/refund); the panel stays mounted under it and
 *    refetches whenever the location changes (RefetchOnRouteChange), so closing the drawer also
 *    refreshes it after a refused refund (Medusa invalidates nothing then, but a failed record was
 *    written) or a cancel.
 * 3. While any refund is requested, pending or verifying, it polls every 3 s, and it refetches when
 *    the window regains focus; settled refunds cost no polling at all.
 * 4. When a refund's status changes under it (say a rejection undid Medusa's refund), it
 *    invalidates the dashboard's order queries, so the order's totals and payment section follow.
 * 5. After its own actions it invalidates the order and itself.
 */

// The panel's data is what GET /admin/pagoefectivo/orders/:id answers: its types, erased at build.
type PanelData = AdminPagoEfectivoOrderResponse

const RETURN_COLOR: Record<ReturnRefundView["status"], "green" | "red" | "orange" | "grey"> = {
  ok: "green",
  pending: "orange",
  running: "orange",
  error: "red",
  skipped: "grey",
}

type CheckOutcome = "completed" | "failed" | "undone" | "open"

const POLL_MS = 3000

const STATUS_COLOR: Record<string, "green" | "red" | "blue" | "orange" | "grey" | "purple"> = {
  requested: "grey",
  pending: "orange",
  verifying: "orange",
  awaiting_transfer: "purple",
  completed: "green",
  rejected: "red",
  failed: "red",
}

const CIP_COLOR: Record<string, "green" | "red" | "orange" | "grey"> = {
  pending: "orange",
  paid: "green",
  expired: "red",
  deleted: "grey",
}

const orderKey = (orderId: string): QueryKey => ["orders", "detail", orderId]
const panelKey = (orderId: string): QueryKey => ["orders", "detail", orderId, "pagoefectivo"]

/** The widget: nothing at all unless the order is PagoEfectivo's; the panel inside a boundary. */
const PagoEfectivoOrderWidget = ({ data: order }: DetailWidgetProps<AdminOrder>) => {
  if (!order?.id || !isPagoEfectivoOrder(order)) return null
  return (
    <PanelBoundary fallback={(e) => <PanelFailed message={e.message} />}>
      <PagoEfectivoPanel orderId={order.id} />
    </PanelBoundary>
  )
}

/** Hook-free, so that it cannot fail in turn: the page goes on without the panel. */
const PanelFailed = ({ message }: { message: string }) => (
  <Container className="px-6 py-4" data-testid="pagoefectivo-panel-failed">
    <Heading level="h2">PagoEfectivo</Heading>
    <Text size="small" className="text-ui-fg-subtle mt-2">
      The PagoEfectivo panel could not be shown / No se pudo mostrar el panel de PagoEfectivo: {message}
    </Text>
  </Container>
)

/** (2) Calls `onChange` when the route changes; the only router hook of the panel. */
const RefetchOnRouteChange = ({ onChange }: { onChange: () => void }) => {
  const { pathname } = useLocation()
  const first = useRef(pathname)
  useEffect(() => {
    if (pathname === first.current) return
    first.current = pathname
    onChange()
  }, [pathname, onChange])
  return null
}

const PagoEfectivoPanel = ({ orderId }: { orderId: string }) => {
  const { t, i18n } = useTranslation()
  const locale = intlLocale(i18n.language)
  const queryClient = useQueryClient()

  const { data, isLoading, isError, error, refetch } = useQuery({
    queryKey: panelKey(orderId),
    queryFn: () => sdk.client.fetch<PanelData>(`/admin/pagoefectivo/orders/${orderId}`),
    refetchInterval: (query) => (query.state.data?.refunds.some((r) => (AWAITING_GATEWAY_STATUSES as string[]).includes(r.status)) ? POLL_MS : false),
    refetchOnWindowFocus: true,
    staleTime: 0,
  })

  // (2) The refund drawer is a child route: refetch whenever the location changes under us. Without
  // the dashboard's router (another react-router-dom copy) the listener alone gives up, quietly.
  const routeListener = (
    <PanelBoundary fallback={() => null} onError={(e) => console.warn(`[pagoefectivo] no refetch on route changes: ${e.message}`)}>
      <RefetchOnRouteChange onChange={refetch} />
    </PanelBoundary>
  )

  // (4) A refund changed status: the order's own sections (totals, payments) are stale too.
  const lastStatuses = useRef<string | null>(null)
  useEffect(() => {
    if (!data) return
    const statuses = data.refunds.map((r) => `${r.refund_id}:${r.status}:${r.reversed_at ? "x" : ""}`).join(",")
    const before = lastStatuses.current
    lastStatuses.current = statuses
    if (before !== null && before !== statuses) {
      queryClient.invalidateQueries({
        queryKey: orderKey(orderId),
        predicate: (q) => q.queryKey[3] !== "pagoefectivo",
      })
    }
  }, [data, orderId, queryClient])

  // (5) After an action: the order (Medusa's refund may have been undone) and the panel.
  const refreshAll = () => queryClient.invalidateQueries({ queryKey: orderKey(orderId) })

  const check = useMutation({
    mutationFn: (refundId: string) =>
      sdk.client.fetch<{ outcome: CheckOutcome; refund: RefundView }>(`/admin/pagoefectivo/refunds/${refundId}/check`, {
        method: "POST",
        body: {},
      }),
    onSuccess: ({ outcome }) => {
      const message = t(`pagoefectivo.toasts.${outcome}`)
      if (outcome === "completed") toast.success(message)
      else if (outcome === "open") toast.info(message)
      else toast.warning(message)
    },
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
    onSettled: refreshAll,
  })

  // A return whose automatic refund failed: staff retry it (never refunds a return twice).
  const retryReturn = useMutation({
    mutationFn: (returnId: string) => sdk.client.fetch(`/admin/pagoefectivo/returns/${returnId}/refund`, { method: "POST", body: {} }),
    onSuccess: () => toast.success(t("pagoefectivo.returns.retried")),
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
    onSettled: refreshAll,
  })

  const [dialog, setDialog] = useState<{ kind: "complete" | "fail"; refund: RefundView } | null>(null)

  if (isLoading) return routeListener
  if (isError) {
    return (
      <Container className="px-6 py-4" data-testid="pagoefectivo-panel">
        {routeListener}
        <Heading level="h2">{t("pagoefectivo.title")}</Heading>
        <Text size="small" className="text-ui-fg-error mt-2">
          {t("pagoefectivo.loadError", { message: messageOf(error) })}
        </Text>
      </Container>
    )
  }
  if (!data?.pagoefectivo) return routeListener

  const { cip, refunds, refund_mode } = data
  const cips = data.cips ?? []
  const cipStatus = cip?.status ?? "unknown"

  return (
    <Container className="divide-y p-0" data-testid="pagoefectivo-panel">
      {routeListener}
      <div className="flex items-center justify-between px-6 py-4">
        <Heading level="h2">{t("pagoefectivo.title")}</Heading>
        {cip && (
          <StatusBadge color={CIP_COLOR[cipStatus] ?? "grey"} data-testid="pagoefectivo-cip-status">
            {t(`pagoefectivo.cipStatus.${cipStatus}`, { defaultValue: cipStatus })}
          </StatusBadge>
        )}
      </div>

      {cip ? (
        <div className="text-ui-fg-subtle grid grid-cols-2 gap-x-4 gap-y-2 px-6 py-4" data-testid="pagoefectivo-cip">
          <Field label={t("pagoefectivo.cip.code")} value={cip.code} testId="pagoefectivo-cip-code" />
          <Field label={t("pagoefectivo.cip.amount")} value={formatMoney(cip.amount, cip.currency, locale)} testId="pagoefectivo-cip-amount" />
          <Field label={t("pagoefectivo.cip.expiresAt")} value={formatDate(cip.expires_at, locale)} />
          <Field label={t("pagoefectivo.cip.paidAt")} value={formatDate(cip.paid_at, locale)} />
          {cip.voucher_url && (
            <div className="col-span-2">
              <a
                href={cip.voucher_url}
                target="_blank"
                rel="noopener noreferrer"
                className="txt-compact-small text-ui-fg-interactive hover:text-ui-fg-interactive-hover"
                data-testid="pagoefectivo-voucher-link"
              >
                {t("pagoefectivo.cip.voucher")} ↗
              </a>
            </div>
          )}
        </div>
      ) : (
        <Text size="small" className="text-ui-fg-subtle px-6 py-4">
          {t("pagoefectivo.cip.none")}
        </Text>
      )}

      {cips.length > 1 && (
        <div className="px-6 py-4" data-testid="pagoefectivo-cips">
          <Heading level="h3" className="mb-2">
            {t("pagoefectivo.cips.title")}
          </Heading>
          <ul className="flex flex-col gap-y-1">
            {cips.map((c) => (
              <li key={c.code} className="txt-compact-small text-ui-fg-subtle flex flex-wrap items-center gap-x-2" data-testid="pagoefectivo-cips-row" data-status={c.status}>
                <span className="text-ui-fg-base font-mono">{c.code}</span>
                <StatusBadge color={CIP_COLOR[c.status] ?? (c.status === "overpaid" ? "orange" : "grey")}>
                  {t(`pagoefectivo.cips.status.${c.status}`, { defaultValue: c.status })}
                </StatusBadge>
                {c.renewed && <span>{t("pagoefectivo.cips.renewed")}</span>}
                <span>
                  {t("pagoefectivo.cips.issued", { at: formatDate(c.issued_at, locale) })}
                  {c.renewed_by ? ` · ${t(`pagoefectivo.cips.by.${c.renewed_by}`, { defaultValue: c.renewed_by })}` : ""}
                  {c.paid_at ? ` · ${t("pagoefectivo.cips.paid", { at: formatDate(c.paid_at, locale) })}` : ""}
                  {c.refund_status ? ` · ${t("pagoefectivo.cips.refund", { status: t(`pagoefectivo.status.${c.refund_status}`, { defaultValue: c.refund_status }) })}` : ""}
                </span>
              </li>
            ))}
          </ul>
        </div>
      )}

      <div className="px-6 py-4">
        <div className="mb-2 flex items-center justify-between">
          <Heading level="h3">{t("pagoefectivo.refunds.title")}</Heading>
        </div>
        {refund_mode === "manual" && (
          <Text size="small" className="text-ui-fg-subtle mb-2">
            {t("pagoefectivo.manualMode")}
          </Text>
        )}
        {refunds.length === 0 ? (
          <Text size="small" className="text-ui-fg-subtle" data-testid="pagoefectivo-no-refunds">
            {t("pagoefectivo.refunds.empty")}
          </Text>
        ) : (
          <div className="overflow-x-auto">
            <Table data-testid="pagoefectivo-refunds">
              <Table.Header>
                <Table.Row>
                  <Table.HeaderCell>{t("pagoefectivo.refunds.amount")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("pagoefectivo.refunds.status")}</Table.HeaderCell>
                  <Table.HeaderCell>
                    {t("pagoefectivo.refunds.referenceId")} / {t("pagoefectivo.refunds.traceId")}
                  </Table.HeaderCell>
                  <Table.HeaderCell>
                    {t("pagoefectivo.refunds.requestedAt")} / {t("pagoefectivo.refunds.settledAt")}
                  </Table.HeaderCell>
                  <Table.HeaderCell>{t("pagoefectivo.refunds.reason")}</Table.HeaderCell>
                  <Table.HeaderCell>{t("pagoefectivo.refunds.actions")}</Table.HeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {refunds.map((r) => (
                  <Table.Row key={r.refund_id} data-testid="pagoefectivo-refund" data-refund-id={r.refund_id} data-status={r.status}>
                    <Table.Cell className="whitespace-nowrap" data-testid="pagoefectivo-refund-amount">
                      {formatMoney(r.amount, r.currency_code, locale)}
                    </Table.Cell>
                    <Table.Cell>
                      <div className="flex flex-col items-start gap-y-1">
                        <StatusBadge color={STATUS_COLOR[r.status] ?? "grey"} className="text-nowrap" data-testid="pagoefectivo-refund-status">
                          {t(`pagoefectivo.status.${r.status}`, { defaultValue: r.status })}
                        </StatusBadge>
                        {r.reversed_at && (
                          <Text size="xsmall" className="text-ui-fg-muted" data-testid="pagoefectivo-refund-not-counted">
                            {t("pagoefectivo.refunds.notCounted")}
                          </Text>
                        )}
                      </div>
                    </Table.Cell>
                    <Table.Cell>
                      <div className="flex flex-col py-1">
                        <Text size="small" leading="compact" className="font-mono" data-testid="pagoefectivo-refund-reference">
                          {r.reference_id ?? "—"}
                        </Text>
                        {/* trace ids are UUIDs: cut visually, whole in the DOM and on hover */}
                        <Text
                          size="xsmall"
                          leading="compact"
                          className="text-ui-fg-muted max-w-[120px] truncate font-mono"
                          title={r.trace_id ?? undefined}
                          data-testid="pagoefectivo-refund-trace"
                        >
                          {r.trace_id ?? "—"}
                        </Text>
                        {r.bank_reference && (
                          <Text size="xsmall" leading="compact" className="text-ui-fg-muted">
                            {t("pagoefectivo.refunds.bankReference", { reference: r.bank_reference })}
                          </Text>
                        )}
                      </div>
                    </Table.Cell>
                    <Table.Cell>
                      <div className="flex flex-col whitespace-nowrap py-1">
                        <Text size="small" leading="compact">
                          {formatDate(r.requested_at, locale)}
                        </Text>
                        <Text size="small" leading="compact" className="text-ui-fg-muted" data-testid="pagoefectivo-refund-settled">
                          {formatDate(r.settled_at, locale)}
                        </Text>
                      </div>
                    </Table.Cell>
                    <Table.Cell className="max-w-[160px] whitespace-normal" data-testid="pagoefectivo-refund-reason">
                      {r.failure_reason ?? "—"}
                    </Table.Cell>
                    <Table.Cell>
                      <div className="flex flex-col items-start gap-y-1">
                        {(r.status === "pending" || r.status === "verifying" || r.status === "requested") && (
                          <Button
                            size="small"
                            variant="secondary"
                            className="text-nowrap"
                            isLoading={check.isPending && check.variables === r.refund_id}
                            disabled={check.isPending}
                            onClick={() => check.mutate(r.refund_id)}
                          >
                            {t("pagoefectivo.actions.check")}
                          </Button>
                        )}
                        {r.status === "awaiting_transfer" && (
                          <>
                            <Button size="small" variant="secondary" className="text-nowrap" onClick={() => setDialog({ kind: "complete", refund: r })}>
                              {t("pagoefectivo.actions.markTransferred")}
                            </Button>
                            <Button size="small" variant="danger" className="text-nowrap" onClick={() => setDialog({ kind: "fail", refund: r })}>
                              {t("pagoefectivo.actions.markFailed")}
                            </Button>
                          </>
                        )}
                      </div>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table>
          </div>
        )}
      </div>

      {(data.return_refunds ?? []).length > 0 && (
        <div className="px-6 py-4" data-testid="pagoefectivo-return-refunds">
          <Heading level="h3" className="mb-2">
            {t("pagoefectivo.returns.title")}
          </Heading>
          <div className="flex flex-col gap-y-2">
            {data.return_refunds.map((r) => (
              <div key={r.return_id} className="flex items-start justify-between gap-x-4" data-testid="pagoefectivo-return-refund" data-status={r.status}>
                <div className="flex flex-col gap-y-1">
                  <Text size="small" leading="compact" className="font-mono">
                    {t("pagoefectivo.returns.return")} {r.return_id}
                  </Text>
                  {r.message && (
                    <Text size="xsmall" className="text-ui-fg-muted max-w-[420px]">
                      {r.message}
                    </Text>
                  )}
                </div>
                <div className="flex items-center gap-x-2">
                  <Text size="small" className="whitespace-nowrap">
                    {formatMoney(r.amount, r.currency_code, locale)}
                  </Text>
                  <StatusBadge color={RETURN_COLOR[r.status] ?? "grey"} className="text-nowrap">
                    {t(`pagoefectivo.returns.status.${r.status}`, { defaultValue: r.status })}
                  </StatusBadge>
                  {r.status === "error" && (
                    <Button
                      size="small"
                      variant="secondary"
                      isLoading={retryReturn.isPending && retryReturn.variables === r.return_id}
                      disabled={retryReturn.isPending}
                      onClick={() => retryReturn.mutate(r.return_id)}
                    >
                      {t("pagoefectivo.returns.retry")}
                    </Button>
                  )}
                </div>
              </div>
            ))}
          </div>
        </div>
      )}

      {dialog && (
        <ManualSettleDrawer
          kind={dialog.kind}
          refund={dialog.refund}
          amountText={formatMoney(dialog.refund.amount, dialog.refund.currency_code, locale)}
          onClose={() => setDialog(null)}
          onDone={refreshAll}
        />
      )}
    </Container>
  )
}

const Field = ({ label, value, testId }: { label: string; value: string; testId?: string }) => (
  <div className="flex flex-col">
    <Text size="small" leading="compact" className="text-ui-fg-muted">
      {label}
    </Text>
    <Text size="small" leading="compact" weight="plus" className="text-ui-fg-base" data-testid={testId}>
      {value}
    </Text>
  </div>
)

export const config = defineWidgetConfig({
  zone: "order.details.after",
})

export default PagoEfectivoOrderWidget
