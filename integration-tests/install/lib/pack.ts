/**
 * The plugin as a merchant gets it: `medusa plugin:build`, then `npm pack`, made once per state of
 * the package's inputs and kept in .cache/pack/<hash>/ (git-ignored), so that the export check in
 * the unit run and the install checks share one tarball and a second run costs nothing. The
 * storefront kit (packages/storefront, its own package) is built and packed beside it.
 *
 * `packageProblems` says what must not be in the tarball: anything outside the runtime (compiled
 * src/ and the sandbox) and its documentation, i.e. no spec, bench, demo or test helper, and not
 * the development store's medusa-config.
 */
import { spawn } from "child_process"
import { createHash } from "crypto"
import fs from "fs"
import path from "path"
import { REPO_ROOT, tail } from "../../../scripts/lib/medusa-process"

export const PACK_ROOT = path.join(REPO_ROOT, ".cache", "pack")

/** What goes into the build and the tarball (bench/, scripts/ and the specs do not). */
const INPUTS = [
  "package.json",
  "tsconfig.json",
  "README.md",
  "docs",
  "src",
  "sandbox",
  // the kit's sources, not its dist/
  "packages/storefront/package.json",
  "packages/storefront/build.cjs",
  "packages/storefront/tsconfig.json",
  "packages/storefront/README.md",
  "packages/storefront/src",
]

/** One packed package. */
export type Tarball = {
  /** Absolute path of the .tgz. */
  tarball: string
  name: string
  version: string
  /** Every path in the tarball, relative to its package/ folder, sorted. */
  files: string[]
}

export type Packed = Tarball & {
  /** The storefront kit, medusa-payment-pagoefectivo-storefront. */
  storefront: Tarball
  /** False when an earlier run's tarball of the same inputs was reused. */
  built: boolean
  ms: number
}

function walk(dir: string, out: string[]): void {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) walk(p, out)
    else if (entry.isFile()) out.push(p)
  }
}

/** A hash of every input file's path and bytes. */
export function inputsHash(root = REPO_ROOT): string {
  const files: string[] = []
  for (const input of INPUTS) {
    const p = path.join(root, input)
    if (!fs.existsSync(p)) continue
    if (fs.statSync(p).isDirectory()) walk(p, files)
    else files.push(p)
  }
  const h = createHash("sha256")
  for (const f of files.sort()) {
    h.update(path.relative(root, f)).update("\0").update(fs.readFileSync(f)).update("\0")
  }
  return h.digest("hex").slice(0, 16)
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: process.env, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => (stdout += d))
    child.stderr.on("data", (d) => (stderr += d))
    child.once("error", reject)
    child.once("exit", (code) => resolve({ code, stdout, stderr }))
  })
}

/**
 * The tarballs of the current sources: reused when .cache/pack/<hash> holds them, else built
 * (`medusa plugin:build`, which must succeed without type errors, and the kit's build) and packed.
 */
export async function packPlugin(log: (s: string) => void = () => undefined): Promise<Packed> {
  const t0 = Date.now()
  const hash = inputsHash()
  const dir = path.join(PACK_ROOT, hash)
  const manifest = path.join(dir, "pack.json")
  if (fs.existsSync(manifest)) {
    const m = JSON.parse(fs.readFileSync(manifest, "utf8")) as Omit<Packed, "built" | "ms">
    if (fs.existsSync(m.tarball) && m.storefront && fs.existsSync(m.storefront.tarball)) {
      log(`reusing ${path.relative(REPO_ROOT, m.tarball)} (inputs ${hash} unchanged)`)
      return { ...m, built: false, ms: Date.now() - t0 }
    }
  }

  // Older tarballs are of sources that no longer exist.
  fs.rmSync(PACK_ROOT, { recursive: true, force: true })
  fs.mkdirSync(dir, { recursive: true })
  const buildLog = path.join(dir, "plugin-build.log")
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  log(`npm run build && npm run build:storefront (log: ${path.relative(REPO_ROOT, buildLog)})`)
  const build = await run(npm, ["run", "build"], REPO_ROOT)
  const kitBuild = build.code === 0 ? await run(npm, ["run", "build:storefront"], REPO_ROOT) : build
  fs.writeFileSync(buildLog, build.stdout + build.stderr + (kitBuild === build ? "" : kitBuild.stdout + kitBuild.stderr))
  if (build.code !== 0 || kitBuild.code !== 0) throw new Error(`the build exited with code ${build.code || kitBuild.code}:\n${tail(buildLog, 40)}`)

  log("npm pack (the plugin, then the storefront kit)")
  const result = { ...(await npmPack([], dir)), storefront: await npmPack(["--workspace", "packages/storefront"], dir) }
  fs.writeFileSync(manifest, JSON.stringify(result, null, 2))
  return { ...result, built: true, ms: Date.now() - t0 }
}

/** `npm pack` without its scripts (prepack would build a second time), into `dir`. */
async function npmPack(args: string[], dir: string): Promise<Tarball> {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm"
  const packed = await run(npm, ["pack", ...args, "--ignore-scripts", "--json", "--pack-destination", dir], REPO_ROOT)
  if (packed.code !== 0) throw new Error(`npm pack ${args.join(" ")} exited with code ${packed.code}:\n${packed.stderr.slice(-3000)}`)
  const info = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")))[0] as { name: string; version: string; filename: string; files: { path: string }[] }
  return { tarball: path.join(dir, info.filename), name: info.name, version: info.version, files: info.files.map((f) => f.path).sort() }
}

/** What may be in the tarball: the compiled runtime, the sandbox (a bin) and documentation. */
const ALLOWED = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE(\.[a-z]+)?$/i,
  /^CHANGELOG\.md$/,
  /^sandbox\/README\.md$/,
  /^docs\/[^/]+\.(md|png)$/,
  /^\.medusa\/server\/src\/.+\.(js|mjs|cjs|json|css)$/,
  /^\.medusa\/server\/sandbox\/[^/]+\.js$/,
]

/** What may be in the storefront kit's tarball: its ESM bundle and type declarations. */
const KIT_ALLOWED = [/^package\.json$/, /^README\.md$/, /^dist\/index\.mjs$/, /^dist\/types\/.+\.d\.ts$/]

/** What must never be, wherever it sits: specs and test helpers, bench, demo, development config. */
const FORBIDDEN: [RegExp, string][] = [
  [/(^|\/)__tests__\//, "a test folder"],
  [/\.(spec|test)\.[cm]?[jt]sx?$/, "a spec"],
  [/(^|\/)(bench|integration-tests|test-utils|fixtures)\//, "bench or test code"],
  [/(^|\/)(demo|seed-peru-store)[.-]/, "a demo script"],
  [/(^|\/)medusa-config\.[cm]?[jt]s$/, "the development store's medusa-config"],
  [/(^|\/)(jest\.config|tsconfig)[^/]*$/, "development configuration"],
  [/(?<!\.d)\.ts$/, "TypeScript source (the package ships compiled JavaScript)"],
  [/(^|\/)medusa-plugin-options\.json$/, "`medusa plugin:develop`'s local source path"],
]

/** Each file that should not be in the tarball, with why; empty when the tarball is clean. */
export function packageProblems(files: string[], allowed = ALLOWED): string[] {
  const problems: string[] = []
  for (const f of files) {
    const forbidden = FORBIDDEN.find(([re]) => re.test(f))
    if (forbidden) problems.push(`${f}: ${forbidden[1]}`)
    else if (!allowed.some((re) => re.test(f))) problems.push(`${f}: not part of the runtime or its documentation`)
  }
  return problems
}

/** The same for the storefront kit, which must hold nothing of the server. */
export function kitPackageProblems(files: string[]): string[] {
  return packageProblems(files, KIT_ALLOWED)
}

/** The file list as printed into the test log. */
export function fileListing(p: Tarball): string {
  const size = fs.statSync(p.tarball).size
  return [`${path.basename(p.tarball)}: ${p.files.length} files, ${(size / 1024).toFixed(1)} kB`, ...p.files.map((f) => `  ${f}`)].join("\n")
}
