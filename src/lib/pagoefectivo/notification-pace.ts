import { setTimeout as sleep } from "node:timers/promises"
import { createRateMeter } from "../concurrency"

/**
 * Acknowledging a notification is cheap; applying it (a workflow run) is not. In one process,
 * under a burst of deliveries, applying competes with acknowledging for the CPU, and PagoEfectivo
 * waits on the acknowledgements. So the webhook route notes every acknowledgement here, and the
 * subscriber, before it applies one, waits while a burst is under way (more than BURST in the
 * last 250 ms, i.e. above 80/s), up to a second per notification so applying always progresses.
 * A store's normal traffic is far below that: single notifications are applied at once.
 */
export const acknowledgements = createRateMeter(250)

export const BURST = 20
const STEP_MS = 50

/** The clock, the pause and the meter; a spec gives its own to drive a burst step by step. */
export type PaceDeps = { meter: { count(): number }; now: () => number; pause: (ms: number) => Promise<unknown> }

export async function yieldToAcknowledgements(
  maxMs = 1000,
  { meter = acknowledgements, now = Date.now, pause = sleep }: Partial<PaceDeps> = {}
): Promise<void> {
  const until = now() + maxMs
  while (meter.count() > BURST && now() < until) await pause(STEP_MS)
}
