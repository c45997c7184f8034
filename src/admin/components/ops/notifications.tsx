import { Button, Checkbox, Label, StatusBadge, Text, toast } from "@medusajs/ui"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { useTranslation } from "react-i18next"
import type { AdminPagoEfectivoReprocessResponse } from "../../../api/admin/pagoefectivo/notifications/[id]/reprocess/route"
import type { AdminPagoEfectivoNotificationsResponse } from "../../../api/admin/pagoefectivo/notifications/route"
import type { NotificationView } from "../../../api/admin/pagoefectivo/notifications/view"
import { formatDate, intlLocale, messageOf } from "../../lib/format"
import { itemsOf, post, refreshOps, usePagedList } from "../../lib/ops"
import { ListFooter, ListState } from "./list-state"

const FILTERS = ["failed", "unmatched", "deferred"] as const
const COLOR: Record<string, "red" | "orange" | "blue" | "green" | "grey"> = {
  failed: "red",
  unmatched: "blue",
  deferred: "orange",
  received: "orange",
  processed: "green",
  anomaly: "red",
  ignored: "grey",
}
const REPROCESSABLE = ["failed", "unmatched", "deferred", "received"]

/**
 * Notifications that failed, matched nothing or wait (GET /admin/pagoefectivo/notifications), with
 * their payload (the body PagoEfectivo signed: no secret is stored) and Reprocess.
 */
export const NotificationsList = () => {
  const { t, i18n } = useTranslation()
  const locale = intlLocale(i18n.language)
  const queryClient = useQueryClient()
  const [statuses, setStatuses] = useState<string[]>([...FILTERS])
  const list = usePagedList<NotificationView, AdminPagoEfectivoNotificationsResponse>("notifications", "/admin/pagoefectivo/notifications", { status: statuses.join(",") })

  const reprocess = useMutation({
    mutationFn: (id: string) => post<AdminPagoEfectivoReprocessResponse>(`/admin/pagoefectivo/notifications/${id}/reprocess`),
    onSuccess: ({ notification }) => {
      const message = t("pagoefectivo.ops.notifications.reprocessed", { status: t(`pagoefectivo.ops.notificationStatus.${notification.status}`, { defaultValue: notification.status }) })
      notification.status === "processed" ? toast.success(message) : toast.warning(notification.error ? `${message} ${notification.error}` : message)
    },
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
    onSettled: () => refreshOps(queryClient),
  })

  const toggle = (s: string, on: boolean) => setStatuses((now) => (on ? [...new Set([...now, s])] : now.filter((x) => x !== s).length ? now.filter((x) => x !== s) : now))

  return (
    <div data-testid="pagoefectivo-ops-notifications">
      <div className="mb-4 flex flex-wrap items-center gap-x-4 gap-y-2">
        {FILTERS.map((s) => (
          <div key={s} className="flex items-center gap-x-2">
            <Checkbox id={`pe-filter-${s}`} checked={statuses.includes(s)} onCheckedChange={(v) => toggle(s, v === true)} />
            <Label htmlFor={`pe-filter-${s}`} size="small">
              {t(`pagoefectivo.ops.notificationStatus.${s}`)}
            </Label>
          </div>
        ))}
      </div>
      <ListState list={list} empty={t("pagoefectivo.ops.notifications.empty")} testId="pagoefectivo-ops-notifications-empty">
        <div className="flex flex-col divide-y">
          {itemsOf(list.data).map((n) => (
            <div key={n.id} className="flex flex-col gap-y-2 py-3" data-testid="pagoefectivo-ops-notification" data-id={n.id} data-status={n.status}>
              <div className="flex flex-wrap items-center justify-between gap-2">
                <div className="flex flex-wrap items-center gap-x-2">
                  <StatusBadge color={COLOR[n.status] ?? "grey"} data-testid="pagoefectivo-ops-notification-status">
                    {t(`pagoefectivo.ops.notificationStatus.${n.status}`, { defaultValue: n.status })}
                  </StatusBadge>
                  <Text size="small" weight="plus" className="font-mono">
                    {n.event_type}
                  </Text>
                  <Text size="small" className="text-ui-fg-subtle font-mono">
                    {n.cip ? `CIP ${n.cip}` : ""} {n.refund_id ?? ""}
                  </Text>
                </div>
                <div className="flex items-center gap-x-3">
                  <Text size="xsmall" className="text-ui-fg-muted">
                    {t("pagoefectivo.ops.notifications.received", { at: formatDate(n.received_at, locale), count: n.deliveries })}
                  </Text>
                  {REPROCESSABLE.includes(n.status) && (
                    <Button size="small" variant="secondary" isLoading={reprocess.isPending && reprocess.variables === n.id} disabled={reprocess.isPending} onClick={() => reprocess.mutate(n.id)}>
                      {t("pagoefectivo.ops.action.reprocess")}
                    </Button>
                  )}
                </div>
              </div>
              {n.error && (
                <Text size="xsmall" className="text-ui-fg-error" data-testid="pagoefectivo-ops-notification-error">
                  {n.error}
                </Text>
              )}
              <details>
                <summary className="txt-compact-xsmall text-ui-fg-subtle cursor-pointer">{t("pagoefectivo.ops.notifications.payload")}</summary>
                <pre className="bg-ui-bg-subtle txt-compact-xsmall mt-2 overflow-x-auto rounded p-2 font-mono" data-testid="pagoefectivo-ops-notification-payload">
                  {JSON.stringify(n.payload, null, 2)}
                </pre>
              </details>
            </div>
          ))}
        </div>
        <ListFooter list={list} />
      </ListState>
    </div>
  )
}
