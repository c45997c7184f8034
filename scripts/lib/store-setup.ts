/**
 * A store of this repository on a database of its own, ready to start: the database created
 * afresh, Medusa's migrations, the Peru store seed and an admin user, and the admin's login.
 * prepareStore does it all at once (the soak, the benchmarks); `npm run demo` (scripts/demo.ts)
 * runs the same steps one by one, printing and timing each.
 */
import fs from "node:fs"
import path from "node:path"
import { recreateDatabase } from "./demo-db"
import { REPO_ROOT, runMedusa } from "./medusa-process"
import { type PostgresConnection, ensurePostgres } from "./postgres"

/** What the seed (src/scripts/seed-peru-store.ts) prints on its `pagoefectivo seed: {…}` line. */
export type Seeded = { regionId: string; variantId: string; publishableKey: string; [k: string]: string }

export type AdminUser = { email: string; password: string }

export type PreparedStore = {
  pg: PostgresConnection
  databaseUrl: string
  seeded: Seeded
  admin: AdminUser
}

/**
 * Runs one Medusa CLI command of the setup from the repository's root and answers its output;
 * it throws when the command failed, unless `accept` takes its output.
 */
export type SetupCommand = (name: "migrate" | "seed" | "user", args: string[], accept?: (output: string) => boolean) => Promise<string>

/** The database `dbName` on `pg`, dropped first when it existed. */
export async function freshDatabase(pg: PostgresConnection, dbName: string): Promise<{ databaseUrl: string; existed: boolean }> {
  const { existed } = await recreateDatabase(pg, dbName)
  return { databaseUrl: `${pg.url}/${dbName}`, existed }
}

export async function migrateStore(run: SetupCommand): Promise<void> {
  await run("migrate", ["db:migrate"])
}

/** Seeds the Peru store; answers the ids the seed printed. */
export async function seedStore(run: SetupCommand): Promise<Seeded> {
  const output = await run("seed", ["exec", "./src/scripts/seed-peru-store.ts"])
  const m = output.match(/pagoefectivo seed: (\{.*\})/)
  if (!m) throw new Error("the seed ran but printed no `pagoefectivo seed: {…}` line")
  return JSON.parse(m[1]) as Seeded
}

/** Creates the admin user; one that exists already is kept as it is (`existed`). */
export async function createAdminUser(run: SetupCommand, admin: AdminUser): Promise<{ existed: boolean }> {
  let existed = false
  await run("user", ["user", "-e", admin.email, "-p", admin.password], (output) => (existed = /already exists/i.test(output)))
  return { existed }
}

export async function prepareStore(opts: { dbName: string; logDir: string; env: NodeJS.ProcessEnv; log?: (s: string) => void }): Promise<PreparedStore> {
  fs.mkdirSync(opts.logDir, { recursive: true })
  const pg = await ensurePostgres({ log: (s) => opts.log?.(`  ${s}`) })
  const { databaseUrl } = await freshDatabase(pg, opts.dbName)
  const env = { ...opts.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "info", MEDUSA_ADMIN_DISABLED: "true" }
  const run: SetupCommand = async (name, args, accept) => {
    const r = await runMedusa({ args, cwd: REPO_ROOT, env, logFile: path.join(opts.logDir, `${name}.log`) })
    if (r.code !== 0 && !accept?.(r.output)) throw new Error(`medusa ${args.join(" ")} failed:\n${r.output.slice(-2000)}`)
    return r.output
  }
  opts.log?.("setting up: migrations, seed, admin user")
  await migrateStore(run)
  const seeded = await seedStore(run)
  const admin = { email: "ops@tienda.pe", password: "ops-password" }
  await createAdminUser(run, admin)
  return { pg, databaseUrl, seeded, admin }
}

/** A refused admin login: the status and the answer's body. */
export class AdminLoginError extends Error {
  constructor(
    readonly status: number,
    message: string
  ) {
    super(message)
  }
}

/** The admin user's bearer token (POST /auth/user/emailpass); a refusal is an AdminLoginError. */
export async function adminToken(base: string, admin: AdminUser): Promise<string> {
  const res = await fetch(`${base}/auth/user/emailpass`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(admin),
  })
  const body: any = await res.json().catch(() => ({}))
  if (!res.ok || !body.token) {
    throw new AdminLoginError(res.status, `admin login as ${admin.email} on ${base} answered ${res.status} ${JSON.stringify(body)}`)
  }
  return body.token as string
}

/** An admin bearer header for the store's admin user. */
export async function adminLogin(base: string, admin: AdminUser): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await adminToken(base, admin)}`, "content-type": "application/json" }
}
