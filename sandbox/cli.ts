/**
 * `npm run sandbox`: the PagoEfectivo sandbox on SANDBOX_PORT (default 4010) until SIGINT/SIGTERM.
 *
 * Environment (all optional; the defaults are the demo store's):
 *   SANDBOX_PORT                4010
 *   SANDBOX_HOST                localhost (0.0.0.0 to reach it from containers)
 *   SANDBOX_PUBLIC_URL          base of voucher links, default http://localhost:<port>
 *   PAGOEFECTIVO_ACCESS_KEY     SANDBOXACCESSKEY0001
 *   PAGOEFECTIVO_SECRET_KEY     sandbox-secret-key-0123456789abcdefghijk
 *   PAGOEFECTIVO_SERVICE_ID     1234
 *   PAGOEFECTIVO_NOTIFY_URL     none (notifications are recorded, not sent)
 */
import { optionsFromEnv, startSandbox } from "../sandbox/server"

async function main(): Promise<void> {
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

main().catch((err) => {
  console.error(`[pagoefectivo-sandbox] failed to start: ${err?.message ?? err}`)
  process.exit(1)
})
