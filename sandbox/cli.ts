#!/usr/bin/env node
/**
 * The sandbox's command: `npx pagoefectivo-sandbox` in a store that installed the plugin (the
 * package's `bin`, compiled to .medusa/server/sandbox/cli.js by `npm run build`), `npm run
 * sandbox` in this repository. Serves until SIGINT/SIGTERM.
 *
 * Environment (all optional; the defaults are the demo store's): see USAGE below and
 * sandbox/README.md.
 */
import { optionsFromEnv, startSandbox } from "./server"

const USAGE = `pagoefectivo-sandbox: a PagoEfectivo sandbox (CIPs, refunds, signed notifications) for development

Usage: npx pagoefectivo-sandbox        (configured through the environment)

  SANDBOX_PORT                4010 (0 = any free port)
  SANDBOX_HOST                localhost (0.0.0.0 to reach it from containers)
  SANDBOX_PUBLIC_URL          base of voucher links, default http://localhost:<port>
  PAGOEFECTIVO_ACCESS_KEY     SANDBOXACCESSKEY0001
  PAGOEFECTIVO_SECRET_KEY     sandbox-secret-key-0123456789abcdefghijk
  PAGOEFECTIVO_SERVICE_ID     1234
  PAGOEFECTIVO_NOTIFY_URL     none (notifications are recorded, not sent); e.g. http://localhost:9000/webhooks/pagoefectivo

Point the store at it with PAGOEFECTIVO_BASE_URL=http://localhost:<port>/v1 and the same three
credentials. Control API: GET /__sandbox/state, POST /__sandbox/cips/<cip>/pay, … (README.md beside
this file, in the installed package: node_modules/medusa-payment-pagoefectivo/sandbox/README.md).`

async function main(argv: string[]): Promise<void> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(USAGE)
    return
  }
  const unknown = argv.filter((a) => a.trim() !== "")
  if (unknown.length) throw new Error(`unknown argument ${unknown.map((a) => JSON.stringify(a)).join(", ")}; it is configured through the environment (--help)`)
  const sandbox = await startSandbox(optionsFromEnv(process.env))
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return
    stopping = true
    console.log(`[pagoefectivo-sandbox] ${signal}: stopping`)
    sandbox.close().then(
      () => process.exit(0),
      (err) => {
        console.error(err)
        process.exit(1)
      }
    )
  }
  process.on("SIGINT", stop)
  process.on("SIGTERM", stop)
}

main(process.argv.slice(2)).catch((err) => {
  const reason = err?.code === "EADDRINUSE" ? `port ${err.port} is in use (set SANDBOX_PORT)` : err?.message ?? String(err)
  console.error(`[pagoefectivo-sandbox] failed to start: ${reason}`)
  process.exit(1)
})
