import { Button, StatusBadge, Table, Text, toast } from "@medusajs/ui"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { useTranslation } from "react-i18next"
import { Link } from "react-router-dom"
import type { AdminPagoEfectivoAttentionResponse, AttentionAction, AttentionItem } from "../../../api/admin/pagoefectivo/attention/route"
import { formatDate, formatMoney, intlLocale, messageOf } from "../../lib/format"
import { itemsOf, post, refreshOps, usePagedList } from "../../lib/ops"
import { ManualSettleDrawer } from "../manual-settle-drawer"
import { ListFooter, ListState } from "./list-state"

const KIND_COLOR: Record<AttentionItem["kind"], "red" | "orange" | "purple" | "blue" | "grey"> = {
  counted_failed: "red",
  awaiting_transfer: "purple",
  unconfirmed: "orange",
  anomaly: "red",
  return_error: "red",
  outside: "blue",
  overpayment: "orange",
}

type CheckOutcome = "completed" | "failed" | "undone" | "open"

/**
 * Needs attention: one queue across all orders (GET /admin/pagoefectivo/attention). Each row
 * links to its order and offers the action its route says exists for it.
 */
export const AttentionQueue = () => {
  const { t, i18n } = useTranslation()
  const locale = intlLocale(i18n.language)
  const queryClient = useQueryClient()
  const list = usePagedList<AttentionItem, AdminPagoEfectivoAttentionResponse>("attention", "/admin/pagoefectivo/attention")
  const [settle, setSettle] = useState<{ kind: "complete" | "fail"; item: AttentionItem } | null>(null)

  const act = useMutation({
    mutationFn: async ({ action, item }: { action: AttentionAction; item: AttentionItem }) => {
      if (action === "check") return { action, body: await post<{ outcome: CheckOutcome }>(`/admin/pagoefectivo/refunds/${item.refund_id}/check`) }
      if (action === "retry_return") return { action, body: await post(`/admin/pagoefectivo/returns/${item.return_id}/refund`) }
      if (action === "refund_overpayment") return { action, body: await post(`/admin/pagoefectivo/overpayments/${item.cip}/refund`) }
      if (action === "retry_overpayment_refund") return { action, body: await post(`/admin/pagoefectivo/overpayments/${item.cip}/refund`, { retry: true }) }
      return { action, body: await post<{ outcome: string }>(`/admin/pagoefectivo/notifications/${item.notification_id}/record`) }
    },
    onSuccess: ({ action, body }) => {
      if (action === "check") {
        const outcome = (body as { outcome: CheckOutcome }).outcome
        const message = t(`pagoefectivo.toasts.${outcome}`)
        outcome === "completed" ? toast.success(message) : outcome === "open" ? toast.info(message) : toast.warning(message)
      } else if (action === "retry_return") toast.success(t("pagoefectivo.returns.retried"))
      else if (action === "refund_overpayment" || action === "retry_overpayment_refund") toast.success(t("pagoefectivo.ops.attention.overpaymentRefunded"))
      else toast.success(t((body as { outcome: string }).outcome === "duplicate" ? "pagoefectivo.ops.attention.recordedAlready" : "pagoefectivo.ops.attention.recorded"))
    },
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
    onSettled: () => refreshOps(queryClient),
  })

  const items = itemsOf(list.data)
  const busy = (action: AttentionAction, item: AttentionItem) => act.isPending && act.variables?.action === action && act.variables.item.key === item.key
  const run = (action: AttentionAction, item: AttentionItem) => {
    if (action === "mark_transferred") return setSettle({ kind: "complete", item })
    if (action === "mark_failed") return setSettle({ kind: "fail", item })
    act.mutate({ action, item })
  }

  return (
    <div data-testid="pagoefectivo-ops-attention">
      <Text size="small" className="text-ui-fg-subtle mb-4">
        {t("pagoefectivo.ops.attention.description", { minutes: list.data?.pages[0]?.unconfirmed_after_minutes ?? "—" })}
      </Text>
      <ListState list={list} empty={t("pagoefectivo.ops.attention.empty")} testId="pagoefectivo-ops-attention-empty">
        <div className="overflow-x-auto">
          <Table>
            <Table.Header>
              <Table.Row>
                <Table.HeaderCell>{t("pagoefectivo.ops.attention.why")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.ops.attention.order")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.amount")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.ops.attention.detail")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.ops.attention.since")}</Table.HeaderCell>
                <Table.HeaderCell>{t("pagoefectivo.refunds.actions")}</Table.HeaderCell>
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {items.map((item) => (
                <Table.Row key={item.key} data-testid="pagoefectivo-ops-attention-row" data-kind={item.kind} data-refund-id={item.refund_id ?? ""} data-key={item.key}>
                  <Table.Cell>
                    <div className="flex flex-col items-start gap-y-1 py-1">
                      <StatusBadge color={KIND_COLOR[item.kind] ?? "grey"} className="text-nowrap" data-testid="pagoefectivo-ops-attention-kind">
                        {t(`pagoefectivo.ops.kind.${item.kind}`, { defaultValue: item.kind })}
                      </StatusBadge>
                      <Text size="xsmall" className="text-ui-fg-muted">
                        {t(`pagoefectivo.status.${item.status}`, { defaultValue: item.status })}
                      </Text>
                    </div>
                  </Table.Cell>
                  <Table.Cell>
                    <div className="flex flex-col py-1">
                      {item.order_id ? (
                        <Link to={`/orders/${item.order_id}`} className="txt-compact-small text-ui-fg-interactive hover:text-ui-fg-interactive-hover font-mono" data-testid="pagoefectivo-ops-attention-order">
                          {item.order_id}
                        </Link>
                      ) : (
                        <Text size="small">—</Text>
                      )}
                      <Text size="xsmall" className="text-ui-fg-muted font-mono">
                        {item.cip ? `CIP ${item.cip}` : ""} {item.refund_id ?? item.return_id ?? ""}
                      </Text>
                    </div>
                  </Table.Cell>
                  <Table.Cell className="whitespace-nowrap">{formatMoney(item.amount, item.currency_code, locale)}</Table.Cell>
                  <Table.Cell className="max-w-[320px] whitespace-normal">
                    <Text size="xsmall" data-testid="pagoefectivo-ops-attention-detail">
                      {item.anomaly ?? item.detail ?? "—"}
                    </Text>
                  </Table.Cell>
                  <Table.Cell className="whitespace-nowrap">{formatDate(item.at, locale)}</Table.Cell>
                  <Table.Cell>
                    <div className="flex flex-col items-start gap-y-1">
                      {item.actions.map((action) => (
                        <Button
                          key={action}
                          size="small"
                          variant={action === "mark_failed" ? "danger" : "secondary"}
                          className="text-nowrap"
                          isLoading={busy(action, item)}
                          disabled={act.isPending}
                          onClick={() => run(action, item)}
                        >
                          {t(`pagoefectivo.ops.action.${action}`)}
                        </Button>
                      ))}
                    </div>
                  </Table.Cell>
                </Table.Row>
              ))}
            </Table.Body>
          </Table>
        </div>
        <ListFooter list={list} />
      </ListState>
      {settle && settle.item.refund_id && (
        <ManualSettleDrawer
          kind={settle.kind}
          refund={{ refund_id: settle.item.refund_id }}
          amountText={formatMoney(settle.item.amount, settle.item.currency_code, locale)}
          onClose={() => setSettle(null)}
          onDone={() => refreshOps(queryClient)}
        />
      )}
    </div>
  )
}
