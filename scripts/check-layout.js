#!/usr/bin/env node
/**
 * `node scripts/check-layout.js`: every path that docs/developing.md's Layout section names exists
 * in the tree. A line of the section starts with a folder (or a file); the files and folders it
 * names after it are read relative to that folder (or to the repository's root when they start
 * with one of its top folders, or to the folder of a path named before them on the line or the lines it continues).
 * Exits 1 listing the paths the tree lacks. The unit specs run it (scripts/__tests__).
 */
"use strict"

const fs = require("fs")
const path = require("path")

const ROOT = path.resolve(__dirname, "..")
const TOP = /^(src|sandbox|scripts|integration-tests|bench|packages|docs)\//
// a file with an extension, or a folder path (a/b, a/): no URLs, no route parameters
const PATHLIKE = /^[\w.-]+(\/[\w.-]+)*\/?$/

function layoutBlock(markdown) {
  const section = markdown.split(/^## /m).find((s) => s.startsWith("Layout"))
  if (!section) throw new Error("docs/developing.md has no Layout section")
  const block = section.match(/```\n([\s\S]*?)```/)
  if (!block) throw new Error("docs/developing.md's Layout section has no code block")
  return block[1].split("\n").filter((l) => l.trim())
}

/** The paths the section names that `exists` says are missing (repository-relative). */
function missingPaths(markdown, exists = (p) => fs.existsSync(path.join(ROOT, p))) {
  const missing = []
  let base = null
  // the folders a name may be relative to: the line's, and those named before it (a line that
  // starts with spaces continues the one above)
  let bases = []
  for (const line of layoutBlock(markdown)) {
    const tokens = line.trim().split(/\s+/)
    if (!/^\s/.test(line)) {
      base = tokens.shift().replace(/\/$/, "")
      if (!exists(base)) missing.push(base)
      bases = [base]
    }
    for (let raw of tokens) {
      const t = raw.replace(/^[(<"'`]+/, "").replace(/[),;:.'"`>]+$/, "")
      if (!PATHLIKE.test(t) || !(t.includes("/") || /\.(ts|tsx|js|cjs|mjs|json|md)$/.test(t))) continue
      if (TOP.test(t)) {
        if (exists(t)) bases.push(path.posix.dirname(t.replace(/\/$/, "")), t.replace(/\/$/, ""))
        else missing.push(t)
        continue
      }
      const found = bases.map((b) => path.posix.join(b, t)).find(exists)
      if (found) bases.push(path.posix.dirname(found.replace(/\/$/, "")))
      else missing.push(path.posix.join(base ?? "", t))
    }
  }
  return missing
}

module.exports = { missingPaths }

if (require.main === module) {
  const missing = missingPaths(fs.readFileSync(path.join(ROOT, "docs", "developing.md"), "utf8"))
  if (missing.length) {
    console.error(`docs/developing.md's Layout names paths the tree lacks:\n${missing.map((m) => `  ${m}`).join("\n")}`)
    process.exit(1)
  }
  console.log("docs/developing.md's Layout: every path it names exists")
}
