import { localLockingOnSharedBus } from "../converge"

/**
 * The boot warning of the convergence: an order's books are serialized by Medusa's Locking module,
 * whose in-memory provider serializes one process only. Said when medusa-config declares a shared
 * event bus (the store runs on several processes) and the locking stayed in memory.
 */
describe("localLockingOnSharedBus", () => {
  it("warns of in-memory locking beside Redis's event bus", () => {
    expect(localLockingOnSharedBus("lp_in-memory", "@medusajs/medusa/event-bus-redis")).toBe(true)
  })

  it("says nothing with Medusa's local event bus, declared or not (one process)", () => {
    expect(localLockingOnSharedBus("lp_in-memory", "@medusajs/medusa/event-bus-local")).toBe(false)
    expect(localLockingOnSharedBus("lp_in-memory", "")).toBe(false)
  })

  it("says nothing when the locking is shared too", () => {
    expect(localLockingOnSharedBus("lp_locking-redis", "@medusajs/medusa/event-bus-redis")).toBe(false)
  })
})
