import { Button, Drawer, Input, Label, Text, Textarea, toast } from "@medusajs/ui"
import { useMutation } from "@tanstack/react-query"
import { useState } from "react"
import { useTranslation } from "react-i18next"
import type { RefundView } from "../../api/admin/pagoefectivo/orders/view"
import { messageOf } from "../lib/format"
import { sdk } from "../lib/sdk"

/**
 * Manual mode: "Mark as transferred" (with the bank transfer's reference) or "Mark as failed" (with
 * a reason), through POST /admin/pagoefectivo/refunds/:id/complete and …/fail.
 */
export const ManualSettleDrawer = ({
  kind,
  refund,
  amountText,
  onClose,
  onDone,
}: {
  kind: "complete" | "fail"
  refund: Pick<RefundView, "refund_id">
  amountText: string
  onClose: () => void
  onDone: () => void
}) => {
  const { t } = useTranslation()
  const [value, setValue] = useState("")
  const settle = useMutation({
    mutationFn: () =>
      sdk.client.fetch(`/admin/pagoefectivo/refunds/${refund.refund_id}/${kind}`, {
        method: "POST",
        body: kind === "complete" ? { bank_reference: value.trim() } : { reason: value.trim() },
      }),
    onSuccess: () => {
      toast.success(t(kind === "complete" ? "pagoefectivo.toasts.transferred" : "pagoefectivo.toasts.markedFailed"))
      onClose()
    },
    onError: (e) => toast.error(t("pagoefectivo.toasts.error", { message: messageOf(e) })),
    onSettled: onDone,
  })
  const fieldId = `pagoefectivo-${kind}-${refund.refund_id}`
  return (
    <Drawer open onOpenChange={(open) => !open && onClose()}>
      <Drawer.Content>
        <Drawer.Header>
          <Drawer.Title>{t(kind === "complete" ? "pagoefectivo.dialogs.transferredTitle" : "pagoefectivo.dialogs.failedTitle")}</Drawer.Title>
        </Drawer.Header>
        <Drawer.Body className="flex flex-col gap-y-4">
          <Text size="small">
            {t(kind === "complete" ? "pagoefectivo.dialogs.transferredDescription" : "pagoefectivo.dialogs.failedDescription", {
              amount: amountText,
            })}
          </Text>
          <div className="flex flex-col gap-y-2">
            <Label htmlFor={fieldId}>{t(kind === "complete" ? "pagoefectivo.dialogs.bankReference" : "pagoefectivo.dialogs.reason")}</Label>
            {kind === "complete" ? (
              <Input id={fieldId} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
            ) : (
              <Textarea id={fieldId} value={value} onChange={(e) => setValue(e.target.value)} autoFocus />
            )}
          </div>
        </Drawer.Body>
        <Drawer.Footer>
          <Drawer.Close asChild>
            <Button size="small" variant="secondary">
              {t("pagoefectivo.actions.cancel")}
            </Button>
          </Drawer.Close>
          <Button
            size="small"
            variant={kind === "complete" ? "primary" : "danger"}
            disabled={!value.trim()}
            isLoading={settle.isPending}
            onClick={() => settle.mutate()}
          >
            {t("pagoefectivo.actions.save")}
          </Button>
        </Drawer.Footer>
      </Drawer.Content>
    </Drawer>
  )
}
