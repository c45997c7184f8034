import { PagoEfectivoClient, PagoEfectivoError } from "../../src/lib/pagoefectivo"
import { WireAmount } from "../../src/lib/pagoefectivo/wire"
import { SANDBOX_DEFAULTS, type SandboxHandle, startSandbox } from "../server"

/**
 * The `hold` fault: a call PagoEfectivo keeps working on after the client gave up, processed only
 * when the control API releases it (what the refund call lease protects against).
 */
describe("sandbox: held requests", () => {
  let sb: SandboxHandle
  let client: PagoEfectivoClient
  const control = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${sb.url}/__sandbox${path}`, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) })
    return { status: res.status, body: await res.json() }
  }

  beforeAll(async () => {
    sb = await startSandbox({ port: 0, log: () => {} })
    client = new PagoEfectivoClient({ baseUrl: sb.apiUrl, ...SANDBOX_DEFAULTS, requestTimeoutMs: 300, maxRetries: 0 })
  })
  afterAll(() => sb.close())

  async function paidCip() {
    const { data } = await client.createCip({ currency: "PEN", amount: new WireAmount("50.00"), transactionCode: "payses_hold", userEmail: "rosa@example.pe" })
    await control("POST", `/cips/${data.cip}/pay`, { notify: false })
    return String(data.cip)
  }

  it("reads the request, holds it past the client's timeout, and processes it once released", async () => {
    const cip = await paidCip()
    await control("PUT", "/faults", { path: "/v1/refunds", method: "POST", hold: true, times: 1 })
    const body = { cip, transactionCode: "payses_hold", merchantOrderId: "order_hold", refundId: "ref_held", amount: new WireAmount("10.00"), currency: "PEN" as const }
    await expect(client.createRefund(body)).rejects.toMatchObject({ kind: "timeout", ambiguous: true })
    expect((await control("GET", "/state")).body.counters.held).toBe(1)
    expect(await client.getRefund("ref_held")).toBeNull()

    expect((await control("POST", "/faults/release")).body).toEqual({ released: 1 })
    const processed = await waitFor(() => client.getRefund("ref_held"))
    expect(processed).toMatchObject({ refundId: "ref_held", amount: 10 })
    expect((await control("GET", "/state")).body.counters).toMatchObject({ held: 0, refundsCreated: 1 })
  })

  it("refuses hold with an answer of its own, and a reset lets held requests go", async () => {
    const bad = await control("PUT", "/faults", { path: "/v1/refunds", hold: true, status: 500 })
    expect(bad.status).toBe(400)
    await control("PUT", "/faults", { path: "/v1/cips/search", hold: true })
    const slow = new PagoEfectivoClient({ baseUrl: sb.apiUrl, ...SANDBOX_DEFAULTS, requestTimeoutMs: 5000, maxRetries: 0 })
    const searching = slow.searchCips(["2523136"]).catch((e: PagoEfectivoError) => e)
    await waitFor(async () => (await control("GET", "/state")).body.counters.held === 1 || null)
    await control("POST", "/reset")
    // processed once let go, after the reset: the CIP is unknown by then
    expect(await searching).toEqual([])
    expect((await control("GET", "/state")).body.counters.held).toBe(0)
  })
})

async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe()
    if (v) return v
    if (Date.now() > deadline) throw new Error("timed out")
    await new Promise((r) => setTimeout(r, 20))
  }
}
