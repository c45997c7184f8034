import net from "node:net"

/**
 * Sends Redis commands (inline protocol) to the database of `url` (redis://host:port/db) and
 * answers the raw reply; for checks and FLUSHDB in scripts, without a Redis client dependency.
 */
export function redisCommands(url: string, commands: string[], timeoutMs = 3000): Promise<string> {
  const { hostname, port, pathname } = new URL(url)
  const db = pathname.slice(1) || "0"
  return new Promise((resolve, reject) => {
    const sock = net.connect(Number(port) || 6379, hostname)
    let reply = ""
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer from Redis at ${hostname}:${port || 6379}`)))
    sock.on("connect", () => sock.write([`SELECT ${db}`, ...commands, "QUIT"].join("\r\n") + "\r\n"))
    sock.on("data", (d) => (reply += d))
    sock.on("close", () => resolve(reply))
    sock.on("error", reject)
  })
}

/** Whether a Redis answers PING at `url`. */
export async function redisAnswers(url: string): Promise<boolean> {
  try {
    return (await redisCommands(url, ["PING"], 1000)).includes("+PONG")
  } catch {
    return false
  }
}
