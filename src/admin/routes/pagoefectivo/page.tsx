import { defineRouteConfig } from "@medusajs/admin-sdk"
import { CashSolid } from "@medusajs/icons"
import { Container, Heading, Tabs, Text } from "@medusajs/ui"
import { useState } from "react"
import { useTranslation } from "react-i18next"
import { AttentionQueue } from "../../components/ops/attention"
import { Finance } from "../../components/ops/finance"
import { Health } from "../../components/ops/health"
import { NotificationsList } from "../../components/ops/notifications"
import { PanelBoundary } from "../../lib/guard"

const TABS = ["attention", "notifications", "health", "finance"] as const
type Tab = (typeof TABS)[number]

/**
 * The PagoEfectivo page in the admin's sidebar (/app/pagoefectivo): what needs a person across
 * all orders, the notifications that failed or matched nothing, whether the plugin is set up and
 * its reconciliation runs, and finance's export and batch refunds. Each tab reads the plugin's
 * admin routes (src/api/admin/pagoefectivo) and shows their errors in place: a route that answers
 * an error, or a tab that throws, never takes the page (or the rest of the admin) down.
 */
const PagoEfectivoPage = () => {
  const { t } = useTranslation()
  const [tab, setTab] = useState<Tab>("attention")
  return (
    <Container className="flex flex-col gap-y-4 px-6 py-4" data-testid="pagoefectivo-ops">
      <div>
        <Heading level="h1">{t("pagoefectivo.ops.title")}</Heading>
        <Text size="small" className="text-ui-fg-subtle">
          {t("pagoefectivo.ops.subtitle")}
        </Text>
      </div>
      <Tabs value={tab} onValueChange={(v) => setTab(v as Tab)}>
        <Tabs.List>
          {TABS.map((k) => (
            <Tabs.Trigger key={k} value={k} data-testid={`pagoefectivo-ops-tab-${k}`}>
              {t(`pagoefectivo.ops.tabs.${k}`)}
            </Tabs.Trigger>
          ))}
        </Tabs.List>
        {TABS.map((k) => (
          <Tabs.Content key={k} value={k} className="pt-4">
            <PanelBoundary
              fallback={(e) => (
                <Text size="small" className="text-ui-fg-error" data-testid="pagoefectivo-ops-tab-failed">
                  {t("pagoefectivo.ops.tabFailed", { message: e.message })}
                </Text>
              )}
            >
              {tab === k && k === "attention" && <AttentionQueue />}
              {tab === k && k === "notifications" && <NotificationsList />}
              {tab === k && k === "health" && <Health />}
              {tab === k && k === "finance" && <Finance />}
            </PanelBoundary>
          </Tabs.Content>
        ))}
      </Tabs>
    </Container>
  )
}

export const config = defineRouteConfig({
  label: "pagoefectivo.ops.menu",
  translationNs: "translation",
  icon: CashSolid,
})

export default PagoEfectivoPage
