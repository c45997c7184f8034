/**
 * The demo's shopper page (served by scripts/lib/demo-storefront.ts): one product, bought with
 * PagoEfectivo through the real store API (publishable key, cart, shipping, payment session,
 * completion: the same calls as scripts/lib/storefront.ts), then the storefront kit's voucher,
 * which polls the plugin's store route until the CIP is paid. The order id stays in the URL, so a
 * reload shows the same voucher.
 */
import { StrictMode, useEffect, useState } from "react"
import { createRoot } from "react-dom/client"
import { PagoEfectivoVoucher, type PagoEfectivoCip, type VoucherLocale, formatCipAmount, readPagoEfectivoCip } from "../../packages/storefront/src"
import { type StoreApi, choosePagoEfectivo, completeCart, prepareCart, storeCall } from "../lib/storefront"

type DemoConfig = { medusaUrl: string; publishableKey: string; regionId: string; variantId: string; pollIntervalMs: number; canExpire: boolean }
const config = (window as unknown as { __DEMO__: DemoConfig }).__DEMO__
const api: StoreApi = { baseUrl: config.medusaUrl, publishableKey: config.publishableKey }

const TEXT = {
  es: { tagline: "Tienda de demostración", email: "Tu correo", buy: "Comprar con PagoEfectivo", buying: "Generando tu código de pago…", order: "Pedido", newOrder: "Hacer otro pedido", shipping: "+ envío estándar", expire: "Sandbox: dejar vencer este código", expired: "El sandbox venció el código: la tienda emite uno nuevo para el mismo pedido." },
  en: { tagline: "Demo store", email: "Your email", buy: "Buy with PagoEfectivo", buying: "Getting your payment code…", order: "Order", newOrder: "Place another order", shipping: "+ standard shipping", expire: "Sandbox: let this code expire", expired: "The sandbox expired the code: the store issues a new one for the same order." },
}

type Product = { title: string; description: string | null; thumbnail: string | null; price: { amount: number; currency: string } | null }
type Placed = { orderId: string; displayId: number | null; cip: PagoEfectivoCip | null }

function App() {
  const params = new URLSearchParams(window.location.search)
  const [locale, setLocale] = useState<VoucherLocale>(params.get("lang") === "en" ? "en" : "es")
  const t = TEXT[locale]
  const [product, setProduct] = useState<Product | null>(null)
  const [email, setEmail] = useState("rosa@example.pe")
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const [placed, setPlaced] = useState<Placed | null>(() => (params.get("order") ? { orderId: params.get("order")!, displayId: Number(params.get("n")) || null, cip: null } : null))

  useEffect(() => {
    storeCall(api, "GET", `/store/products?region_id=${config.regionId}&fields=title,description,thumbnail,*variants.calculated_price&limit=1`)
      .then(({ products }) => {
        const p = products[0]
        const price = p?.variants?.[0]?.calculated_price
        setProduct(p ? { title: p.title, description: p.description, thumbnail: p.thumbnail, price: price ? { amount: price.calculated_amount, currency: price.currency_code } : null } : null)
      })
      .catch((e) => setError((e as Error).message))
  }, [])

  const buy = async () => {
    setBusy(true)
    setError(null)
    try {
      const { cartId, paymentCollectionId } = await prepareCart(api, { regionId: config.regionId, variantId: config.variantId, email })
      const session = await choosePagoEfectivo(api, paymentCollectionId)
      const order = await completeCart(api, cartId)
      const next: Placed = { orderId: order.id, displayId: order.display_id ?? null, cip: readPagoEfectivoCip(session) }
      const url = new URL(window.location.href)
      url.searchParams.set("order", order.id)
      if (order.display_id) url.searchParams.set("n", String(order.display_id))
      window.history.replaceState(null, "", url)
      setPlaced(next)
    } catch (e) {
      setError((e as Error).message)
    } finally {
      setBusy(false)
    }
  }

  const [expireNote, setExpireNote] = useState<string | null>(null)
  /** Has the sandbox expire the order's CIP now (and notify cip.expired), as at its real expiry. */
  const expire = async () => {
    if (!placed) return
    setError(null)
    const res = await fetch(`/demo/expire/${encodeURIComponent(placed.orderId)}`, { method: "POST" })
    if (res.ok) setExpireNote(t.expired)
    else setError(((await res.json().catch(() => null)) as { message?: string; error?: string } | null)?.error ?? `the sandbox answered ${res.status}`)
  }

  const restart = () => {
    window.history.replaceState(null, "", window.location.pathname + (locale === "en" ? "?lang=en" : ""))
    setPlaced(null)
    setExpireNote(null)
  }

  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 640, margin: "32px auto", padding: "0 16px", color: "#1a1a1a" }}>
      <header style={{ display: "flex", justifyContent: "space-between", alignItems: "baseline", marginBottom: 24 }}>
        <div>
          <h1 style={{ margin: 0, fontSize: 24 }}>Tienda Perú</h1>
          <small style={{ color: "#666" }}>{t.tagline} · Medusa + PagoEfectivo</small>
        </div>
        <nav>
          {(["es", "en"] as const).map((l) => (
            <button
              key={l}
              type="button"
              onClick={() => setLocale(l)}
              aria-pressed={locale === l}
              data-testid={`lang-${l}`}
              style={{ marginLeft: 6, padding: "4px 10px", borderRadius: 6, border: "1px solid #ccc", background: locale === l ? "#1a1a1a" : "#fff", color: locale === l ? "#fff" : "#1a1a1a", cursor: "pointer" }}
            >
              {l.toUpperCase()}
            </button>
          ))}
        </nav>
      </header>

      {error && (
        <p role="alert" data-testid="demo-error" style={{ color: "#a32020" }}>
          {error}
        </p>
      )}

      {placed ? (
        <section>
          <p data-testid="demo-order">
            {t.order} {placed.displayId ? `#${placed.displayId}` : placed.orderId}
          </p>
          <PagoEfectivoVoucher
            key={placed.orderId}
            cip={placed.cip}
            orderId={placed.orderId}
            baseUrl={config.medusaUrl}
            publishableKey={config.publishableKey}
            pollIntervalMs={config.pollIntervalMs}
            locale={locale}
          />
          {config.canExpire && (
            <p style={{ fontSize: 13, color: "#666" }}>
              <button type="button" onClick={expire} data-testid="demo-expire" style={{ padding: "4px 10px", borderRadius: 6, border: "1px dashed #999", background: "#fff", cursor: "pointer" }}>
                {t.expire}
              </button>
              {expireNote && <span data-testid="demo-expired" style={{ marginLeft: 8 }}>{expireNote}</span>}
            </p>
          )}
          <p>
            <button type="button" onClick={restart} style={{ marginTop: 16, background: "none", border: "none", color: "#0b5fcc", cursor: "pointer", padding: 0 }}>
              {t.newOrder}
            </button>
          </p>
        </section>
      ) : (
        <section data-testid="demo-product" style={{ border: "1px solid #e3e3e3", borderRadius: 12, padding: 20 }}>
          <h2 style={{ marginTop: 0 }}>{product?.title ?? "…"}</h2>
          {product?.description && <p style={{ color: "#444" }}>{product.description}</p>}
          {product?.price && (
            <p style={{ fontSize: 22, fontWeight: 600 }} data-testid="demo-price">
              {formatCipAmount(product.price.amount.toFixed(2), product.price.currency)}
              <small style={{ display: "block", fontSize: 13, fontWeight: 400, color: "#666" }}>{t.shipping}</small>
            </p>
          )}
          <label style={{ display: "block", margin: "16px 0 6px", fontSize: 14 }} htmlFor="email">
            {t.email}
          </label>
          <input id="email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} style={{ width: "100%", boxSizing: "border-box", padding: 8, borderRadius: 6, border: "1px solid #ccc", font: "inherit" }} />
          <button
            type="button"
            onClick={buy}
            disabled={busy || !product || !email}
            data-testid="demo-buy"
            style={{ marginTop: 16, width: "100%", padding: "12px 16px", borderRadius: 8, border: "none", background: "#f7c600", color: "#1a1a1a", fontWeight: 700, fontSize: 16, cursor: "pointer" }}
          >
            {busy ? t.buying : t.buy}
          </button>
        </section>
      )}
    </main>
  )
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>
)
