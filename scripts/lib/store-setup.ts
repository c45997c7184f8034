/**
 * A store of this repository on a database of its own, ready to start: the database created
 * afresh, Medusa's migrations, the Peru store seed and an admin user. For the scripts that run
 * real Medusa processes against the sandbox (the soak, the benchmarks).
 */
import fs from "node:fs"
import path from "node:path"
import { recreateDatabase } from "./demo-db"
import { REPO_ROOT, runMedusa } from "./medusa-process"
import { type PostgresConnection, ensurePostgres } from "./postgres"

export type Seeded = { regionId: string; variantId: string; publishableKey: string; [k: string]: string }

export type PreparedStore = {
  pg: PostgresConnection
  databaseUrl: string
  seeded: Seeded
  admin: { email: string; password: string }
}

export async function prepareStore(opts: { dbName: string; logDir: string; env: NodeJS.ProcessEnv; log?: (s: string) => void }): Promise<PreparedStore> {
  fs.mkdirSync(opts.logDir, { recursive: true })
  const pg = await ensurePostgres({ log: (s) => opts.log?.(`  ${s}`) })
  await recreateDatabase(pg, opts.dbName)
  const databaseUrl = `${pg.url}/${opts.dbName}`
  const env = { ...opts.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "info", MEDUSA_ADMIN_DISABLED: "true" }
  const medusa = async (args: string[], name: string) => {
    const r = await runMedusa({ args, cwd: REPO_ROOT, env, logFile: path.join(opts.logDir, `${name}.log`) })
    if (r.code !== 0) throw new Error(`medusa ${args.join(" ")} failed:\n${r.output.slice(-2000)}`)
    return r.output
  }
  opts.log?.("setting up: migrations, seed, admin user")
  await medusa(["db:migrate"], "migrate")
  const seeded = JSON.parse((await medusa(["exec", "./src/scripts/seed-peru-store.ts"], "seed")).match(/pagoefectivo seed: (\{.*\})/)![1])
  const admin = { email: "ops@tienda.pe", password: "ops-password" }
  await medusa(["user", "-e", admin.email, "-p", admin.password], "user")
  return { pg, databaseUrl, seeded, admin }
}

/** An admin bearer header for the store's admin user. */
export async function adminLogin(base: string, admin: { email: string; password: string }): Promise<Record<string, string>> {
  const res = await fetch(`${base}/auth/user/emailpass`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(admin) })
  const { token } = (await res.json()) as { token?: string }
  if (!token) throw new Error(`admin login on ${base} answered ${res.status}`)
  return { authorization: `Bearer ${token}`, "content-type": "application/json" }
}
