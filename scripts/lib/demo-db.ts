/**
 * The demo's own database: dropped and created again at every `npm run demo`.
 *
 * Why: the PagoEfectivo sandbox keeps its CIPs in memory and numbers them from 2523136 at every
 * start, while the plugin (rightly, PagoEfectivo never reuses a CIP number) stores each
 * notification once under `cip.paid:<cip>`. A store kept from an earlier run already holds
 * CIP 2523136, so the new run's payment would be taken as a repeat and the order would never be
 * paid. Store and sandbox therefore live exactly as long as each other.
 *
 * Creating goes through ensureDatabase (scripts/lib/postgres.ts); only the drop is here.
 */
import { Client } from "pg"
import { ensureDatabase, type PostgresConnection } from "./postgres"

type Conn = Pick<PostgresConnection, "host" | "port" | "user" | "password">

export async function recreateDatabase(conn: Conn, dbName: string): Promise<{ existed: boolean }> {
  const existed = await dropDatabase(conn, dbName)
  await ensureDatabase(conn, dbName)
  return { existed }
}

/** Drops `dbName` if it exists, ending its sessions; answers whether it existed. */
export async function dropDatabase(conn: Conn, dbName: string): Promise<boolean> {
  const client = new Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password || undefined,
    database: "postgres",
    connectionTimeoutMillis: 5000,
  })
  client.on("error", () => undefined)
  let existed = false
  try {
    await client.connect()
    const r = await client.query("select 1 from pg_database where datname = $1", [dbName])
    existed = !!r.rowCount
    if (existed) {
      // WITH (FORCE) (PostgreSQL 13+) ends sessions still connected, e.g. a Medusa left running.
      await client.query(`drop database if exists ${client.escapeIdentifier(dbName)} with (force)`)
    }
  } finally {
    await client.end().catch(() => undefined)
  }
  return existed
}
