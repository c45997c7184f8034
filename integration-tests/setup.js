const path = require("path")
const { MetadataStorage } = require("@mikro-orm/core")

MetadataStorage.clear()

/**
 * Integration specs boot a real Medusa app, and Medusa schedules the plugin's jobs in it: at every
 * fifth minute the reconciliation would run by itself, in the middle of whatever a spec is doing
 * (taking its lock, asking about its records). The specs run the jobs themselves, when they mean
 * to: here a run the scheduler starts (it passes a context, `{ scheduledFor }`) does nothing; a
 * spec's own call (the container alone) runs the real job.
 */
if (process.env.TEST_TYPE === "integration:http") {
  for (const job of ["reconcile-pagoefectivo", "pagoefectivo-cip-reminders"]) {
    const file = path.join(__dirname, "..", "src", "jobs", job)
    jest.doMock(file, () => {
      const actual = jest.requireActual(file)
      return { __esModule: true, ...actual, default: (container, context) => (context ? undefined : actual.default(container)) }
    })
  }
}
