import { createLimiter, forEachLimited } from "../concurrency"

const tick = () => new Promise((r) => setTimeout(r, 5))

describe("createLimiter", () => {
  it("runs at most `limit` at once, in arrival order, and passes results and errors through", async () => {
    const run = createLimiter(2)
    let active = 0
    let peak = 0
    const started: number[] = []
    const job = (i: number) => async () => {
      started.push(i)
      active++
      peak = Math.max(peak, active)
      await tick()
      active--
      if (i === 3) throw new Error("boom")
      return i * 10
    }
    const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => run(job(i))))
    expect(peak).toBe(2)
    expect(started).toEqual([0, 1, 2, 3, 4])
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual([0, 10, 20, "boom", 40])
    expect(run.active).toBe(0)
    expect(run.pending).toBe(0)
  })
})

describe("forEachLimited", () => {
  it("visits every item with bounded concurrency", async () => {
    let active = 0
    let peak = 0
    const seen: number[] = []
    await forEachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      active++
      peak = Math.max(peak, active)
      await tick()
      seen.push(n)
      active--
    })
    expect(peak).toBe(3)
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7])
  })
})
