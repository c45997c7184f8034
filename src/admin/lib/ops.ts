/**
 * What the PagoEfectivo page (src/admin/routes/pagoefectivo/page.tsx) shares: its query keys, the
 * keyset-paged list query ("Load more" passes back the route's next_cursor), and the calls of its
 * actions. Every call goes through the admin's JS SDK with the dashboard's own authentication.
 */
import { type QueryClient, useInfiniteQuery } from "@tanstack/react-query"
import { sdk } from "./sdk"

export const OPS_KEY = ["pagoefectivo-ops"] as const
export const opsKey = (...parts: string[]) => [...OPS_KEY, ...parts]

type Paged<T> = { items: T[]; next_cursor: string | null }

/** A keyset-paged list route, page after page. */
export function usePagedList<T, P extends Paged<T> = Paged<T>>(key: string, path: string, params: Record<string, string> = {}) {
  return useInfiniteQuery({
    queryKey: opsKey(key, JSON.stringify(params)),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) => {
      const query = new URLSearchParams({ ...params, limit: "50", ...(pageParam ? { cursor: pageParam } : {}) })
      return sdk.client.fetch<P>(`${path}?${query}`)
    },
    getNextPageParam: (last: P) => last.next_cursor,
    refetchOnWindowFocus: true,
  })
}

/** Every item of the pages loaded so far. */
export const itemsOf = <T>(data: { pages: Paged<T>[] } | undefined): T[] => data?.pages.flatMap((p) => p.items ?? []) ?? []

/** After an action: the page's lists, and every order's panel (the refund may be on one shown). */
export const refreshOps = (queryClient: QueryClient) => {
  void queryClient.invalidateQueries({ queryKey: OPS_KEY })
  void queryClient.invalidateQueries({ queryKey: ["orders", "detail"] })
}

export const post = <T = unknown>(path: string, body: Record<string, unknown> = {}) => sdk.client.fetch<T>(path, { method: "POST", body })

/**
 * A POST whose error answer's body matters (the batch route's 400 lists every bad line, which the
 * SDK's FetchError drops): the same URL and authentication as the SDK (session cookie, or the
 * stored JWT when the admin was built for it), the status and the parsed body either way.
 */
export async function postForBody<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const base = new URL(__BACKEND_URL__ || "/", window.location.origin)
  const url = new URL(`${base.pathname.replace(/\/$/, "")}/${path.replace(/^\//, "")}`, base.origin)
  const headers: Record<string, string> = { "content-type": "application/json", accept: "application/json" }
  if ((__AUTH_TYPE__ ?? "session") === "jwt") {
    const token = await sdk.client.getToken()
    if (token) headers.authorization = `Bearer ${token}`
  }
  const res = await fetch(url, { method: "POST", headers, credentials: "include", body: JSON.stringify(body) })
  const text = await res.text()
  let parsed: unknown = null
  try {
    parsed = text ? JSON.parse(text) : null
  } catch {
    parsed = { message: text.slice(0, 300) }
  }
  return { status: res.status, body: parsed as T }
}
