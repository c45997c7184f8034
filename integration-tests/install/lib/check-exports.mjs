// Run by exports.unit.spec.ts with plain Node, from a project whose node_modules holds the packed
// plugin: resolves every path of the package's `exports` the way a store's code does (require and
// import conditions), loads the ones that are server code, and checks the `bin`. Prints one JSON
// object: { checked: [...], failures: [...] }.
//
// argv[2]: the package name (the plugin, or its storefront kit). Wildcard exports ("./modules/*", "./*") are checked for every file
// they map to in the installed package.
import fs from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { execFileSync } from "node:child_process"

const name = process.argv[2]
const require = createRequire(path.join(process.cwd(), "index.js"))
const pkgDir = path.dirname(require.resolve(`${name}/package.json`))
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"))

const checked = []
const failures = []
const fail = (spec, what, err) => failures.push(`${spec} (${what}): ${err?.code ? `${err.code} ` : ""}${String(err?.message ?? err).split("\n")[0]}`)

/** The concrete subpaths a wildcard export stands for, from the files the package holds. */
function expand(key, target) {
  const t = typeof target === "string" ? target : target.require ?? target.default
  if (!key.includes("*")) return [key]
  const [before, after] = t.split("*")
  const base = path.join(pkgDir, before)
  if (!fs.existsSync(base)) return []
  const out = []
  const visit = (dir, rel) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) visit(path.join(dir, e.name), r)
      else if (`/${r}`.endsWith(after) || r.endsWith(after)) out.push(r.slice(0, r.length - after.length))
    }
  }
  visit(base, "")
  // A subpath belongs to the export Node picks for it (an exact key, else the pattern with the
  // longest prefix): "./*" does not stand for "./modules/x/y", which "./modules/*" takes.
  return out.filter((m) => m).map((m) => key.replace("*", m)).filter((sub) => exportFor(sub) === key)
}

function exportFor(sub) {
  const keys = Object.keys(pkg.exports)
  if (keys.includes(sub)) return sub
  const matching = keys.filter((k) => k.includes("*") && sub.startsWith(k.split("*")[0]) && sub.endsWith(k.split("*")[1]))
  return matching.sort((a, b) => b.split("*")[0].length - a.split("*")[0].length)[0]
}

/** Exports whose modules run on the server: loaded, not only resolved. */
const LOAD = {
  "./workflows": ["processPagoEfectivoNotificationWorkflow", "applyRefundResultWorkflow", "completeRefundsWorkflow", "reconcilePagoEfectivo", "refundReturn", "runRefundBatch"],
  "./providers/pagoefectivo": ["default"],
  "./modules/pagoefectivo": ["default", "PAGOEFECTIVO_MODULE"],
  // the storefront kit (medusa-payment-pagoefectivo-storefront): ESM only
  ".": ["isPagoEfectivo", "readPagoEfectivoCip", "fetchPagoEfectivoCip", "PagoEfectivoVoucher", "formatCipAmount", "VOUCHER_LABELS"],
}

for (const [key, target] of Object.entries(pkg.exports ?? {})) {
  for (const sub of expand(key, target)) {
    const spec = sub === "." ? name : `${name}/${sub.slice(2)}`
    checked.push(spec)
    let resolved
    try {
      resolved = require.resolve(spec)
      if (!fs.existsSync(resolved)) throw new Error(`resolves to ${resolved}, which is missing`)
    } catch (e) {
      fail(spec, "require.resolve", e)
      continue
    }
    if (typeof target === "object" && target.import) {
      try {
        const url = import.meta.resolve(spec)
        if (!fs.existsSync(new URL(url))) throw new Error(`import resolves to ${url}, which is missing`)
      } catch (e) {
        fail(spec, "import.meta.resolve", e)
      }
    }
    if (LOAD[sub]) {
      try {
        const esmOnly = resolved.endsWith(".mjs")
        const mod = esmOnly ? await import(spec) : require(spec)
        const missing = LOAD[sub].filter((n) => mod[n] === undefined)
        if (missing.length) throw new Error(`loads, but exports no ${missing.join(", ")}`)
        const esm = await import(spec)
        if (esm.default === undefined && !LOAD[sub].some((n) => n in esm)) throw new Error("import() gives none of its exports")
      } catch (e) {
        fail(spec, "load", e)
      }
    }
  }
}

for (const [bin, rel] of Object.entries(typeof pkg.bin === "string" ? { [pkg.name]: pkg.bin } : pkg.bin ?? {})) {
  const file = path.join(pkgDir, rel)
  checked.push(`bin ${bin}`)
  try {
    const src = fs.readFileSync(file, "utf8")
    if (!src.startsWith("#!/usr/bin/env node")) throw new Error(`${rel} has no "#!/usr/bin/env node" line`)
    const out = execFileSync(process.execPath, [file, "--help"], { encoding: "utf8", timeout: 20_000 })
    if (!out.includes(bin)) throw new Error(`--help printed no usage: ${out.slice(0, 200)}`)
  } catch (e) {
    fail(`bin ${bin}`, rel, e)
  }
}

process.stdout.write(JSON.stringify({ checked, failures }) + "\n")
