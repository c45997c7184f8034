#!/usr/bin/env node
/**
 * The storefront kit's build (`npm run build` in this folder, or `npm run build:storefront` at the
 * repository's root):
 *
 *   src/index.ts (+ the server's src/lib/cip, the one copy of the CIP reader and formatting)
 *     → dist/index.mjs, one ESM file (esbuild), and dist/types/**.d.ts (tsc)
 *
 * The build fails if the bundle imports anything but React and qrcode.react: the kit must hold no
 * server code (a stray import of @medusajs/* or of the server's modules would be caught here).
 */
"use strict"

const { execFileSync } = require("child_process")
const fs = require("fs")
const path = require("path")

const KIT = __dirname
const ROOT = path.resolve(KIT, "..", "..")
const DIST = path.join(KIT, "dist")
const ALLOWED = new Set(["react", "react/jsx-runtime", "qrcode.react"])

async function main() {
  fs.rmSync(DIST, { recursive: true, force: true })
  const esbuild = require("esbuild")
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: [path.join(KIT, "src", "index.ts")],
    outfile: path.join(DIST, "index.mjs"),
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2020",
    jsx: "automatic",
    external: [...ALLOWED],
    metafile: true,
    legalComments: "none",
    logLevel: "warning",
  })
  const bad = []
  for (const [file, out] of Object.entries(result.metafile.outputs)) {
    for (const imp of out.imports) if (!ALLOWED.has(imp.path)) bad.push(`${file} imports "${imp.path}"`)
  }
  const inputs = Object.keys(result.metafile.inputs).filter((f) => !f.startsWith("packages/storefront/src/") && !f.startsWith("src/lib/cip/"))
  for (const f of inputs) bad.push(`the bundle holds ${f} (only the kit's src/ and the server's src/lib/cip belong in it)`)
  if (bad.length) {
    process.stderr.write(`storefront kit: only React and qrcode.react may be imported (no server code):\n  ${bad.join("\n  ")}\n`)
    process.exit(1)
  }
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(KIT, "tsconfig.json")], { cwd: KIT, stdio: "inherit" })
  process.stdout.write(`storefront kit: ${path.relative(process.cwd(), DIST) || "dist"} (ESM + .d.ts)\n`)
}

main().catch((e) => {
  process.stderr.write(`${e.stack ?? e}\n`)
  process.exit(1)
})
