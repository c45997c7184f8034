/**
 * Child-process helpers for running the Medusa CLI: `npm run demo` (scripts/demo.ts) and
 * the multi-instance spec.
 *
 * Every Medusa CLI command runs as `node <@medusajs/cli>/cli.js <args>` (what `npx medusa` runs,
 * without npm's wrapper process), detached into its own process group with its output in a log
 * file, so that stopping it stops everything it spawned (`kill -- -<pgid>`), and so that a Ctrl-C
 * in the terminal reaches the demo only: the demo decides what stops and in which order.
 */
import { ChildProcess, spawn } from "child_process"
import fs from "fs"
import path from "path"
import { pidAlive } from "./ports"

export const REPO_ROOT = path.resolve(__dirname, "..", "..")

/** Where `medusa build` (the app: backend + admin) and `medusa plugin:build` write. */
export const BUILD_DIR = path.join(REPO_ROOT, ".medusa", "server")
export const BUILT_ADMIN = path.join(BUILD_DIR, "public", "admin", "index.html")

/** The newest modification time (ms) of any file below `dir`; 0 when there is none (or no such directory). */
export function newestMtime(dir: string): number {
  let newest = 0
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name)
      if (e.isDirectory()) walk(p)
      else newest = Math.max(newest, fs.statSync(p).mtimeMs)
    }
  }
  try {
    walk(dir)
  } catch {
    /* no such directory */
  }
  return newest
}

/**
 * `medusa build` exits 1 on TypeScript errors although it has emitted the backend and the admin.
 * Given its output, answers those errors (deduplicated) when it did emit everything; null when it
 * did not. The demo reports them and uses the build (a real breakage shows at start-up); the e2e
 * spec fails on them, naming them.
 */
export function typeErrorsOfEmittedBuild(output: string): string[] | null {
  const typeErrors = [...new Set(output.split("\n").filter((l) => /error TS\d+/.test(l)).map((l) => l.trim()))]
  const emitted =
    /Backend build completed with errors/.test(output) &&
    /Frontend build completed successfully/.test(output) &&
    fs.existsSync(BUILT_ADMIN) &&
    fs.existsSync(path.join(BUILD_DIR, "medusa-config.js"))
  return emitted && typeErrors.length ? typeErrors : null
}

/** The Medusa CLI entry (`bin.medusa` of @medusajs/cli). */
export function medusaCli(): string {
  const pkgJson = require.resolve("@medusajs/cli/package.json", { paths: [REPO_ROOT] })
  const bin = require(pkgJson).bin
  return path.join(path.dirname(pkgJson), typeof bin === "string" ? bin : bin.medusa)
}

const ANSI = /\x1b\[[0-9;?]*[ -\/]*[@-~]/g
export const stripAnsi = (s: string) => s.replace(ANSI, "")

export function readLog(file: string): string {
  try {
    return stripAnsi(fs.readFileSync(file, "utf8"))
  } catch {
    return ""
  }
}

/**
 * One log line for a person: Medusa logs JSON lines when NODE_ENV is not "development"; those
 * become `level: message` (plus the stack), and its per-request access lines are dropped.
 */
function readable(line: string): string | null {
  if (!line.startsWith("{")) return line
  try {
    const j = JSON.parse(line)
    if (j.level === "http") return null
    const stack = typeof j.stack === "string" ? `\n${j.stack}` : ""
    return `${j.level ?? "log"}: ${typeof j.message === "string" ? j.message : JSON.stringify(j.message)}${stack}`
  } catch {
    return line
  }
}

/** The last `n` lines of a log file, readable: ANSI colours removed, JSON lines rendered. */
export function tail(file: string, n = 30): string {
  return readLog(file)
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map(readable)
    .filter((l): l is string => l !== null)
    .join("\n")
    .split("\n")
    .slice(-n)
    .join("\n")
}

/** A detached child whose whole process group can be stopped. */
export class GroupChild {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  private done = false

  constructor(readonly proc: ChildProcess, readonly logFile: string) {
    this.exited = new Promise((resolve) => {
      proc.once("error", () => {
        this.done = true
        resolve({ code: null, signal: null })
      })
      proc.once("exit", (code, signal) => {
        this.done = true
        resolve({ code, signal })
      })
    })
  }

  get pid(): number | undefined {
    return this.proc.pid
  }

  get running(): boolean {
    return !this.done
  }

  /** Signals the whole process group (the child is its leader). */
  signalGroup(signal: NodeJS.Signals): void {
    if (!this.proc.pid) return
    try {
      process.kill(-this.proc.pid, signal)
    } catch {
      /* the group is gone */
    }
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.done) {
      // The leader is gone; children it left in the group (if any) go too.
      this.signalGroup("SIGKILL")
      return
    }
    this.signalGroup("SIGTERM")
    const timer = setTimeout(() => this.signalGroup("SIGKILL"), graceMs)
    await this.exited
    clearTimeout(timer)
    this.signalGroup("SIGKILL")
  }
}

/** Children still running; killed synchronously if the demo exits without stopping them. */
const live = new Set<GroupChild>()
process.on("exit", () => {
  for (const c of live) c.signalGroup("SIGKILL")
})

export type SpawnMedusaOptions = {
  args: string[]
  cwd: string
  env: NodeJS.ProcessEnv
  logFile: string
}

/**
 * Starts `medusa <args>` with stdout and stderr appended to `logFile` (truncated first). Node's own
 * flags for it, such as `--cpu-prof --cpu-prof-dir=/tmp/prof` (which NODE_OPTIONS refuses), come
 * from MEDUSA_NODE_ARGS, space-separated.
 */
export function spawnMedusa(opts: SpawnMedusaOptions): GroupChild {
  const nodeArgs = (opts.env.MEDUSA_NODE_ARGS ?? "").split(" ").filter(Boolean)
  return spawnLogged(process.execPath, [...nodeArgs, medusaCli(), ...opts.args], opts, `medusa ${opts.args.join(" ")}`)
}

/** Starts any command the same way (its own process group, output in `logFile`). */
export function spawnLogged(command: string, args: string[], opts: Omit<SpawnMedusaOptions, "args">, label = [command, ...args].join(" ")): GroupChild {
  fs.mkdirSync(path.dirname(opts.logFile), { recursive: true })
  const fd = fs.openSync(opts.logFile, "w")
  fs.writeSync(fd, `# ${new Date().toISOString()} ${label} (cwd ${opts.cwd})\n`)
  let proc: ChildProcess
  try {
    proc = spawn(command, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", fd, fd],
      detached: true,
    })
  } finally {
    // The child holds its own copy of the descriptor.
    fs.closeSync(fd)
  }
  const child = new GroupChild(proc, opts.logFile)
  live.add(child)
  child.exited.then(() => live.delete(child))
  return child
}

/** Runs `medusa <args>` to completion; `current` lets the caller stop it meanwhile. */
export function runMedusa(opts: SpawnMedusaOptions, current?: (c: GroupChild | null) => void) {
  return runChild(spawnMedusa(opts), current)
}

/** Waits for a child started by spawnLogged/spawnMedusa; answers its exit and its log. */
export async function runChild(
  child: GroupChild,
  current?: (c: GroupChild | null) => void
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  current?.(child)
  try {
    const r = await child.exited
    // Anything it left behind in its group.
    child.signalGroup("SIGKILL")
    return { ...r, output: readLog(child.logFile) }
  } finally {
    current?.(null)
  }
}

// ---------------------------------------------------------------- waiting for an answer

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Why waitForHttp gave up: the child exited first, or the time ran out. `summary` leaves out the log. */
export class HttpWaitError extends Error {
  constructor(
    readonly reason: "exited" | "timeout",
    readonly summary: string,
    logTail: string
  ) {
    super(`${summary}:\n${logTail}`)
  }
}

/**
 * Polls `url` until it answers 2xx, or the child dies, or `ms` pass (an HttpWaitError naming
 * `label`, by default the log's name, with the log's tail). `beforeEachTry` may throw to give up
 * sooner (the run is being stopped).
 */
export async function waitForHttp(url: string, child: GroupChild, ms: number, opts: { label?: string; beforeEachTry?: () => void } = {}): Promise<void> {
  const label = opts.label ?? path.basename(child.logFile, ".log")
  const deadline = Date.now() + ms
  for (;;) {
    opts.beforeEachTry?.()
    if (!child.running) {
      const r = await child.exited
      throw new HttpWaitError("exited", `${label} exited (${r.signal ?? `code ${r.code}`}) before ${url} answered`, tail(child.logFile, 40))
    }
    const ok = await fetch(url, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false)
    if (ok) return
    if (Date.now() > deadline) throw new HttpWaitError("timeout", `${url} did not answer within ${ms / 1000} s`, tail(child.logFile, 40))
    await sleep(500)
  }
}

// ---------------------------------------------------------------- stale Medusa

/**
 * A Medusa left running by an earlier demo that was killed (SIGKILL, closed terminal…): its pid
 * file names a process that is still `medusa start` with its working directory in this repo.
 * Stops that process group and returns its pid; anything else is left alone.
 */
export async function stopStaleMedusa(pidFile: string): Promise<number | null> {
  if (!fs.existsSync(pidFile)) return null
  const pid = parseInt(fs.readFileSync(pidFile, "utf8"), 10)
  fs.rmSync(pidFile, { force: true })
  if (!Number.isInteger(pid) || pid <= 1 || !pidAlive(pid)) return null
  let cmdline = ""
  let cwd = ""
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
    cwd = fs.readlinkSync(`/proc/${pid}/cwd`)
  } catch {
    return null
  }
  const isOurs = cmdline.includes(medusaCli()) && / start\b/.test(cmdline) && (cwd === REPO_ROOT || cwd.startsWith(REPO_ROOT + path.sep))
  if (!isOurs) return null
  const kill = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      /* gone */
    }
  }
  kill("SIGTERM")
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100)
  kill("SIGKILL")
  return pid
}
