/**
 * A pnpm workspace shaped like Medusa's official starter (medusajs/dtc-starter: `apps/backend`, a
 * Medusa app, and `apps/storefront`, a Next.js app on React 19), written from scratch: the
 * starter's dependency pins, no file of the starter. The plugin goes into apps/backend and the
 * storefront kit alone into apps/storefront, each as README says (`pnpm add ./<tarball>.tgz`,
 * which writes `file:` dependencies), so the layout that hid a second react-query from this
 * repository's own store is the one checked.
 */
import fs from "fs"
import path from "path"
import { documentedMedusaConfig } from "./store-app"
import type { Packed } from "./pack"

/**
 * The starter's pins (commit 9233262): @medusajs/* of apps/backend at 2.18.0, react-router-dom
 * 6.30.4, the dashboard's react-query and react-i18next; a storefront on React 19.0.5.
 * `dashboardDeps` are the dashboard's own pins at `medusa` (README: keep @medusajs/ui and
 * react-router-dom at them when upgrading), read from the registry by the spec.
 */
export type StarterOptions = {
  dir: string
  medusa: string
  dashboardDeps: Record<string, string>
  packed: Packed
}

/** The storefront's own react-query: any version other than the dashboards' (5.64.2 on 2.18). */
export const STOREFRONT_REACT_QUERY = "5.108.4"

const write = (file: string, content: string) => {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, content)
}
const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n"

export function writeStarterWorkspace(o: StarterOptions): { configFrom: string } {
  const v = o.medusa
  const d = o.dashboardDeps
  write(path.join(o.dir, "package.json"), json({ name: "starter-shaped-monorepo", private: true, packageManager: "pnpm@10.11.1", engines: { node: ">=20" } }))
  write(path.join(o.dir, "pnpm-workspace.yaml"), 'packages:\n  - "apps/**"\n  - "!apps/backend/.medusa/**"\n')
  write(path.join(o.dir, ".npmrc"), "auto-install-peers=true\n")

  const backend = path.join(o.dir, "apps", "backend")
  const storefront = path.join(o.dir, "apps", "storefront")
  const tgz = path.basename(o.packed.tarball)
  const kitTgz = path.basename(o.packed.storefront.tarball)
  fs.mkdirSync(backend, { recursive: true })
  fs.mkdirSync(storefront, { recursive: true })
  fs.copyFileSync(o.packed.tarball, path.join(backend, tgz))
  fs.copyFileSync(o.packed.storefront.tarball, path.join(storefront, kitTgz))

  write(
    path.join(backend, "package.json"),
    json({
      name: "@dtc/backend",
      version: "0.0.1",
      private: true,
      scripts: { build: "medusa build", start: "medusa start", dev: "medusa develop" },
      dependencies: {
        "@medusajs/admin-sdk": v,
        "@medusajs/admin-shared": v,
        "@medusajs/caching": v,
        "@medusajs/cli": v,
        "@medusajs/dashboard": v,
        "@medusajs/draft-order": v,
        "@medusajs/framework": v,
        "@medusajs/medusa": v,
        "@medusajs/ui": d["@medusajs/ui"],
        "@tanstack/react-query": d["@tanstack/react-query"],
        "react-i18next": d["react-i18next"],
        "react-router-dom": d["react-router-dom"],
        zod: "4.2.0",
        // what `pnpm add ./medusa-payment-pagoefectivo-<v>.tgz` writes
        [o.packed.name]: `file:${tgz}`,
      },
      devDependencies: {
        "@swc/core": "^1.7.28",
        "@types/node": "^20.12.11",
        "@types/react": "^18.3.2",
        "@types/react-dom": "^18.2.25",
        react: "^18.3.1",
        "react-dom": "^18.3.1",
        "ts-node": "^10.9.2",
        typescript: "^5.6.2",
        vite: "^5.4.14",
      },
      engines: { node: ">=20" },
    })
  )
  const { file, code } = documentedMedusaConfig()
  write(path.join(backend, "medusa-config.ts"), code)
  write(
    path.join(backend, "tsconfig.json"),
    json({
      compilerOptions: {
        target: "ES2021",
        esModuleInterop: true,
        module: "Node16",
        moduleResolution: "Node16",
        emitDecoratorMetadata: true,
        experimentalDecorators: true,
        skipLibCheck: true,
        skipDefaultLibCheck: true,
        declaration: false,
        sourceMap: false,
        inlineSourceMap: true,
        outDir: "./.medusa/server",
        rootDir: "./",
        jsx: "react-jsx",
        forceConsistentCasingInFileNames: true,
        resolveJsonModule: true,
        checkJs: false,
        strictNullChecks: true,
      },
      "ts-node": { swc: true },
      include: ["**/*", ".medusa/types/*"],
      exclude: ["node_modules", ".medusa/server", ".medusa/admin", ".cache"],
    })
  )

  // The storefront's own pins that shape the workspace (React 19, the SDK and icons at the
  // backend's version), and the kit alone, as README says. It also has a react-query of its own,
  // newer than the dashboard's, as a storefront that fetches with it would: the workspace then
  // holds two, and pnpm's hoisted folder may hand an undeclared import either of them.
  write(
    path.join(storefront, "package.json"),
    json({
      name: "@dtc/storefront",
      version: "1.0.3",
      private: true,
      dependencies: {
        "@medusajs/icons": v,
        "@medusajs/js-sdk": v,
        "@medusajs/ui-preset": v,
        "@tanstack/react-query": STOREFRONT_REACT_QUERY,
        next: "15.5.21",
        react: "19.0.5",
        "react-dom": "19.0.5",
        [o.packed.storefront.name]: `file:${kitTgz}`,
      },
    })
  )
  return { configFrom: file }
}

/** Every installed copy of `name` in the workspace's pnpm store (node_modules/.pnpm/<name>@<v>…). */
export function pnpmCopies(dir: string, name: string): string[] {
  const store = path.join(dir, "node_modules", ".pnpm")
  const prefix = name.replace("/", "+") + "@"
  return fs.existsSync(store) ? fs.readdirSync(store).filter((e) => e.startsWith(prefix)).sort() : []
}
