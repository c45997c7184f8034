#!/usr/bin/env node
/**
 * The storefront kit's build, the second half of `npm run build` (after `medusa plugin:build`,
 * which compiles src/ to CommonJS for the server and empties .medusa/server first):
 *
 *   src/storefront/*.ts(x) → .medusa/server/storefront/*.js (ESM) + *.d.ts
 *
 * exported as `medusa-payment-pagoefectivo/storefront`. Relative imports get their `.js` (Node's
 * ESM resolution needs it), the folder is marked `"type": "module"`, and the build fails if the
 * output imports anything but itself, React and qrcode.react: the kit must hold no server code.
 */
"use strict"

const { execFileSync } = require("child_process")
const fs = require("fs")
const path = require("path")

const ROOT = path.resolve(__dirname, "..")
const OUT = path.join(ROOT, ".medusa", "server", "storefront")
const ALLOWED = new Set(["react", "react/jsx-runtime", "qrcode.react"])

fs.rmSync(OUT, { recursive: true, force: true })
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "src", "storefront", "tsconfig.build.json")], {
  cwd: ROOT,
  stdio: "inherit",
})

const SPECIFIER = /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"']+)\2/g
const bad = []
for (const name of fs.readdirSync(OUT)) {
  if (!/\.(js|d\.ts)$/.test(name)) continue
  const file = path.join(OUT, name)
  const source = fs.readFileSync(file, "utf8")
  const rewritten = source.replace(SPECIFIER, (all, lead, quote, spec) => {
    if (spec.startsWith(".")) return /\.js$/.test(spec) ? all : `${lead}${quote}${spec}.js${quote}`
    if (!ALLOWED.has(spec)) bad.push(`${name} imports "${spec}"`)
    return all
  })
  fs.writeFileSync(file, rewritten)
}
if (bad.length) {
  process.stderr.write(`storefront kit: only React and qrcode.react may be imported (no server code):\n  ${bad.join("\n  ")}\n`)
  process.exit(1)
}
fs.writeFileSync(path.join(OUT, "package.json"), JSON.stringify({ type: "module", sideEffects: false }, null, 2) + "\n")
process.stdout.write(`storefront kit: ${path.relative(ROOT, OUT)} (ESM + .d.ts)\n`)
