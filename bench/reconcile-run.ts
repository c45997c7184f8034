import type { ExecArgs } from "@medusajs/framework/types"
import { reconcilePagoEfectivo } from "../src/workflows/reconcile"

/**
 * `medusa exec ./bench/reconcile-run.ts`: one reconciliation run over everything older than 30
 * minutes, timed, with the process's resident memory sampled every 50 ms. Prints one JSON line.
 */
export default async function reconcileRun({ container }: ExecArgs) {
  global.gc?.()
  const baseRss = process.memoryUsage().rss
  const baseHeap = process.memoryUsage().heapUsed
  let peakRss = baseRss
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }, 50)
  const started = performance.now()
  const summary = await reconcilePagoEfectivo(container, { olderThanMinutes: 30 })
  const wallMs = performance.now() - started
  clearInterval(sampler)
  peakRss = Math.max(peakRss, process.memoryUsage().rss)
  global.gc?.()
  const heapAfterGc = process.memoryUsage().heapUsed
  process.stdout.write(`BENCH_RECONCILE ${JSON.stringify({ wallMs, baseRss, peakRss, baseHeap, heapAfterGc, summary })}\n`)
}
