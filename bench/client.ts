/**
 * Client throughput: refunds/s through PagoEfectivoClient.createRefund in this process against the
 * sandbox, beside a bare undici keep-alive POST of the same signed request to the same endpoint
 * (what this machine can do at all), with the authorization requests counted.
 *
 * The two arms run in rounds, in alternating order (client first in even rounds, bare first in
 * odd ones), and the sandbox is reset before each arm, so neither always runs second or against
 * a sandbox already holding the other's refunds (its refund checks scan the CIP's refunds).
 */
import { Pool } from "undici"
import { PagoEfectivoClient, WireAmount, closeAllPools, serializeBody, sign } from "../src/lib/pagoefectivo"
import { SANDBOX_DEFAULTS } from "../sandbox/server"
import { createLimiter } from "../src/lib/concurrency"
import { type BenchStore, log, resetSandbox, round, sandboxCall } from "./harness"

const CONCURRENCY = 16
const ROUNDS = 4

export async function benchClient(b: BenchStore, count: number) {
  const perRound = Math.ceil(count / ROUNDS)
  log(`client: ${perRound * ROUNDS} refunds through the client and as many bare POSTs, ${CONCURRENCY} in flight, ${ROUNDS} rounds in alternating order`)
  const client = new PagoEfectivoClient({ baseUrl: b.sandbox.apiUrl, accessKey: SANDBOX_DEFAULTS.accessKey, secretKey: SANDBOX_DEFAULTS.secretKey, serviceId: SANDBOX_DEFAULTS.serviceId })
  const url = new URL(b.sandbox.apiUrl)
  const pool = new Pool(url.origin, { connections: 32 })
  const run = createLimiter(CONCURRENCY)
  const seconds = { client: 0, bare: 0 }
  const requests = { client: 0, bare: 0 }

  /** A fresh sandbox with one paid CIP large enough for every refund of 0.01 of an arm. */
  const freshCip = async () => {
    await resetSandbox(b)
    const cip = await client.createCip({ currency: "PEN", amount: new WireAmount("9000.00"), transactionCode: `bench_${Date.now()}`, userEmail: "bench@example.pe" })
    await sandboxCall(b.sandbox, "POST", `/__sandbox/cips/${cip.data.cip}/pay`, { notify: false })
    return cip.data
  }
  const body = (cip: { cip: string; transactionCode: string }, refundId: string) => ({
    cip: cip.cip,
    transactionCode: cip.transactionCode,
    merchantOrderId: "order_bench",
    refundId,
    amount: new WireAmount("0.01"),
    currency: "PEN" as const,
  })
  const arms = {
    client: async (r: number) => {
      const cip = await freshCip()
      const started = performance.now()
      await Promise.all(Array.from({ length: perRound }, (_, i) => run(() => client.createRefund(body(cip, `c_${process.pid}_${r}_${i}`)))))
      return (performance.now() - started) / 1000
    },
    bare: async (r: number) => {
      const cip = await freshCip()
      const token = await client.getToken() // the client's cached token (a reset revokes none)
      const started = performance.now()
      await Promise.all(
        Array.from({ length: perRound }, (_, i) =>
          run(async () => {
            const text = serializeBody(body(cip, `b_${process.pid}_${r}_${i}`))
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
      return (performance.now() - started) / 1000
    },
  }
  const order: ("client" | "bare")[][] = []
  for (let r = 0; r < ROUNDS; r++) {
    const pair: ("client" | "bare")[] = r % 2 === 0 ? ["client", "bare"] : ["bare", "client"]
    order.push(pair)
    for (const arm of pair) {
      seconds[arm] += await arms[arm](r)
      requests[arm] += perRound
    }
  }
  await pool.close()
  await closeAllPools()
  const clientRate = requests.client / seconds.client
  const bareRate = requests.bare / seconds.bare
  return {
    count: requests.client,
    rounds: ROUNDS,
    order: order.map((p) => p.join(",")),
    clientPerSecond: round(clientRate, 0),
    barePerSecond: round(bareRate, 0),
    ratio: round(clientRate / bareRate, 3),
    /** Authorization requests over the whole run (the client caches its token). */
    authorizations: client.authorizationCount,
    /** The client's calls over the run: its refunds and a CIP per arm and round. */
    clientCalls: requests.client + ROUNDS * 2,
  }
}
