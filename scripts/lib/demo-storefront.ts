/**
 * The demo's storefront page: a small HTTP server that serves one page, built at start from
 * scripts/demo-storefront/app.tsx with esbuild (the storefront kit, React and the scripted
 * shopper's store API calls in one browser bundle), talking to the real store API with the
 * seeded publishable key. Used by `npm run demo` and by the browser spec
 * (integration-tests/e2e/storefront.spec.ts). Medusa's STORE_CORS must include its origin.
 */
import http from "http"
import path from "path"
import { REPO_ROOT } from "./medusa-process"

export type DemoStorefrontOptions = {
  port: number
  /** The Medusa backend the page calls, e.g. http://localhost:9000. */
  medusaUrl: string
  publishableKey: string
  regionId: string
  variantId: string
  /** How often the voucher asks for its status. Default 2000 ms. */
  pollIntervalMs?: number
  /**
   * The PagoEfectivo sandbox's base URL: the page then offers "let this code expire", which has
   * the sandbox expire the order's current CIP (and notify cip.expired), as PagoEfectivo does at
   * the CIP's expiry.
   */
  sandboxUrl?: string
}

export type DemoStorefront = { url: string; close(): Promise<void> }

const ENTRY = path.join(REPO_ROOT, "scripts", "demo-storefront", "app.tsx")

/** The page's script: one ESM bundle for the browser. */
export async function bundleDemoStorefront(): Promise<string> {
  const esbuild = await import("esbuild")
  const result = await esbuild.build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: ["es2020"],
    jsx: "automatic",
    minify: true,
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
  })
  return result.outputFiles[0].text
}

const escapeJson = (value: unknown) => JSON.stringify(value).replace(/</g, "\\u003c")

export async function startDemoStorefront(opts: DemoStorefrontOptions): Promise<DemoStorefront> {
  const script = await bundleDemoStorefront()
  const config = {
    medusaUrl: opts.medusaUrl,
    publishableKey: opts.publishableKey,
    regionId: opts.regionId,
    variantId: opts.variantId,
    pollIntervalMs: opts.pollIntervalMs ?? 2000,
    canExpire: !!opts.sandboxUrl,
  }
  const html = `<!doctype html>
<html lang="es"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tienda Perú · PagoEfectivo demo</title></head>
<body style="margin:0;background:#f6f6f4"><div id="root"></div>
<script>window.__DEMO__ = ${escapeJson(config)}</script>
<script type="module" src="/app.js"></script>
</body></html>`

  /** POST /demo/expire/:orderId: the order's CIP (as the store route answers it) expired at the sandbox. */
  const expire = async (orderId: string): Promise<{ status: number; body: unknown }> => {
    const status = await fetch(`${opts.medusaUrl}/store/pagoefectivo/orders/${encodeURIComponent(orderId)}`, { headers: { "x-publishable-api-key": opts.publishableKey } })
    const found = (await status.json().catch(() => null)) as { cip?: { code: string } } | null
    if (!status.ok || !found?.cip) return { status: 404, body: { message: "no CIP for this order" } }
    const res = await fetch(`${opts.sandboxUrl}/__sandbox/cips/${found.cip.code}/expire`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ wait: true }),
    })
    return { status: res.status, body: await res.json().catch(() => null) }
  }

  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0]
    const expiring = req.method === "POST" && opts.sandboxUrl ? /^\/demo\/expire\/([A-Za-z0-9_-]{1,100})$/.exec(url) : null
    if (expiring) {
      expire(expiring[1]).then(
        (r) => res.writeHead(r.status, { "content-type": "application/json" }).end(JSON.stringify(r.body)),
        (e) => res.writeHead(502, { "content-type": "application/json" }).end(JSON.stringify({ message: (e as Error).message }))
      )
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end()
    } else if (url === "/" || url === "/index.html") {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(html)
    } else if (url === "/app.js") {
      res.writeHead(200, { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-store" }).end(script)
    } else if (url === "/favicon.ico") {
      res.writeHead(204).end()
    } else {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found")
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(opts.port, "0.0.0.0", () => resolve())
  })
  const { port } = server.address() as { port: number }
  return {
    url: `http://localhost:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
