/**
 * A FIFO limiter: at most `limit` of the functions given to it run at once; the rest wait their
 * turn in order. Used to apply notifications in the background without starving the requests
 * that acknowledge them.
 */
export function createLimiter(limit: number) {
  let active = 0
  const waiting: (() => void)[] = []
  const next = () => {
    if (active >= limit) return
    const start = waiting.shift()
    if (start) {
      active++
      start()
    }
  }
  const run = <T>(fn: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      waiting.push(() => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            active--
            next()
          })
      })
      next()
    })
  return Object.assign(run, {
    get pending() {
      return waiting.length
    },
    get active() {
      return active
    },
  })
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>) {
  const run = createLimiter(Math.max(1, limit))
  await Promise.all(items.map((item) => run(() => fn(item))))
}

/**
 * Counts events in a sliding window of `windowMs` (in buckets of a tenth of it): `hit()` notes
 * one, `count()` answers how many fell in the last window. Constant memory and time.
 */
export function createRateMeter(windowMs: number, now: () => number = Date.now) {
  const BUCKETS = 10
  const width = windowMs / BUCKETS
  const counts = new Array<number>(BUCKETS).fill(0)
  const stamps = new Array<number>(BUCKETS).fill(-1)
  const slot = (t: number) => Math.floor(t / width)
  return {
    hit() {
      const s = slot(now())
      const i = s % BUCKETS
      if (stamps[i] !== s) {
        stamps[i] = s
        counts[i] = 0
      }
      counts[i]++
    },
    count() {
      const s = slot(now())
      let total = 0
      for (let i = 0; i < BUCKETS; i++) if (stamps[i] > s - BUCKETS) total += counts[i]
      return total
    },
  }
}
