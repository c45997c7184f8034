import { Component, type ErrorInfo, type ReactNode } from "react"
import { isPagoEfectivoProvider } from "../../lib/pagoefectivo/provider-id"

/**
 * What keeps the order panel from ever breaking an order page (the widget renders inside
 * Medusa's own order page, next to sections staff need whatever happens to ours):
 * - `isPagoEfectivoOrder` decides from the order the page already loaded, before any hook, query
 *   or router call, so an order paid another way renders nothing and runs nothing of ours;
 * - `PanelBoundary` catches whatever the panel throws while rendering (a store whose
 *   react-router-dom or react-query is not the dashboard's copy, an answer of an unexpected
 *   shape…) and renders its fallback instead of taking the page down.
 */

type OrderLike = {
  payment_collections?:
    | ({
        payments?: ({ provider_id?: string | null } | null)[] | null
        payment_sessions?: ({ provider_id?: string | null } | null)[] | null
      } | null)[]
    | null
} | null | undefined

/** Whether the order was paid, or is to be paid, with PagoEfectivo (the dashboard loads its payment collections with their sessions and payments). */
export function isPagoEfectivoOrder(order: OrderLike): boolean {
  const collections = Array.isArray(order?.payment_collections) ? order!.payment_collections : []
  return collections.some(
    (pc) =>
      (pc?.payments ?? []).some((p) => isPagoEfectivoProvider(p?.provider_id)) ||
      (pc?.payment_sessions ?? []).some((s) => isPagoEfectivoProvider(s?.provider_id))
  )
}

type BoundaryProps = {
  /** What to render instead of the children once they threw. */
  fallback: (error: Error) => ReactNode
  /** Where the error is reported; console.error by default. */
  onError?: (error: Error, info: ErrorInfo) => void
  children?: ReactNode
}

export class PanelBoundary extends Component<BoundaryProps, { error: Error | null }> {
  state: { error: Error | null } = { error: null }

  static getDerivedStateFromError(error: unknown): { error: Error } {
    return { error: error instanceof Error ? error : new Error(String(error)) }
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    if (this.props.onError) this.props.onError(error, info)
    else console.error(`[pagoefectivo] the order panel failed and is not shown: ${error.message}`)
  }

  render(): ReactNode {
    if (this.state.error) {
      try {
        return this.props.fallback(this.state.error)
      } catch {
        return null
      }
    }
    return this.props.children ?? null
  }
}
