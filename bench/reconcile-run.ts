import type { ExecArgs } from "@medusajs/framework/types"
import { reconcilePagoEfectivo } from "../src/lib/reconciliation/reconcile"

/**
 * `medusa exec ./bench/reconcile-run.ts`: one reconciliation run over everything older than 30
 * minutes, timed, with the process's resident memory sampled every 50 ms. Prints one JSON line.
 */
export default async function reconcileRun({ container }: ExecArgs) {
  global.gc?.()
  const base = process.memoryUsage()
  const baseRss = base.rss
  const baseHeap = base.heapUsed
  let peakRss = baseRss
  // where the resident memory goes: V8's heap (used, reserved) or outside it (buffers, malloc)
  const peak = { heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 }
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], m[k])
  }, 50)
  const started = performance.now()
  const summary = await reconcilePagoEfectivo(container, { olderThanMinutes: 30 })
  const wallMs = performance.now() - started
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  global.gc?.()
  const heapAfterGc = process.memoryUsage().heapUsed
  process.stdout.write(`BENCH_RECONCILE ${JSON.stringify({ wallMs, baseRss, peakRss, baseHeap, heapAfterGc, peak, base, summary })}\n`)
}
