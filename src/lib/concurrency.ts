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
