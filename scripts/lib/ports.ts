import net from "net"

// Small machine facts the scripts share: ports and processes.

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
