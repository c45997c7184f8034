/**
 * Which Medusa versions the install check runs on, and what each one's store looks like, from
 * npm's registry (`npm view`, answered from npm's cache when it can) and the plugin's peer range.
 *
 * The matrix: every minor the peer range admits, at its latest published patch, and the newest
 * minor's first patch too (x.y.0: a store that upgraded on release day). `PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS`
 * (comma-separated: "2.18.0", "2.20.x", "latest") runs others instead.
 */
import { execFileSync } from "child_process"
import { readRepoPackage } from "./store-app"

type Semver = [number, number, number]
const parse = (v: string): Semver | null => {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(v.trim())
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null
}
const cmp = (a: Semver, b: Semver) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]

/** The peer range's bounds (">=2.18.0 <2.22.0"); both @medusajs/framework and @medusajs/medusa must say the same. */
export function peerRange(pkg = readRepoPackage()): { low: string; below: string; text: string } {
  const ranges = ["@medusajs/framework", "@medusajs/medusa"].map((n) => String(pkg.peerDependencies?.[n] ?? ""))
  const m = /^>=\s*(\d+\.\d+\.\d+)\s+<\s*(\d+\.\d+\.\d+)$/.exec(ranges[0])
  if (!m || ranges[0] !== ranges[1]) {
    throw new Error(`peerDependencies of @medusajs/framework and @medusajs/medusa must both be ">=a.b.c <x.y.z", got ${JSON.stringify(ranges)}`)
  }
  return { low: m[1], below: m[2], text: ranges[0] }
}

export function inPeerRange(version: string, range = peerRange()): boolean {
  const v = parse(version)
  return !!v && cmp(v, parse(range.low)!) >= 0 && cmp(v, parse(range.below)!) < 0
}

/** `npm view <what> --json`, from the cache when it can. */
function npmView(args: string[], env: NodeJS.ProcessEnv): unknown {
  const out = execFileSync("npm", ["view", ...args, "--json", "--prefer-offline"], { encoding: "utf8", env }).trim()
  return out ? JSON.parse(out) : null
}

/** Every published stable @medusajs/medusa version, oldest first, and the `latest` tag. */
export function publishedMedusa(env: NodeJS.ProcessEnv = process.env): { versions: string[]; latest: string } {
  const versions = (npmView(["@medusajs/medusa", "versions"], env) as string[]).filter((v) => parse(v))
  const latest = (npmView(["@medusajs/medusa", "dist-tags.latest"], env) as string) ?? versions[versions.length - 1]
  return { versions: versions.sort((a, b) => cmp(parse(a)!, parse(b)!)), latest }
}

/** "2.20.x" → its latest patch, "latest" → the tag, "2.21.0" → itself (if published). */
export function resolveVersion(spec: string, published: { versions: string[]; latest: string }): string {
  const s = spec.trim()
  if (s === "latest") return published.latest
  const minor = /^(\d+)\.(\d+)\.x$/.exec(s)
  if (minor) {
    const patches = published.versions.filter((v) => v.startsWith(`${minor[1]}.${minor[2]}.`))
    if (!patches.length) throw new Error(`no published @medusajs/medusa ${s}`)
    return patches[patches.length - 1]
  }
  if (!published.versions.includes(s)) throw new Error(`@medusajs/medusa ${s} is not published (latest: ${published.latest})`)
  return s
}

/** The default matrix: each minor of the peer range at its latest patch, and the newest minor's x.y.0. */
export function supportedMatrix(published: { versions: string[] }, range = peerRange()): string[] {
  const inRange = published.versions.filter((v) => inPeerRange(v, range))
  const byMinor = new Map<string, string[]>()
  for (const v of inRange) {
    const key = v.split(".").slice(0, 2).join(".")
    byMinor.set(key, [...(byMinor.get(key) ?? []), v])
  }
  const out: string[] = []
  const minors = [...byMinor.keys()]
  minors.forEach((minor, i) => {
    const patches = byMinor.get(minor)!
    if (i === minors.length - 1 && patches[0] !== patches[patches.length - 1]) out.push(patches[0])
    out.push(patches[patches.length - 1])
  })
  return out
}

/** The versions this run checks: PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS, else the supported matrix. */
export function versionsToCheck(env: NodeJS.ProcessEnv = process.env, npmEnv: NodeJS.ProcessEnv = env): string[] {
  const published = publishedMedusa(npmEnv)
  const asked = (env.PAGOEFECTIVO_INSTALL_MEDUSA_VERSIONS || env.PAGOEFECTIVO_INSTALL_MEDUSA_VERSION || "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
  const versions = asked.length ? asked.map((s) => resolveVersion(s, published)) : supportedMatrix(published)
  return [...new Set(versions)]
}

/**
 * What that minor's starter puts beside Medusa (medusajs/dtc-starter's apps/backend): the admin's
 * libraries at the versions that Medusa's dashboard depends on: its react-router-dom (6.30.4 on
 * 2.18, 7.18.2 from 2.19 on), @medusajs/ui, @tanstack/react-query and react-i18next.
 */
export type StarterPins = { "react-router-dom": string; "@medusajs/ui": string; "@tanstack/react-query": string; "react-i18next": string }

export function starterPins(medusaVersion: string, env: NodeJS.ProcessEnv = process.env): StarterPins {
  const deps = npmView([`@medusajs/dashboard@${medusaVersion}`, "dependencies"], env) as Record<string, string>
  const pins = {} as StarterPins
  for (const name of ["react-router-dom", "@medusajs/ui", "@tanstack/react-query", "react-i18next"] as const) {
    if (!deps?.[name]) throw new Error(`@medusajs/dashboard@${medusaVersion} does not depend on ${name}: the install check's store needs its version`)
    pins[name] = deps[name].replace(/^[\^~]/, "")
  }
  return pins
}

/**
 * Medusa's own webhook route for the plugin's provider on this version: until 2.21.1 Medusa adds
 * `pp_` to the route's provider itself (`/hooks/payment/pagoefectivo_pagoefectivo`); from 2.21.2
 * on it takes the provider id as it is (`pp_pagoefectivo_pagoefectivo`, the unprefixed one still
 * works there).
 */
export function hookPathFor(medusaVersion: string): string {
  const v = parse(medusaVersion)
  const prefixesItself = !v || cmp(v, [2, 21, 2]) < 0
  return prefixesItself ? "/hooks/payment/pagoefectivo_pagoefectivo" : "/hooks/payment/pp_pagoefectivo_pagoefectivo"
}
