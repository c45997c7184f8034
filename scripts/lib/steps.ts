/**
 * Printed, timed steps for a script that tells a story on the terminal (`npm run demo`):
 * `[3/8] Title` headings, indented details and warnings, timed parts inside a step, the final
 * timings table, a boxed summary, and a failed step's report with the tail of its log.
 */
import path from "path"
import { tail } from "./medusa-process"

const TTY = process.stdout.isTTY
const c = (code: string) => (s: string) => (TTY ? `\x1b[${code}m${s}\x1b[0m` : s)
export const bold = c("1")
export const dim = c("2")
export const green = c("32")
export const red = c("31")
export const yellow = c("33")

export const out = (s = "") => process.stdout.write(s + "\n")
export const detail = (s: string) => out(`      ${s}`)
export const warn = (s: string) => out(`      ${yellow("!")} ${s}`)

export const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`
/** A path as the person at the terminal would type it (relative to the working directory). */
export const rel = (p: string) => path.relative(process.cwd(), p) || "."

/** A step that failed: its name and, when there is one, the log to read. */
export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly logFile?: string
  ) {
    super(message)
  }
}

/** The run is being stopped (a signal): not a failure of the step that was under way. */
export class Interrupted extends Error {}

/** For a `.catch`: a failure that is not already a StepError (or Interrupted) becomes step `step`'s, with its log. */
export const stepError = (step: string, logFile?: string) => (e: unknown): never => {
  if (e instanceof StepError || e instanceof Interrupted) throw e
  throw new StepError(step, (e as Error).message, logFile)
}

export type Timing = { name: string; ms: number; part: boolean }

/** Numbered steps out of `totalSteps` and, indented under them, their timed parts, in the order they started. */
export function stepPrinter(totalSteps: number) {
  const timings: Timing[] = []
  let stepNo = 0

  async function timedEntry<T>(name: string, part: boolean, fn: () => Promise<T>): Promise<T> {
    const entry = { name, ms: 0, part }
    timings.push(entry)
    const t0 = performance.now()
    const r = await fn()
    entry.ms = performance.now() - t0
    detail(`${green("✔")} ${name} ${dim(secs(entry.ms))}`)
    return r
  }

  return {
    timings,
    /** A numbered step: its heading, then `fn`, then its time under `timingName`. */
    step<T>(title: string, timingName: string, fn: () => Promise<T>): Promise<T> {
      stepNo++
      out(`${bold(`[${stepNo}/${totalSteps}]`)} ${bold(title)}`)
      return timedEntry(timingName, false, fn)
    },
    /** A timed part inside a step, recorded in the final timings. */
    phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
      return timedEntry(name, true, fn)
    },
    /** A part timed by the caller. */
    record(name: string, ms: number) {
      timings.push({ name, ms, part: true })
    },
    /** The timings table, ending with `totalMs`. */
    printTimings(totalMs: number) {
      out()
      out(bold("Timings"))
      for (const t of timings) out(`  ${(t.part ? `  ${t.name}` : t.name).padEnd(26)} ${secs(t.ms).padStart(8)}`)
      out(`  ${"total".padEnd(26)} ${secs(totalMs).padStart(8)}`)
      out()
    },
  }
}

export function box(lines: string[]) {
  const width = Math.max(...lines.map((l) => l.length))
  out(`┌${"─".repeat(width + 2)}┐`)
  for (const l of lines) out(`│ ${l}${" ".repeat(width - l.length)} │`)
  out(`└${"─".repeat(width + 2)}┘`)
}

/** A failure as the person at the terminal reads it: the step, its message, the tail of its log. */
export function printFailure(err: unknown, what = "the run") {
  out()
  if (err instanceof StepError) {
    out(red(bold(`✘ step "${err.step}" failed: ${err.message}`)))
    if (err.logFile) {
      const t = tail(err.logFile, 30)
      out(red(`  log: ${rel(err.logFile)}`) + (t ? dim(" (last lines below)") : ""))
      if (t) out(t.split("\n").map((l) => `  │ ${l}`).join("\n"))
    }
  } else {
    out(red(bold(`✘ ${what} failed: ${(err as Error)?.stack ?? err}`)))
  }
}

/** A database URL with its password masked, for printing. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = "***"
    return u.toString()
  } catch {
    return url
  }
}
