#!/usr/bin/env node
/**
 * `npm run check:medusa -- <version|x.y.x|latest>`: the install check (integration-tests/install)
 * on one published Medusa, e.g. the next minor the day it is published. It packs the plugin,
 * writes that minor's store, installs, migrates, builds, starts, sells, refunds (one completed,
 * one rejected), checks the three sums and renders the admin panel in Chromium, then prints what
 * passed, phase by phase.
 *
 * Exit code: inside the peer range, 0 only when every phase passed. Outside it (a Medusa the
 * plugin does not claim yet), the report says what passed and the exit code is 0 whatever failed:
 * it is news for the maintainers, not a broken build. npm refuses such a store's install with
 * ERESOLVE, so there it installs with --legacy-peer-deps (as pnpm would, with a warning).
 *
 * `--ci` (scripts/test.js, `latest` in a full `npm test`): when that version is one the install
 * check's matrix already ran, it says so and runs nothing a second time.
 */
"use strict"

const { spawn } = require("child_process")
const fs = require("fs")
const path = require("path")

const ROOT = path.resolve(__dirname, "..")
require("ts-node").register({ transpileOnly: true })
const versions = require("../integration-tests/install/lib/medusa-versions.ts")
const { storeEnv } = require("../integration-tests/install/lib/store-check.ts")

const say = (s) => process.stderr.write(`[check:medusa] ${s}\n`)

async function main() {
  const args = process.argv.slice(2)
  const ci = args.includes("--ci")
  const spec = args.filter((a) => a !== "--ci")[0]
  if (!spec || args.filter((a) => a !== "--ci").length > 1) {
    say("usage: npm run check:medusa -- <version|x.y.x|latest> [--ci]   e.g. 2.22.0, 2.21.x, latest")
    return 2
  }
  const published = versions.publishedMedusa(storeEnv())
  let version
  try {
    version = versions.resolveVersion(spec, published)
  } catch (e) {
    say(e.message)
    return 2
  }
  const range = versions.peerRange()
  const inRange = versions.inPeerRange(version, range)
  say(`@medusajs/medusa ${spec} is ${version}; the plugin's peer range ${range.text} ${inRange ? "admits it" : "does not admit it"}`)
  if (ci && versions.versionsToCheck(process.env, storeEnv()).includes(version)) {
    say(`${version} is in the install check's matrix, which this run checked: nothing more to run`)
    return 0
  }

  const env = { ...process.env, PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS: version, CI: "false" }
  delete env.PAGOEFECTIVO_SKIP_INSTALL_CHECK
  const code = await new Promise((resolve) => {
    // its "N passed, N failed" line goes to stderr: under scripts/test.js only the last line of stdout is the summary
    const child = spawn(process.execPath, [path.join(ROOT, "scripts", "test.js"), "integration-tests/install/install.spec.ts"], { cwd: ROOT, env, stdio: ["ignore", 2, "inherit"] })
    child.on("exit", (c) => resolve(c ?? 1))
    child.on("error", () => resolve(1))
  })

  const summaryFile = path.join(ROOT, "integration-tests", "install", "artifacts", "summary.json")
  const result = fs.existsSync(summaryFile) ? JSON.parse(fs.readFileSync(summaryFile, "utf8")).results.find((r) => r.medusaVersion === version) : null
  const passed = !!result && result.phases.length > 0 && result.phases.every((p) => p.ok) && !result.error
  if (result) {
    for (const p of result.phases) say(`  ${p.ok ? "passed" : "FAILED"}  ${p.name} (${(p.ms / 1000).toFixed(0)} s)${p.ok ? "" : `: ${String(p.error).split("\n")[0]}`}`)
  } else {
    say("  the install check wrote no result (see the output above)")
  }
  say(`Medusa ${version}: ${passed ? "every phase passed" : "not every phase passed"}${inRange ? "" : ` (outside the peer range ${range.text}: reported, not failed)`}`)
  if (!inRange) return 0
  return passed && code === 0 ? 0 : 1
}

main().then(
  (code) => process.exit(code),
  (e) => {
    say(e && e.stack ? e.stack : String(e))
    process.exit(1)
  }
)
