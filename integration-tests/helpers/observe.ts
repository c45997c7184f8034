import type { MedusaContainer } from "@medusajs/framework/types"
import { ContainerRegistrationKeys, Modules } from "@medusajs/framework/utils"

/**
 * What the app emits and logs, as a store's own subscribers and its operator see it: spies on
 * the event bus and the logger that let every call through. Call in a beforeEach (the arrays are
 * emptied for each test) and `jest.restoreAllMocks()` in an afterEach.
 */
export function observe(getContainer: () => MedusaContainer) {
  const seen = { emitted: [] as { name: string; data: any }[], logged: [] as { level: string; message: string }[] }
  beforeEach(() => {
    seen.emitted.length = 0
    seen.logged.length = 0
    const bus = getContainer().resolve(Modules.EVENT_BUS) as any
    const emit = bus.emit.bind(bus)
    jest.spyOn(bus, "emit").mockImplementation((events: any, options: any) => {
      for (const e of Array.isArray(events) ? events : [events]) seen.emitted.push({ name: e.name ?? e.eventName, data: e.data })
      return emit(events, options)
    })
    const logger = getContainer().resolve(ContainerRegistrationKeys.LOGGER) as any
    for (const level of ["info", "warn", "error"] as const) {
      const original = logger[level].bind(logger)
      jest.spyOn(logger, level).mockImplementation((message: unknown, ...rest: unknown[]) => {
        seen.logged.push({ level, message: String(message) })
        return original(message, ...rest)
      })
    }
  })
  afterEach(() => jest.restoreAllMocks())
  return {
    get emitted() {
      return seen.emitted
    },
    /** The messages logged (info, warn, error), oldest first. */
    get logged() {
      return seen.logged.map((l) => l.message)
    },
    events: (name: string) => seen.emitted.filter((e) => e.name === name),
  }
}
