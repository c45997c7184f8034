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

const BURST = 20

export async function yieldToAcknowledgements(maxMs = 1000): Promise<void> {
  const until = Date.now() + maxMs
  while (acknowledgements.count() > BURST && Date.now() < until) await sleep(50)
}
