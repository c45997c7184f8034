/**
 * The install check in the official starter's shape: a pnpm workspace like medusajs/dtc-starter
 * (apps/backend on Medusa at the starter's pins, apps/storefront on React 19), the plugin and its
 * storefront kit installed from their tarballs as README says, then the admin's PagoEfectivo page
 * and order panel rendered in Chromium with no page error.
 *
 *   npm test -- integration-tests/install/starter.spec.ts      (TEST_TYPE=install)
 *
 * Why: in a pnpm workspace, an admin extension's undeclared imports resolve through the hoisted
 * folder, possibly to copies other than the dashboard's ("No QueryClient set"). The plugin
 * declares them as peers (package.json); this checks that each resolves, from the plugin, to the
 * dashboard's own copy, that the built admin holds one react-query, and that both screens render.
 *
 * PAGOEFECTIVO_STARTER_MEDUSA sets apps/backend's @medusajs/* version (default: the starter's
 * 2.18.0); react-router-dom, @medusajs/ui, react-query and react-i18next follow that version's
 * dashboard (at 2.18.0: the starter's own 6.30.4, 4.2.0, 5.64.2, 13.5.0). pnpm comes from the npm
 * registry (`npx pnpm@10.11.1`, the starter's packageManager). The workspace is written by this
 * spec (lib/starter-workspace.ts), into a temporary folder removed afterwards
 * (PAGOEFECTIVO_INSTALL_KEEP=1 keeps it); logs and screenshots in integration-tests/install/artifacts/starter-*.
 * PAGOEFECTIVO_SKIP_INSTALL_CHECK=1 skips it on a developer's machine; in CI it always runs.
 */
import { execFileSync } from "child_process"
import fs from "fs"
import os from "os"
import path from "path"
import type { Browser, BrowserContext, Page } from "playwright-core"
import { dropDatabase, recreateDatabase } from "../../scripts/lib/demo-db"
import { type GroupChild, REPO_ROOT, spawnLogged, waitForHttp } from "../../scripts/lib/medusa-process"
import type { PostgresConnection } from "../../scripts/lib/postgres"
import { checkoutWithCip } from "../../scripts/lib/storefront"
import { CHROMIUM, launchChromium, loginToAdmin } from "../e2e/lib/browser"
import { ADMIN_EMAIL, ADMIN_PASSWORD, freePort, postgres, timed as timedStep } from "../e2e/lib/stack"
import { adminLogin, setUpPeruStore } from "./lib/admin-api"
import { type Packed, packPlugin } from "./lib/pack"
import { STOREFRONT_REACT_QUERY, pnpmCopies, writeStarterWorkspace } from "./lib/starter-workspace"
import { runLogged, storeEnv, storeRunEnv } from "./lib/store-check"

const ARTIFACTS = path.join(REPO_ROOT, "integration-tests", "install", "artifacts")
const inCi = !!process.env.CI && process.env.CI !== "false"
const skip = !inCi && (process.env.PAGOEFECTIVO_SKIP_INSTALL_CHECK === "1" || !fs.existsSync(CHROMIUM))
if (skip) process.stderr.write(`[starter] SKIPPED integration-tests/install/starter.spec.ts: PAGOEFECTIVO_SKIP_INSTALL_CHECK=1 or no ${CHROMIUM} (in CI it always runs)\n`)

const MEDUSA = process.env.PAGOEFECTIVO_STARTER_MEDUSA || "2.18.0"
const PNPM = ["--yes", "pnpm@10.11.1"]
/** What the admin extensions import that holds React state or context: one copy each, the dashboard's. */
const SHARED = ["react", "@tanstack/react-query", "react-router-dom", "react-i18next", "@medusajs/ui"]
// generous: on a loaded 2-core machine the admin's first load alone can take half a minute
const UI_TIMEOUT = 90_000

const log = (s: string) => process.stderr.write(`[starter] ${s}\n`)
const timed = <T>(timings: Record<string, number>, name: string, fn: () => Promise<T>) => timedStep(timings, name, fn, log)

/**
 * The real folder `name` resolves to from `from` (a package's real folder), by Node's lookup (the
 * nearest node_modules/<name> up the tree), as Vite resolves the admin's imports; not through
 * require.resolve, which a package's `exports` may refuse for package.json.
 */
function resolvedFrom(from: string, name: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", name)
    if (fs.existsSync(path.join(candidate, "package.json"))) return fs.realpathSync(candidate)
    if (path.dirname(dir) === dir) throw new Error(`${name} does not resolve from ${from}`)
  }
}

/**
 * The copy pnpm links beside the plugin (`.pnpm/<plugin>/node_modules/<name>`): there only for what
 * the plugin declares. Without it Node falls through to pnpm's hidden hoisted folder, which holds
 * one copy of each package, an arbitrary one when the workspace has several.
 */
function linkedBeside(plugin: string, name: string): string | null {
  const candidate = path.join(path.dirname(plugin), name)
  return fs.existsSync(path.join(candidate, "package.json")) ? fs.realpathSync(candidate) : null
}

const describeStarter = skip ? describe.skip : describe

describeStarter(`the plugin in a pnpm workspace shaped like Medusa's starter (apps/backend on ${MEDUSA})`, () => {
  const timings: Record<string, number> = {}
  const started = Date.now()
  let packed: Packed
  let dir = ""
  let backend = ""
  let env: NodeJS.ProcessEnv = {}
  let pg: PostgresConnection | null = null
  const dbName = `pagoefectivo_starter_${process.pid}_${Date.now().toString(36)}`
  const children: GroupChild[] = []
  let medusaUrl = ""
  let sandboxUrl = ""
  let orderId = ""
  let cip = ""
  let browser: Browser | undefined
  let context: BrowserContext | undefined
  let failedAt: string | null = null

  const step = (name: string, fn: () => Promise<void>, timeoutMs?: number) =>
    it(
      name,
      async () => {
        if (failedAt) throw new Error(`not run: "${failedAt}" failed`)
        try {
          await fn()
        } catch (e) {
          failedAt = name
          throw e
        }
      },
      timeoutMs
    )

  const run = (name: string, command: string, args: string[], cwd: string) => runLogged(command, args, { cwd, env, logFile: path.join(ARTIFACTS, `starter-${name}.log`) })

  beforeAll(() => {
    fs.mkdirSync(ARTIFACTS, { recursive: true })
    for (const f of fs.readdirSync(ARTIFACTS)) if (f.startsWith("starter-")) fs.rmSync(path.join(ARTIFACTS, f), { force: true })
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pagoefectivo-starter-"))
    backend = path.join(dir, "apps", "backend")
    log(`workspace: ${dir}; database: ${dbName}; Medusa ${MEDUSA}`)
  })

  afterAll(async () => {
    const keep = process.env.PAGOEFECTIVO_INSTALL_KEEP === "1"
    await context?.close().catch(() => undefined)
    await browser?.close().catch(() => undefined)
    for (const c of children.reverse()) await c.stop(10_000).catch(() => undefined)
    if (pg) {
      if (!keep) await dropDatabase(pg, dbName).catch((e) => log(`could not drop ${dbName}: ${e.message}`))
      await pg.stop()
    }
    if (dir && !keep) await fs.promises.rm(dir, { recursive: true, force: true })
    else if (dir) log(`kept ${dir} and database ${dbName}`)
    log(`timings: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(", ")}; total ${((Date.now() - started) / 1000).toFixed(1)} s`)
  })

  step("installs with pnpm: the plugin's admin imports resolve to the dashboard's own copies, the storefront gets the kit alone", async () => {
    packed = await timed(timings, "pack", () => packPlugin(log))
    const dashboardDeps = JSON.parse(
      execFileSync("npm", ["view", `@medusajs/dashboard@${MEDUSA}`, "dependencies", "--json", "--prefer-offline"], { encoding: "utf8", env: storeEnv() })
    ) as Record<string, string>
    const { configFrom } = writeStarterWorkspace({ dir, medusa: MEDUSA, dashboardDeps, packed })
    log(`medusa-config.ts: the snippet of ${configFrom}; react-router-dom ${dashboardDeps["react-router-dom"]}, @medusajs/ui ${dashboardDeps["@medusajs/ui"]} (the dashboard's)`)

    pg = await postgres()
    await recreateDatabase(pg, dbName)
    const [medusaPort, sandboxPort] = [await freePort(), await freePort()]
    medusaUrl = `http://localhost:${medusaPort}`
    sandboxUrl = `http://localhost:${sandboxPort}`
    env = storeRunEnv({ databaseUrl: `${pg.url}/${dbName}`, medusaUrl, sandboxUrl, label: "starter-check" })
    await timed(timings, "pnpm install", () => run("pnpm-install", "npx", [...PNPM, "install", "--prefer-offline", "--reporter=append-only"], dir))

    const plugin = fs.realpathSync(path.join(backend, "node_modules", packed.name))
    const dashboard = fs.realpathSync(path.join(backend, "node_modules", "@medusajs", "dashboard"))
    const copies = Object.fromEntries(SHARED.map((name) => [name, { plugin: resolvedFrom(plugin, name), dashboard: resolvedFrom(dashboard, name) }]))
    log(`resolved from the plugin / the dashboard:\n${Object.entries(copies).map(([n, c]) => `  ${n}: ${path.relative(dir, c.plugin)} / ${path.relative(dir, c.dashboard)}`).join("\n")}`)
    for (const [name, c] of Object.entries(copies)) expect([name, c.plugin]).toEqual([name, c.dashboard])
    // through the plugin's declared peers, not by the luck of the hoisted folder
    for (const name of SHARED) expect([name, linkedBeside(plugin, name)]).toEqual([name, copies[name].dashboard])

    // The storefront: the kit and what it needs, nothing of Medusa's server.
    const sf = path.join(dir, "apps", "storefront")
    const kit = fs.realpathSync(path.join(sf, "node_modules", packed.storefront.name))
    expect(fs.existsSync(path.join(sf, "node_modules", packed.name))).toBe(false)
    const kitSiblings = fs.readdirSync(path.dirname(kit)).concat(fs.existsSync(path.join(path.dirname(kit), "@medusajs")) ? ["@medusajs"] : [])
    expect(kitSiblings.filter((n) => n !== packed.storefront.name && /medusa|vite|admin/.test(n))).toEqual([])
    // two react-queries in the workspace (the dashboard's and the storefront's), the plugin on the dashboard's
    const queries = pnpmCopies(dir, "@tanstack/react-query")
    expect(queries).toHaveLength(2)
    expect(queries.filter((c) => c.startsWith(`@tanstack+react-query@${STOREFRONT_REACT_QUERY}`))).toHaveLength(1)
  }, 600_000)

  step("builds the backend and its admin: one react-query in the bundle", async () => {
    const medusa = path.join(backend, "node_modules", ".bin", "medusa")
    await timed(timings, "build + migrate", () =>
      Promise.all([
        timed(timings, "medusa build", () => run("medusa-build", medusa, ["build"], backend)),
        (async () => {
          await timed(timings, "medusa db:migrate", () => run("medusa-migrate", medusa, ["db:migrate"], backend))
          await run("medusa-user", medusa, ["user", "-e", ADMIN_EMAIL, "-p", ADMIN_PASSWORD], backend)
        })(),
      ])
    )
    const assets = path.join(backend, ".medusa", "server", "public", "admin", "assets")
    const js = fs.readdirSync(assets).filter((f) => f.endsWith(".js")).map((f) => fs.readFileSync(path.join(assets, f), "utf8"))
    expect(js.some((s) => s.includes("pagoefectivo-panel"))).toBe(true)
    // react-query's own error string, once per copy bundled
    expect(js.reduce((n, s) => n + s.split("No QueryClient set").length - 1, 0)).toBe(1)
  }, 600_000)

  step("starts, and sells with a CIP through the store API", async () => {
    await timed(timings, "start sandbox + medusa", async () => {
      const sandbox = spawnLogged(path.join(backend, "node_modules", ".bin", "pagoefectivo-sandbox"), [], {
        cwd: backend,
        env: { ...env, SANDBOX_PORT: new URL(sandboxUrl).port, PAGOEFECTIVO_NOTIFY_URL: `${medusaUrl}/webhooks/pagoefectivo` },
        logFile: path.join(ARTIFACTS, "starter-sandbox.log"),
      })
      children.push(sandbox)
      const medusa = spawnLogged(path.join(backend, "node_modules", ".bin", "medusa"), ["start"], {
        cwd: path.join(backend, ".medusa", "server"),
        // neither development (the admin's dev server) nor production (a Secure cookie over http)
        env: { ...env, PORT: new URL(medusaUrl).port, NODE_ENV: "e2e" },
        logFile: path.join(ARTIFACTS, "starter-medusa.log"),
      })
      children.push(medusa)
      await waitForHttp(`${sandboxUrl}/__sandbox/state`, sandbox, 30_000)
      await waitForHttp(`${medusaUrl}/health`, medusa, 180_000)
    })
    const admin = await adminLogin(medusaUrl, ADMIN_EMAIL, ADMIN_PASSWORD)
    const shop = await timed(timings, "admin setup", () => setUpPeruStore(admin))
    const { session, order } = await timed(timings, "checkout", () =>
      checkoutWithCip({ baseUrl: medusaUrl, publishableKey: shop.publishableKey }, { regionId: shop.regionId, variantId: shop.variantId, email: "rosa@example.pe" })
    )
    orderId = order.id
    cip = session.data.cip
    expect(cip).toMatch(/^\d+$/)
  }, 300_000)

  step("renders the PagoEfectivo page and the order panel in Chromium, with no page error", async () => {
    let page: Page
    ;({ browser, context, page } = await launchChromium())
    const errors: string[] = []
    page.on("pageerror", (e) => errors.push(e.message))
    page.setDefaultNavigationTimeout(UI_TIMEOUT)
    page.setDefaultTimeout(UI_TIMEOUT)
    await loginToAdmin(page, medusaUrl, UI_TIMEOUT)

    await page.goto(`${medusaUrl}/app/pagoefectivo`)
    await page.getByTestId("pagoefectivo-ops").waitFor({ timeout: UI_TIMEOUT })
    await page.getByTestId("pagoefectivo-ops-tab-attention").waitFor({ timeout: UI_TIMEOUT })
    await page.screenshot({ path: path.join(ARTIFACTS, "starter-01-pagoefectivo-page.png") })

    await page.goto(`${medusaUrl}/app/orders/${orderId}`)
    const panel = page.getByTestId("pagoefectivo-panel")
    await panel.getByTestId("pagoefectivo-cip-code").waitFor({ timeout: UI_TIMEOUT })
    await expect(panel.getByTestId("pagoefectivo-cip-code").textContent()).resolves.toBe(cip)
    await panel.screenshot({ path: path.join(ARTIFACTS, "starter-02-order-panel.png") })
    expect(await page.getByText("No QueryClient set").count()).toBe(0)
    expect(errors).toEqual([])
  }, 420_000)
})
