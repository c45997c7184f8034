import { Button, Text } from "@medusajs/ui"
import type { ReactNode } from "react"
import { useTranslation } from "react-i18next"
import { messageOf } from "../../lib/format"

type ListLike = {
  isLoading: boolean
  isError: boolean
  error: unknown
  data?: { pages: { items?: unknown[] }[] }
  hasNextPage?: boolean
  isFetchingNextPage?: boolean
  fetchNextPage: () => unknown
  refetch: () => unknown
}

/**
 * A list's loading, error (the route's message and a retry, never a broken page) and empty states;
 * its children once it has rows.
 */
export const ListState = ({ list, empty, testId, children }: { list: ListLike; empty: string; testId?: string; children: ReactNode }) => {
  const { t } = useTranslation()
  if (list.isLoading) {
    return (
      <Text size="small" className="text-ui-fg-subtle">
        {t("pagoefectivo.loading")}
      </Text>
    )
  }
  if (list.isError) {
    return (
      <div className="flex items-center gap-x-2" data-testid="pagoefectivo-ops-error">
        <Text size="small" className="text-ui-fg-error">
          {t("pagoefectivo.ops.loadError", { message: messageOf(list.error) })}
        </Text>
        <Button size="small" variant="secondary" onClick={() => list.refetch()}>
          {t("pagoefectivo.ops.retry")}
        </Button>
      </div>
    )
  }
  if (!list.data?.pages.some((p) => (p.items ?? []).length)) {
    return (
      <Text size="small" className="text-ui-fg-subtle" data-testid={testId}>
        {empty}
      </Text>
    )
  }
  return <>{children}</>
}

/** "Load more" while the route says there is a next page. */
export const ListFooter = ({ list }: { list: ListLike }) => {
  const { t } = useTranslation()
  if (!list.hasNextPage) return null
  return (
    <div className="mt-4 flex justify-center">
      <Button size="small" variant="secondary" isLoading={list.isFetchingNextPage} onClick={() => list.fetchNextPage()}>
        {t("pagoefectivo.ops.loadMore")}
      </Button>
    </div>
  )
}
