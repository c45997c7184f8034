/**
 * The voucher promises an email only when the store sends one: as the status route says
 * (`cip_emails`), or as the page tells it (`emails`); never before anyone has said so.
 */
import { createElement } from "react"
import { act, create, type ReactTestRenderer } from "react-test-renderer"
import type { PagoEfectivoCip } from "../../../src/lib/cip/read"
import { PagoEfectivoVoucher } from "../src/voucher"

// The hook listens for the tab becoming visible again: the little of `document` it uses.
Object.assign(globalThis, { document: { visibilityState: "visible", addEventListener() {}, removeEventListener() {} } })

const CIP: PagoEfectivoCip = {
  code: "2523136",
  amount: "199.90",
  currency: "PEN",
  expires_at: new Date(Date.now() + 86_400_000).toISOString(),
  voucher_url: "http://localhost:4010/voucher/6f1c.html",
  status: "pending",
}

async function render(props: Record<string, unknown>): Promise<ReactTestRenderer> {
  let r!: ReactTestRenderer
  await act(async () => {
    r = create(createElement(PagoEfectivoVoucher, { locale: "es", ...props }))
  })
  // the first question to the route goes out at once when no CIP is given
  await act(async () => {
    await new Promise((resolve) => setTimeout(resolve, 10))
  })
  return r
}

const notice = (r: ReactTestRenderer) => r.root.findAll((n) => n.props["data-testid"] === "pagoefectivo-email-notice" && typeof n.type === "string")
const text = (r: ReactTestRenderer) => JSON.stringify(r.toJSON())

describe("<PagoEfectivoVoucher> and the CIP email", () => {
  it("says the code was emailed when the status route says the store emails it", async () => {
    const r = await render({ fetchStatus: async () => ({ cip: CIP, cip_emails: true }) })
    expect(notice(r)).toHaveLength(1)
    expect(text(r)).toContain("También te enviamos este código por correo.")
    r.unmount()
  })

  it("promises no email when the route says none goes out, or has not said", async () => {
    for (const fetchStatus of [async () => ({ cip: CIP, cip_emails: false }), async () => CIP]) {
      const r = await render({ fetchStatus })
      expect(text(r)).toContain("2523136")
      expect(notice(r)).toHaveLength(0)
      expect(text(r)).not.toMatch(/correo/)
      r.unmount()
    }
  })

  it("follows the page's own `emails`, over the route's answer", async () => {
    const r = await render({ cip: CIP, emails: true, pollIntervalMs: 60_000, fetchStatus: async () => ({ cip: CIP, cip_emails: false }) })
    expect(notice(r)).toHaveLength(1)
    r.unmount()
    const paid = await render({ cip: { ...CIP, status: "paid" }, emails: true })
    expect(notice(paid)).toHaveLength(0)
    paid.unmount()
  })
})
