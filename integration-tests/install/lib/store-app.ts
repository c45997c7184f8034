/**
 * A Medusa store, written from scratch into a temporary folder the way that minor's starter
 * (medusajs/dtc-starter's apps/backend) writes its package.json, and README tells a merchant to
 * add the plugin: Medusa's packages at one version, the admin's libraries at that dashboard's
 * versions (lib/medusa-versions.ts: starterPins), the plugin's tarball, a Medusa app's tsconfig,
 * and README's own medusa-config.ts snippet, taken verbatim from the documentation (so a snippet
 * that stops working fails the install check). No file of any starter.
 */
import fs from "fs"
import path from "path"
import { REPO_ROOT } from "../../../scripts/lib/medusa-process"
import type { StarterPins } from "./medusa-versions"

export function readRepoPackage(): Record<string, any> {
  return JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"))
}

/**
 * The ```ts block of the documentation that starts with `// medusa-config.ts` (README.md, or a
 * page under docs/ once README is split), with `import` lines a merchant's file would have.
 */
export function documentedMedusaConfig(): { file: string; code: string } {
  const docs = [path.join(REPO_ROOT, "README.md")]
  const docsDir = path.join(REPO_ROOT, "docs")
  if (fs.existsSync(docsDir)) {
    const walk = (d: string) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name)
        if (e.isDirectory()) walk(p)
        else if (e.name.endsWith(".md")) docs.push(p)
      }
    }
    walk(docsDir)
  }
  for (const file of docs) {
    const md = fs.readFileSync(file, "utf8")
    for (const m of md.matchAll(/```ts\n(\/\/ medusa-config\.ts\n[\s\S]*?)```/g)) {
      const code = m[1]
      if (!code.includes("defineConfig(")) continue
      return { file: path.relative(REPO_ROOT, file), code }
    }
  }
  throw new Error("no ```ts block starting with `// medusa-config.ts` in README.md or docs/: the install check builds its store from it")
}

export type StoreAppOptions = {
  dir: string
  medusaVersion: string
  /** The admin's libraries at the dashboard's versions (README: react-router-dom must be the dashboard's). */
  pins: StarterPins
  /** Absolute path of the plugin's .tgz; copied into the store. */
  tarball: string
  packageName: string
}

/** Writes the store; answers where its medusa-config came from. */
export function writeStoreApp(o: StoreAppOptions): { configFrom: string } {
  fs.mkdirSync(o.dir, { recursive: true })
  const tgz = path.basename(o.tarball)
  fs.copyFileSync(o.tarball, path.join(o.dir, tgz))
  const v = o.medusaVersion
  const pkg = {
    name: "pagoefectivo-install-check-store",
    version: "0.0.0",
    private: true,
    scripts: { build: "medusa build", start: "medusa start" },
    dependencies: {
      "@medusajs/admin-sdk": v,
      "@medusajs/cli": v,
      "@medusajs/dashboard": v,
      "@medusajs/framework": v,
      "@medusajs/medusa": v,
      ...o.pins,
      [o.packageName]: `file:./${tgz}`,
    },
    devDependencies: {
      "@swc/core": "^1.7.28",
      "@types/node": "^20.12.11",
      "@types/react": "^18.3.2",
      react: "^18.3.1",
      "react-dom": "^18.3.1",
      "ts-node": "^10.9.2",
      typescript: "^5.6.2",
    },
    engines: { node: ">=20" },
    // npm 11 runs no dependency install script unless approved: the same choices as this
    // repository's (Medusa needs none of them).
    allowScripts: { "@swc/core": true, esbuild: true, "@medusajs/telemetry": false, protobufjs: false, "msgpackr-extract": false },
  }
  fs.writeFileSync(path.join(o.dir, "package.json"), JSON.stringify(pkg, null, 2) + "\n")
  // A Medusa app's tsconfig; this repository's is one (the development store).
  fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(o.dir, "tsconfig.json"))
  const { file, code } = documentedMedusaConfig()
  fs.writeFileSync(path.join(o.dir, "medusa-config.ts"), code)
  return { configFrom: file }
}
