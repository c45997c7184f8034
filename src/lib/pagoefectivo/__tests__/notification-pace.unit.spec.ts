import { createRateMeter } from "../../concurrency"
import { BURST, LOOK_MS, lookOn, waitOutBurst } from "../notification-pace"

/**
 * The pacing of notifications under a burst (README, "How to read them"): applying one waits
 * while more than 80/s are acknowledged (BURST in 250 ms), at most maxMs (a second here), and not at all at a
 * store's usual rate. Driven with its own clock: each pause moves the clock on, and the spec
 * decides how many acknowledgements arrive meanwhile.
 */
function burst(perPause: (pauseIndex: number) => number) {
  let t = 1_000_000
  const meter = createRateMeter(250, () => t)
  const pauses: number[] = []
  const pause = async (ms: number) => {
    pauses.push(ms)
    t += ms
    for (let i = perPause(pauses.length); i > 0; i--) meter.hit()
  }
  return { meter, pauses, now: () => t, pause, ack: (n: number) => Array.from({ length: n }, () => meter.hit()) }
}

/** What the subscriber does before applying one (src/subscribers/pagoefectivo-notification.ts). */
async function paced(b: ReturnType<typeof burst>, maxMs = 1000) {
  await lookOn(b)
  await waitOutBurst(maxMs, b)
}

describe("notification pacing: lookOn, then waitOutBurst", () => {
  it("applies after one look at a store's usual rate (at most 80/s acknowledged)", async () => {
    const b = burst(() => 0)
    b.ack(BURST)
    await paced(b)
    expect(b.pauses).toEqual([LOOK_MS])
  })

  it("sees a burst that starts right after its notification (the look), and waits it out", async () => {
    // one acknowledgement, 30 more during the look (300/s), then 12 per 50 ms for 300 ms
    const b = burst((i) => (i === 1 ? 30 : i <= 7 ? 12 : 0))
    b.ack(1)
    await paced(b)
    expect(b.pauses[0]).toBe(LOOK_MS)
    expect(b.pauses.length).toBeGreaterThan(6)
    expect(b.meter.count()).toBeLessThanOrEqual(BURST)
  })

  it("holds applying back while a burst is acknowledged, and applies right after it", async () => {
    // 12 acknowledgements per 50 ms (240/s) for 400 ms, then none
    const b = burst((i) => (i <= 8 ? 12 : 0))
    b.ack(BURST + 1)
    await paced(b)
    // looked, waited through the burst and until the last 250 ms held at most BURST
    expect(b.pauses).toEqual([LOOK_MS, ...Array(11).fill(50)])
    expect(b.meter.count()).toBeLessThanOrEqual(BURST)
  })

  it("waits at most maxMs however long the burst lasts, so applying always progresses", async () => {
    const b = burst(() => 100)
    b.ack(100)
    await paced(b)
    expect(b.pauses.reduce((a, ms) => a + ms, 0)).toBe(LOOK_MS + 1000)
    expect(b.meter.count()).toBeGreaterThan(BURST)
  })
})
