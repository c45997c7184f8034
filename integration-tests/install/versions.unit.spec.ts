import fs from "fs"
import path from "path"
import { hookPathFor, inPeerRange, peerRange, resolveVersion, supportedMatrix } from "./lib/medusa-versions"

/**
 * Which Medusa versions the install check runs on (lib/medusa-versions.ts), from the published
 * versions and the peer range, and what differs between them that the check must know.
 */
const published = {
  versions: ["2.17.0", "2.17.2", "2.18.0", "2.19.0", "2.20.0", "2.20.1", "2.21.0", "2.21.1", "2.21.2", "2.22.0"],
  latest: "2.21.2",
}
const range = { low: "2.18.0", below: "2.22.0", text: ">=2.18.0 <2.22.0" }

describe("the install check's versions", () => {
  it("the package's peer range is the one README states, on both Medusa peers", () => {
    expect(peerRange()).toEqual(range)
    expect(fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8")).toContain(`peer range \`${range.text}\``)
  })

  it("runs each minor of the peer range at its latest patch, and the newest minor's first patch", () => {
    expect(supportedMatrix(published, range)).toEqual(["2.18.0", "2.19.0", "2.20.1", "2.21.0", "2.21.2"])
  })

  it("resolves latest, a minor's latest patch and an exact version; refuses one never published", () => {
    expect(resolveVersion("latest", published)).toBe("2.21.2")
    expect(resolveVersion("2.20.x", published)).toBe("2.20.1")
    expect(resolveVersion("2.21.0", published)).toBe("2.21.0")
    expect(() => resolveVersion("2.23.x", published)).toThrow("no published @medusajs/medusa 2.23.x")
    expect(() => resolveVersion("2.21.9", published)).toThrow("2.21.9 is not published")
  })

  it("knows which versions the peer range admits", () => {
    expect(["2.17.2", "2.18.0", "2.21.2", "2.22.0"].map((v) => inPeerRange(v, range))).toEqual([false, true, true, false])
  })

  it("Medusa's /hooks/payment route: Medusa adds pp_ itself until 2.21.1, takes the provider id as it is from 2.21.2", () => {
    expect(["2.18.0", "2.20.1", "2.21.1"].map(hookPathFor)).toEqual(Array(3).fill("/hooks/payment/pagoefectivo_pagoefectivo"))
    expect(["2.21.2", "2.22.0"].map(hookPathFor)).toEqual(Array(2).fill("/hooks/payment/pp_pagoefectivo_pagoefectivo"))
  })
})
