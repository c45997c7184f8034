/**
 * Client throughput: refunds/s through PagoEfectivoClient.createRefund in this process against the
 * sandbox, beside a bare undici keep-alive POST of the same signed request to the same endpoint
 * (what this machine can do at all), with the authorization requests counted.
 */
import { Pool } from "undici"
import { PagoEfectivoClient, WireAmount, closeAllPools, serializeBody, sign } from "../src/lib/pagoefectivo"
import { SANDBOX_DEFAULTS, type SandboxHandle } from "../sandbox/server"
import { createLimiter } from "../src/lib/concurrency"
import { log, round } from "./harness"

const CONCURRENCY = 16

export async function benchClient(sandbox: SandboxHandle, count: number) {
  log(`client: ${count} refunds through the client and ${count} bare POSTs, ${CONCURRENCY} in flight`)
  const client = new PagoEfectivoClient({ baseUrl: sandbox.apiUrl, accessKey: SANDBOX_DEFAULTS.accessKey, secretKey: SANDBOX_DEFAULTS.secretKey, serviceId: SANDBOX_DEFAULTS.serviceId })
  // one paid CIP large enough for every refund of 0.01
  const cip = await client.createCip({ currency: "PEN", amount: new WireAmount("9000.00"), transactionCode: `bench_${Date.now()}`, userEmail: "bench@example.pe" })
  await fetch(`${sandbox.url}/__sandbox/cips/${cip.data.cip}/pay`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ notify: false }) })
  const body = (refundId: string) => ({
    cip: cip.data.cip,
    transactionCode: cip.data.transactionCode,
    merchantOrderId: "order_bench",
    refundId,
    amount: new WireAmount("0.01"),
    currency: "PEN" as const,
  })
  const run = createLimiter(CONCURRENCY)

  let started = performance.now()
  await Promise.all(Array.from({ length: count }, (_, i) => run(() => client.createRefund(body(`c_${process.pid}_${i}`)))))
  const clientSeconds = (performance.now() - started) / 1000

  const token = await client.getToken()
  const url = new URL(sandbox.apiUrl)
  const pool = new Pool(url.origin, { connections: 32 })
  started = performance.now()
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      run(async () => {
        const text = serializeBody(body(`b_${process.pid}_${i}`))
        const res = await pool.request({
          method: "POST",
          path: `${url.pathname}/refunds`,
          headers: { "content-type": "application/json", authorization: `Bearer ${token}`, origin: "web", "pe-signature": sign(SANDBOX_DEFAULTS.secretKey, text) },
          body: text,
        })
        await res.body.text()
        if (res.statusCode !== 201) throw new Error(`bare POST answered ${res.statusCode}`)
      })
    )
  )
  const bareSeconds = (performance.now() - started) / 1000
  await pool.close()
  await closeAllPools()
  const clientRate = count / clientSeconds
  const bareRate = count / bareSeconds
  return {
    count,
    clientPerSecond: round(clientRate, 0),
    barePerSecond: round(bareRate, 0),
    ratio: round(clientRate / bareRate, 3),
    /** Authorization requests over the whole run (the CIP creation included). */
    authorizations: client.authorizationCount,
  }
}
