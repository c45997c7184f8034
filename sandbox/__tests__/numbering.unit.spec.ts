/**
 * The command's numbering: PagoEfectivo never reuses a CIP, an operation or a refund number, and
 * a store keeps its records when the sandbox restarts, so a later start of `npx
 * pagoefectivo-sandbox` must not issue a number an earlier start issued.
 */
import { authHash, formatLimaDate, serializeBody, sign, WireAmount } from "../../src/lib/pagoefectivo/wire"
import { clockNumbering, FIRST_CIP, FIRST_OPERATION_NUMBER, optionsFromEnv, SANDBOX_DEFAULTS, startSandbox } from "../server"

const { accessKey, secretKey, serviceId } = SANDBOX_DEFAULTS

/** One CIP created, paid (one notification) and refunded in part: the three numbers it was given. */
async function numbersOf(numbering: number | undefined) {
  const sb = await startSandbox({ port: 0, log: () => undefined, ...(numbering === undefined ? {} : { numbering }) })
  try {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(sb.url + path, { method: "POST", headers: { "content-type": "application/json", Origin: "web", ...headers }, body }).then(async (r) => ({ status: r.status, body: await r.json() }))
    const dateRequest = formatLimaDate(new Date())
    const auth = await post("/v1/authorizations", JSON.stringify({ accessKey, idService: Number(serviceId), dateRequest, hashString: authHash(Number(serviceId), accessKey, secretKey, dateRequest) }))
    const bearer = { authorization: `Bearer ${auth.body.data.token}` }
    const cip = await post("/v1/cips", JSON.stringify({ currency: "PEN", amount: 50, transactionCode: "payses_1", userEmail: "a@b.pe", paymentConcept: "Pedido" }), bearer)
    expect(cip.status).toBe(201)
    expect((await post(`/__sandbox/cips/${cip.body.data.cip}/pay`, "{}")).status).toBe(200)
    const raw = serializeBody({ cip: String(cip.body.data.cip), transactionCode: "payses_1", merchantOrderId: "order_1", refundId: "ref_1", amount: new WireAmount("10.00"), currency: "PEN" })
    const refund = await post("/v1/refunds", raw, { ...bearer, "PE-Signature": sign(secretKey, raw) })
    expect(refund.status).toBe(201)
    const delivery = sb.state.deliveries.find((d) => d.eventType === "cip.paid")!
    return { cip: Number(cip.body.data.cip), operation: Number(JSON.parse(delivery.body).operationNumber), refund: String(refund.body.data.referenceId) }
  } finally {
    await sb.close()
  }
}

describe("the sandbox's numbering", () => {
  it("in-process, by default, starts at the documented first numbers", async () => {
    expect(await numbersOf(undefined)).toEqual({ cip: FIRST_CIP, operation: FIRST_OPERATION_NUMBER, refund: "RF00000001" })
  })

  it("the command starts from the clock: a restart a minute later issues none of the numbers of the start before", async () => {
    const t = Date.UTC(2026, 11, 8, 1, 0, 0)
    const first = await numbersOf(clockNumbering(t))
    const second = await numbersOf(clockNumbering(t + 60_000))
    expect(second.cip).toBe(first.cip + 600)
    expect(second.operation).toBe(first.operation + 600)
    expect(Number(second.refund.slice(2))).toBe(Number(first.refund.slice(2)) + 600)
    // what PagoEfectivo's codes look like: a 9-digit CIP this year
    expect(String(first.cip)).toMatch(/^\d{9}$/)
  })

  it("optionsFromEnv gives the command its clock numbering", () => {
    const before = clockNumbering()
    const { numbering } = optionsFromEnv({})
    expect(numbering).toBeGreaterThanOrEqual(before)
    expect(numbering).toBeLessThanOrEqual(clockNumbering())
  })

  it("refuses a numbering that is not a whole number from 0 to 10^12", async () => {
    for (const numbering of [-1, 1.5, 1e13, Number.NaN]) {
      await expect(startSandbox({ port: 0, log: () => undefined, numbering })).rejects.toThrow("numbering must be a whole number from 0 to 10^12")
    }
  })
})
