#!/usr/bin/env node
/**
 * `npm test [-- <jest args>]`
 *
 * 1. Finds or starts PostgreSQL (scripts/lib/postgres.ts: DATABASE_URL, else localhost:5432,
 *    else an embedded server in .data/postgres; PAGOEFECTIVO_FORCE_EMBEDDED_PG=1 forces the
 *    embedded one).
 * 2. In a full run (no extra arguments): `npm run typecheck` first, as one check.
 * 3. Runs jest three times: unit (TEST_TYPE=unit), integration (TEST_TYPE=integration:http,
 *    --runInBand --forceExit) and e2e (TEST_TYPE=e2e: integration-tests/e2e, the admin in headless
 *    Chromium against a built Medusa; see integration-tests/e2e/admin-panel.spec.ts), extra
 *    arguments passed to all three (`npm test -- integration-tests/e2e` runs the e2e alone).
 * 4. In a full run: `npm run check:medusa -- latest --ci` (the install check on Medusa's latest,
 *    when the matrix did not run it; outside the peer range it reports and does not fail) and
 *    `npm run bench -- --smoke` (every benchmark part, briefly, on its own database; no figure is
 *    asserted), each as one check.
 * 5. Prints `N passed, N failed, N skipped` as its very last line, summed over the runs (jest's
 *    --json output; a check counts as one test), and exits non-zero if anything failed or jest
 *    crashed. A run that matched no spec is reported; if no run matched anything, that fails.
 *    With CI=true, skipped tests fail the run, and so does any run that matched no spec (one
 *    failure each, named in the log).
 *
 * Medusa's test runner (@medusajs/test-utils 2.21.2) reads DB_HOST, DB_PORT, DB_USERNAME,
 * DB_PASSWORD (database.js, medusa-test-runner-utils/postgres-template.js). DB_HOST must be
 * "localhost": for any other host it forces SSL (medusa-test-runner-utils/config.js).
 */
"use strict"

const { spawn } = require("child_process")
const fs = require("fs")
const os = require("os")
const path = require("path")

const ROOT = path.resolve(__dirname, "..")
process.chdir(ROOT)

require("ts-node").register({ transpileOnly: true })
const { ensurePostgres } = require("./lib/postgres.ts")

const log = (s) => process.stderr.write(`[test] ${s}\n`)

const CI = /^(1|true)$/i.test(process.env.CI || "")

/**
 * The runs, in order: jest runs (`testType`) and checks (`check`: a command that passes or fails
 * as one test, only in a full run, i.e. with no extra arguments).
 */
const RUNS = [
  { name: "typecheck", check: () => ({ command: "npm", args: ["run", "typecheck"] }) },
  { name: "unit", testType: "unit", args: [] },
  // One process boots a Medusa app per spec file, 21 of them; V8's default heap (about 2 GB here)
  // ran out near the end of the run (SIGABRT, no results): it gets 8 GB of the machine's 24.
  { name: "integration", testType: "integration:http", args: ["--runInBand", "--forceExit"], heapMb: 8192 },
  {
    // Its own match and timeout here (jest.config.js knows only unit and integration:http): one
    // spec file that builds and starts the whole store, then drives the admin in Chromium.
    name: "e2e",
    testType: "e2e",
    args: ["--runInBand", "--forceExit"],
  },
  {
    // The soak, shorter (scripts/soak.ts): refunds under faults on a Medusa server and a worker
    // sharing Redis, then one reconciliation, then every order's books (integration-tests/soak).
    name: "soak",
    testType: "soak",
    args: ["--runInBand", "--forceExit"],
  },
  {
    // The install check: the packed plugin installed into a store generated from scratch on each
    // Medusa of the peer range (integration-tests/install: two at a time), migrated, built,
    // started, sold with, refunded, its sums checked and its admin panel rendered.
    name: "install",
    testType: "install",
    args: ["--runInBand", "--forceExit"],
  },
  {
    // The next Medusa, early: the install check on `latest` (scripts/check-medusa.js). Nothing
    // more when latest is in the matrix above; outside the peer range it reports what passed and
    // does not fail.
    name: "medusa-latest",
    check: () => ({ command: process.execPath, args: [path.join(ROOT, "scripts", "check-medusa.js"), "latest", "--ci"] }),
  },
  {
    // Its own database and port, so it can run beside a developer's `npm run bench` or demo.
    name: "bench-smoke",
    check: (env) => ({
      command: process.execPath,
      args: [require.resolve("ts-node/dist/bin.js"), "--transpile-only", "bench/run.ts", "--smoke"],
      env: {
        DATABASE_URL: `postgres://${encodeURIComponent(env.DB_USERNAME)}${env.DB_PASSWORD ? `:${encodeURIComponent(env.DB_PASSWORD)}` : ""}@${env.DB_HOST}:${env.DB_PORT}`,
        BENCH_DB: "medusa_pagoefectivo_bench_smoke",
        BENCH_MEDUSA_PORT: env.BENCH_MEDUSA_PORT || "9391",
        NODE_ENV: "development",
      },
    }),
  },
]

let pg = null
let child = null
let interrupted = false
const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "pagoefectivo-jest-"))

async function cleanup() {
  fs.rmSync(tmpDir, { recursive: true, force: true })
  if (pg) {
    const p = pg
    pg = null
    await p.stop()
  }
}

function onSignal(signal) {
  if (interrupted) return
  interrupted = true
  log(`${signal}: stopping`)
  const done = async () => {
    await cleanup().catch(() => undefined)
    process.exit(signal === "SIGINT" ? 130 : 143)
  }
  if (child && child.exitCode === null && child.signalCode === null) {
    // From a terminal the child got the signal already; forward it for `kill <pid>`.
    try {
      child.kill(signal)
    } catch {
      /* gone */
    }
    const t = setTimeout(() => {
      try {
        child.kill("SIGKILL")
      } catch {
        /* gone */
      }
    }, 15000)
    child.once("exit", () => {
      clearTimeout(t)
      done()
    })
  } else {
    done()
  }
}
for (const s of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(s, () => onSignal(s))

function runJest(run, extraArgs, env) {
  const outputFile = path.join(tmpDir, `${run.name}.json`)
  const jestBin = require.resolve("jest/bin/jest")
  const args = [jestBin, "--passWithNoTests", "--json", `--outputFile=${outputFile}`, ...run.args, ...extraArgs]
  log(`jest (${run.name}): TEST_TYPE=${run.testType} ${args.slice(1).join(" ")}`)
  return new Promise((resolve) => {
    const nodeOptions = run.heapMb ? `${env.NODE_OPTIONS || ""} --max-old-space-size=${run.heapMb}`.trim() : env.NODE_OPTIONS
    child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...env, TEST_TYPE: run.testType, NODE_OPTIONS: nodeOptions },
      stdio: ["ignore", "inherit", "inherit"],
    })
    child.on("error", (err) => resolve({ code: null, signal: null, error: err, outputFile }))
    child.on("exit", (code, signal) => resolve({ code, signal, outputFile }))
  }).finally(() => {
    child = null
  })
}

/** A check: one command; exit code 0 is one test passed, anything else one failed. */
function runCheck(run, env) {
  const { command, args, env: extra = {} } = run.check(env)
  log(`${run.name}: ${[command === process.execPath ? "node" : command, ...args].join(" ")}`)
  return new Promise((resolve) => {
    child = spawn(command, args, { cwd: ROOT, env: { ...env, ...extra }, stdio: ["ignore", "inherit", "inherit"] })
    child.on("error", (err) => resolve({ code: null, signal: null, error: err }))
    child.on("exit", (code, signal) => resolve({ code, signal }))
  }).finally(() => {
    child = null
  })
}

function summariseCheck(run, result) {
  if (result.code === 0) return { passed: 1, failed: 0, skipped: 0, suites: 1 }
  const why = result.error ? result.error.message : result.signal ? `signal ${result.signal}` : `exit code ${result.code}`
  log(`${run.name} failed (${why})`)
  return { passed: 0, failed: 1, skipped: 0, suites: 1 }
}

/**
 * Counts from jest's JSON (skipped = jest's pending and todo tests; suites = spec files that
 * matched); a suite that failed to run counts as one failure.
 */
function summarise(run, result) {
  let json = null
  try {
    json = JSON.parse(fs.readFileSync(result.outputFile, "utf8"))
  } catch {
    /* no or partial output: jest crashed */
  }
  if (!json) {
    const why = result.error ? result.error.message : result.signal ? `signal ${result.signal}` : `exit code ${result.code}`
    log(`jest (${run.name}) crashed (${why}) and wrote no results`)
    return { passed: 0, failed: 1, skipped: 0, suites: 0 }
  }
  let passed = json.numPassedTests || 0
  let failed = json.numFailedTests || 0
  const skipped = (json.numPendingTests || 0) + (json.numTodoTests || 0)
  const suites = json.numTotalTestSuites || 0
  let brokenSuites = 0
  for (const suite of json.testResults || []) {
    const failingTests = (suite.assertionResults || []).filter((a) => a.status === "failed").length
    if (suite.status === "failed" && failingTests === 0) brokenSuites++
  }
  failed += Math.max(brokenSuites, json.numRuntimeErrorTestSuites || 0)
  if (result.code !== 0 && failed === 0) {
    // jest failed for a reason outside the counts (bad option, globalSetup, open handles…).
    log(`jest (${run.name}) exited with ${result.signal ? `signal ${result.signal}` : `code ${result.code}`}`)
    failed = 1
  }
  for (const suite of json.testResults || []) {
    const skippedHere = (suite.assertionResults || []).filter((a) => a.status === "pending" || a.status === "todo")
    if (skippedHere.length) log(`jest (${run.name}): ${skippedHere.length} skipped in ${path.relative(ROOT, suite.name)}`)
  }
  return { passed, failed, skipped, suites }
}

async function main() {
  const extraArgs = process.argv.slice(2)
  pg = await ensurePostgres({ log: (s) => process.stderr.write(`[postgres] ${s}\n`) })
  if (pg.host !== "localhost") {
    log(`warning: DB host ${pg.host} is not localhost; Medusa's test runner will then require SSL`)
  }

  const nodeOptions = (process.env.NODE_OPTIONS || "").split(/\s+/).filter(Boolean)
  if (!nodeOptions.includes("--experimental-vm-modules")) nodeOptions.push("--experimental-vm-modules")
  const env = {
    ...process.env,
    DB_HOST: pg.host,
    DB_PORT: String(pg.port),
    DB_USERNAME: pg.user,
    DB_PASSWORD: pg.password,
    NODE_OPTIONS: nodeOptions.join(" "),
    // Quieter defaults; set them yourself to override (e.g. LOG_LEVEL=info npm test).
    LOG_LEVEL: process.env.LOG_LEVEL || "warn",
    MEDUSA_DISABLE_TELEMETRY: process.env.MEDUSA_DISABLE_TELEMETRY || "true",
  }

  const full = extraArgs.length === 0
  const total = { passed: 0, failed: 0, skipped: 0 }
  const empty = []
  let matched = 0
  for (const run of RUNS) {
    if (run.check && !full) continue
    const t0 = Date.now()
    const r = run.check ? summariseCheck(run, await runCheck(run, env)) : summarise(run, await runJest(run, extraArgs, env))
    if (interrupted) return new Promise(() => undefined) // the signal handler exits
    log(`${run.name}: ${r.passed} passed, ${r.failed} failed, ${r.skipped} skipped (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
    if (!run.check && r.suites === 0 && r.failed === 0) {
      empty.push(run.name)
      log(`${run.name}: no spec matched${extraArgs.length ? ` ${extraArgs.join(" ")}` : ""}`)
    }
    if (!run.check && r.suites > 0) matched++
    total.passed += r.passed
    total.failed += r.failed
    total.skipped += r.skipped
  }
  // --passWithNoTests keeps a filtered run going; an empty run is judged here instead.
  if (matched === 0 && total.failed === 0) {
    log(`no spec matched${extraArgs.length ? ` ${extraArgs.join(" ")}` : ""}: nothing was tested`)
    total.failed++
  } else if (CI && empty.length) {
    log(`CI: ${empty.join(", ")} matched no spec; that fails the run`)
    total.failed += empty.length
  }
  if (CI && total.skipped) {
    log(`CI: ${total.skipped} test(s) skipped; in CI every test must run, so that fails the run`)
    total.failed++
  }
  await cleanup()
  return total
}

main().then(
  ({ passed, failed, skipped }) => {
    process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`)
    process.exit(failed > 0 ? 1 : 0)
  },
  async (err) => {
    process.stderr.write(`[test] ${err && err.stack ? err.stack : err}\n`)
    await cleanup().catch(() => undefined)
    process.stdout.write(`0 passed, 1 failed, 0 skipped\n`)
    process.exit(1)
  }
)
