import { runSoak } from "../../scripts/soak"

/**
 * The soak (scripts/soak.ts, `npm run soak` makes 300 refunds), shorter: refunds under faults on a
 * Medusa server and a worker sharing Redis, one reconciliation, then every order's books. CI runs
 * this one; its figures are not asserted, its targets are.
 */
it("refunds under faults on a server and a worker: every order's three sums agree, no CIP refunded twice, no notification 5xx", async () => {
  const result = await runSoak({ refunds: Number(process.env.SOAK_REFUNDS ?? 60), seed: 11, log: (s) => process.stderr.write(`[soak] ${s}\n`) })
  process.stderr.write(`[soak] ${result.reconcile}\n${result.line}\n`)
  expect(result.mismatched).toEqual([])
  expect(result.refundedTwice).toEqual([])
  expect(result.notification5xx).toBe(0)
  expect(result.reconcile).toMatch(/books unbalanced=\d+ converged=\d+ errors=0/)
  // the faults really happened, and both outcomes with them
  expect(result.faults).toBeGreaterThan(5)
  expect(result.settled.completed).toBeGreaterThan(0)
  expect(result.settled.rejected).toBeGreaterThan(0)
})
