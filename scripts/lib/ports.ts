import net from "net"

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
