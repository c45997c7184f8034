import { setTimeout as sleep } from "node:timers/promises"
import { createRateMeter } from "../concurrency"

/**
 * Acknowledging a notification is cheap; applying it (a workflow run) is not. In one process,
 * under a burst of deliveries, applying competes with acknowledging for the CPU, and PagoEfectivo
 * waits on the acknowledgements. So the webhook route notes every acknowledgement here, and the
 * subscriber paces what it applies:
 * 1. `lookOn`: every notification first looks on for LOOK_MS (all of them at once, before they
 *    queue for a turn to be applied): a burst's first notification is otherwise applied before
 *    the burst shows on the meter, and one workflow run at the start of a burst takes the CPU its
 *    acknowledgements need;
 * 2. `waitOutBurst`: with its turn, it waits while a burst is under way (more than BURST in the
 *    last 250 ms, i.e. above 80/s), until it is over: a burst is acknowledged first and applied
 *    right after. At most MAX_WAIT_MS per notification, so that applying progresses even under a
 *    stream that never lets up (no store's PagoEfectivo traffic is 80/s for that long).
 * A store's normal traffic is far below the threshold: a single notification is applied LOOK_MS
 * after it arrives.
 */
export const acknowledgements = createRateMeter(250)

export const BURST = 20
const STEP_MS = 50
export const MAX_WAIT_MS = 30_000
export const LOOK_MS = 100

/** The clock, the pause and the meter; a spec gives its own to drive a burst step by step. */
export type PaceDeps = { meter: { count(): number }; now: () => number; pause: (ms: number) => Promise<unknown> }

export function lookOn({ pause = sleep }: Partial<PaceDeps> = {}): Promise<unknown> {
  return pause(LOOK_MS)
}

export async function waitOutBurst(
  maxMs = MAX_WAIT_MS,
  { meter = acknowledgements, now = Date.now, pause = sleep }: Partial<PaceDeps> = {}
): Promise<void> {
  const until = now() + maxMs
  while (meter.count() > BURST && now() < until) await pause(STEP_MS)
}
