import net from "net"

// Small machine facts the scripts share: ports and processes, and the ports a command needs.

/** True when `host:port` can be bound right now (an interface this machine lacks counts as free). */
export function canListen(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer()
    srv.unref()
    srv.once("error", (err: NodeJS.ErrnoException) => {
      // No IPv6 on this machine: not a conflict.
      resolve(err.code === "EADDRNOTAVAIL" || err.code === "EAFNOSUPPORT")
    })
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)))
  })
}

/** True while a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

function answers(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host })
    const done = (v: boolean) => {
      sock.destroy()
      resolve(v)
    }
    sock.setTimeout(1000, () => done(false))
    sock.once("connect", () => done(true))
    sock.once("error", () => done(false))
  })
}

/** True when something listens on `port` (any interface) or `localhost:port` answers. */
export async function portInUse(port: number): Promise<boolean> {
  if (!(await canListen(port, "0.0.0.0")) || !(await canListen(port, "::"))) return true
  return (await answers(port, "127.0.0.1")) || (await answers(port, "::1"))
}

/** A port a command needs, the variable that sets it, and what to suggest when it is taken. */
export type WantedPort = {
  port: number
  env: string
  /** What listens there, e.g. "Medusa". */
  what: string
  /** The port to suggest instead (port + 1 when absent). */
  alternative?: number
  /** The likely culprit, e.g. "an `npm run sandbox` still running?". */
  suspect?: string
}

const COUNT = ["zero", "one", "two", "three", "four", "five"]

/**
 * Throws an Error when two of `wanted` share a port, or naming the first one (in order) that is
 * in use, with the command to run on another port (`command`, e.g. "npm run demo").
 */
export async function checkPorts(wanted: WantedPort[], command: string): Promise<void> {
  if (new Set(wanted.map((w) => w.port)).size < wanted.length) {
    const names = wanted.map((w) => `${w.env} (${w.port})`)
    const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names[0]
    throw new Error(`${list} must be ${COUNT[wanted.length] ?? wanted.length} different ports`)
  }
  for (const w of wanted) {
    if (await portInUse(w.port)) {
      const stop = w.suspect ? ` (${w.suspect}). Stop it` : `. Stop what listens there`
      throw new Error(`port ${w.port} (${w.what}) is already in use${stop}, or run on another port: ${w.env}=${w.alternative ?? w.port + 1} ${command}`)
    }
  }
}

/** The port the variable `name` sets, else `fallback`; throws on anything but 1-65535. */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[name]
  if (raw === undefined || raw === "") return fallback
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${name} must be a port number (1-65535), got "${raw}"`)
  return port
}
