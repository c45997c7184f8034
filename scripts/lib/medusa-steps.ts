/**
 * The Medusa CLI as printed parts of a run's steps (`npm run demo`): a setup command, the app
 * build (`medusa build`, reused with `noBuild`) and `medusa start` until /health answers. What runs
 * is recorded in the run's Shutdown, so that a signal stops it; a failure is a StepError naming
 * its log.
 */
import fs from "fs"
import path from "path"
import { BUILD_DIR, BUILT_ADMIN, HttpWaitError, REPO_ROOT, newestMtime, runMedusa, spawnMedusa, typeErrorsOfEmittedBuild, waitForHttp } from "./medusa-process"
import type { Shutdown } from "./shutdown"
import { StepError, detail, dim, rel, type stepPrinter, warn } from "./steps"

export type MedusaStepsOptions = {
  shutdown: Shutdown
  /** The run's timed parts (stepPrinter's phase). */
  phase: ReturnType<typeof stepPrinter>["phase"]
  logs: { build: string; medusa: string }
  /** Where `medusa start`'s pid is written, for the next run's stale check. */
  pidFile: string
  healthTimeoutMs: number
}

export function medusaSteps(o: MedusaStepsOptions) {
  const { shutdown, phase, logs } = o
  const running = shutdown.running

  /** Runs a medusa command from the repo root; a non-zero exit is a StepError with the log's tail. */
  async function command(stepName: string, args: string[], env: NodeJS.ProcessEnv, logFile: string, accept?: (output: string) => boolean) {
    detail(dim(`medusa ${args.join(" ")}  (log: ${rel(logFile)})`))
    const r = await runMedusa({ args, cwd: REPO_ROOT, env, logFile }, (ch) => (running.command = ch))
    shutdown.throwIfStopping()
    if (r.code !== 0 && !(accept && accept(r.output))) {
      throw new StepError(stepName, `medusa ${args[0]} ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}`, logFile)
    }
    return r
  }

  /** `medusa build` (backend + admin); with `noBuild`, an existing app build is reused. */
  async function build(env: NodeJS.ProcessEnv, noBuild: boolean) {
    const config = path.join(BUILD_DIR, "medusa-config.js")
    const haveBuild = fs.existsSync(BUILT_ADMIN) && fs.existsSync(config)
    if (noBuild && haveBuild) {
      detail(`--no-build: reusing ${rel(BUILD_DIR)} (built ${fs.statSync(config).mtime.toLocaleString()})`)
      const newer = newestMtime(path.join(REPO_ROOT, "src"))
      if (newer > fs.statSync(config).mtimeMs) warn("src/ has changed since that build; run without --no-build to include the changes")
      return
    }
    if (noBuild) detail(`--no-build, but ${rel(BUILD_DIR)} holds no app build (only \`npm run build\`'s plugin build, or nothing): building`)
    await phase("build", async () => {
      const r = await command("build", ["build"], env, logs.build, () => true)
      if (r.code === 0) return
      // `medusa build` exits 1 on TypeScript errors although it has emitted everything: report
      // them and carry on with what it emitted; a real breakage shows at start-up anyway.
      const unique = typeErrorsOfEmittedBuild(r.output)
      if (!unique) {
        throw new StepError("build", `medusa build ${r.signal ? `was killed by ${r.signal}` : `exited with code ${r.code}`}`, logs.build)
      }
      warn(`medusa build reported ${unique.length} TypeScript error(s) but emitted the build; continuing with it:`)
      for (const l of unique.slice(0, 5)) warn(`  ${l}`)
      if (unique.length > 5) warn(`  … see ${rel(logs.build)}`)
    })
  }

  /**
   * `medusa start` on `port`, from the app build or (`noAdmin`) from the repo root; answers its
   * URL once /health answers (and, with the admin, /app serves it).
   */
  async function start(env: NodeJS.ProcessEnv, opts: { noAdmin: boolean; port: number }): Promise<string> {
    const cwd = opts.noAdmin ? REPO_ROOT : BUILD_DIR
    const baseUrl = `http://localhost:${opts.port}`
    return phase("Medusa start", async () => {
      detail(dim(`medusa start in ${cwd === REPO_ROOT ? "the repo root" : rel(cwd)}  (log: ${rel(logs.medusa)})`))
      const medusa = spawnMedusa({ args: ["start"], cwd, env, logFile: logs.medusa })
      running.medusa = medusa
      if (medusa.pid) fs.writeFileSync(o.pidFile, String(medusa.pid))
      await waitForHttp(`${baseUrl}/health`, medusa, o.healthTimeoutMs, { label: "medusa start", beforeEachTry: () => shutdown.throwIfStopping() }).catch((e) => {
        throw e instanceof HttpWaitError ? new StepError("Medusa start", e.summary, logs.medusa) : e
      })
      detail(`${baseUrl}/health answers 200 (pid ${medusa.pid})`)
      if (!opts.noAdmin) {
        const res = await fetch(`${baseUrl}/app`).catch(() => null)
        const html = res ? await res.text() : ""
        if (!res || res.status !== 200 || !/<html/i.test(html)) {
          throw new StepError("Medusa start", `the admin is not served at ${baseUrl}/app (status ${res?.status ?? "none"})`, logs.medusa)
        }
        detail(`admin served at ${baseUrl}/app`)
      }
      return baseUrl
    })
  }

  return { command, build, start }
}
