/**
 * Failpoints: named places in a money path where a test can stop a process on purpose, so that a
 * crash or a race is reproduced at exactly that point instead of hoped for. Off unless armed: in
 * production `failpoint(name)` is a map lookup.
 *
 * Armed two ways:
 * - `PAGOEFECTIVO_FAILPOINTS=name[=action],…` in the environment of a process (a `medusa start`
 *   that a spec kills with SIGKILL once the failpoint's line appears in its log). Actions:
 *   `pause` (default: log `pagoefectivo failpoint <name> reached` and wait forever), `crash`
 *   (log, then `process.exit(137)`, as a SIGKILL would leave it) and `until:<file>` (log, then
 *   wait until that file exists: another process is let go on purpose).
 * - `armFailpoint(name, handler)` in the same process (an in-process spec that holds a step there
 *   while it delivers something else, then lets it go).
 *
 * The registry lives on globalThis so that every copy of this module in a process (Medusa's
 * loaders and jest's module registry each load src/ on their own) sees the same failpoints.
 */
type Handler = (name: string, context: Record<string, unknown>) => Promise<void> | void

const KEY = Symbol.for("pagoefectivo.failpoints")
type Registry = { handlers: Map<string, Handler> }

/** The process's failpoints: the environment's, read once, and those armed since. */
function registry(): Registry {
  const g = globalThis as unknown as Record<symbol, Registry | undefined>
  let r = g[KEY]
  if (!r) {
    const handlers = new Map<string, Handler>()
    for (const entry of (process.env.PAGOEFECTIVO_FAILPOINTS ?? "").split(",").map((s) => s.trim()).filter(Boolean)) {
      const at = entry.indexOf("=")
      handlers.set(at < 0 ? entry : entry.slice(0, at), envHandler(at < 0 ? "pause" : entry.slice(at + 1)))
    }
    r = g[KEY] = { handlers }
  }
  return r
}

function envHandler(action: string): Handler {
  return async (name, context) => {
    process.stderr.write(`pagoefectivo failpoint ${name} reached ${JSON.stringify(context)}\n`)
    if (action === "crash") process.exit(137)
    if (action.startsWith("until:")) {
      const { existsSync } = await import("node:fs")
      while (!existsSync(action.slice("until:".length))) await new Promise((r) => setTimeout(r, 100))
      return
    }
    return new Promise<void>(() => undefined)
  }
}

/** Runs the handler armed for `name`, if any (nothing armed: one map lookup). */
export async function failpoint(name: string, context: Record<string, unknown> = {}): Promise<void> {
  const { handlers } = registry()
  if (!handlers.size) return
  const handler = handlers.get(name)
  if (handler) await handler(name, context)
}

/** Arms `name` in this process; answers the function that disarms it. */
export function armFailpoint(name: string, handler: Handler): () => void {
  const { handlers } = registry()
  handlers.set(name, handler)
  return () => {
    if (handlers.get(name) === handler) handlers.delete(name)
  }
}

/**
 * Arms `name` to hold the first caller (whose context matches `when`, if given) until `release()`;
 * `reached` resolves with that caller's context. Later callers pass straight through.
 */
export function holdAtFailpoint(name: string, when: (context: Record<string, unknown>) => boolean = () => true) {
  let release!: () => void
  let reached!: (context: Record<string, unknown>) => void
  const released = new Promise<void>((r) => (release = r))
  const reachedPromise = new Promise<Record<string, unknown>>((r) => (reached = r))
  let held = false
  const disarm = armFailpoint(name, async (_name, context) => {
    if (held || !when(context)) return
    held = true
    reached(context)
    await released
  })
  return {
    reached: reachedPromise,
    release: () => {
      disarm()
      release()
    },
  }
}

/** The failpoints in the money paths (one list, so that specs and code agree on the names). */
export const FAILPOINTS = {
  /** The provider has PagoEfectivo's answer and is about to return it to Medusa (which books the order next). */
  providerRefundReturning: "provider.refund.returning",
  /** The provider checked the refund and is about to write its record (Medusa's Refund row is committed). */
  providerRefundBeginning: "provider.refund.beginning",
  /** The provider is about to send POST /refunds (the record exists, its lease is held). */
  providerRefundCalling: "provider.refund.calling",
  /** The books of an order are being converged: its Refund rows are changed, its order transactions and sums not yet. */
  booksMidway: "books.midway",
  /** The reconciliation holds its lock and is about to start. */
  reconcileLocked: "reconcile.locked",
  /** A replaced CIP was paid first: the renewed one is withdrawn at PagoEfectivo, the order not yet captured with the paid one (context: cip, renewed, order_id). */
  latePaymentCapturing: "late-payment.capturing",
  /** An overpayment's refund has PagoEfectivo's answer, not yet written on its CIP record (context: cip, refund_id, status). */
  overpaymentRefundAnswered: "overpayment-refund.answered",
  /** A CIP notification's target is resolved, not yet applied (context: id, kind, cip). */
  notificationResolved: "notification.resolved",
  /** A batch of notifications is about to be written (context: `queued()`, how many wait behind it). */
  notificationsWrite: "notifications.write",
} as const
