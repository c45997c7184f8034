import { setTimeout as sleep } from "node:timers/promises"
import { createRateMeter } from "../concurrency"

/**
 * Acknowledging a notification is cheap; applying it (a workflow run) is not. In one process,
 * under a burst of deliveries, applying competes with acknowledging for the CPU, and PagoEfectivo
 * waits on the acknowledgements. So the webhook route notes every acknowledgement here, and the
 * subscriber, before it applies one, looks on for LOOK_MS and then waits while a burst is under way (more than BURST in the
 * last 250 ms, i.e. above 80/s), until it is over: a burst is acknowledged first and applied
 * right after. At most MAX_WAIT_MS per notification, so that applying progresses even under a
 * stream that never lets up (no store's PagoEfectivo traffic is 80/s for that long). A store's
 * normal traffic is far below the threshold: single notifications are applied at once.
 */
export const acknowledgements = createRateMeter(250)

export const BURST = 20
const STEP_MS = 50
export const MAX_WAIT_MS = 30_000
/**
 * How long applying first looks on before it decides: a burst's first notification is applied
 * before the burst shows on the meter otherwise, and one workflow run at the start of a burst
 * takes the CPU its acknowledgements need. A single notification is applied this much later.
 */
export const LOOK_MS = 100

/** The clock, the pause and the meter; a spec gives its own to drive a burst step by step. */
export type PaceDeps = { meter: { count(): number }; now: () => number; pause: (ms: number) => Promise<unknown> }

export async function yieldToAcknowledgements(
  maxMs = MAX_WAIT_MS,
  { meter = acknowledgements, now = Date.now, pause = sleep }: Partial<PaceDeps> = {}
): Promise<void> {
  const until = now() + maxMs
  await pause(LOOK_MS)
  while (meter.count() > BURST && now() < until) await pause(STEP_MS)
}
