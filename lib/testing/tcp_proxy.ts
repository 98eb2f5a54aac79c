/**
 * A TCP proxy a test owns, for outages without touching the machine's shared servers: point a
 * service at the proxy, then `cut()` it (live connections dropped, new ones refused) and
 * `restore()` it.
 */

/** A running proxy. */
export interface TcpProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Rewrites a URL (postgres://, amqp://, http://) to go through the proxy. */
  url(target: string): string;
  /** Drops every live connection and refuses new ones until {@linkcode restore}. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  /** Number of connections accepted so far. */
  readonly accepted: number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

/** Starts a proxy on a free 127.0.0.1 port forwarding to `hostname:port`. */
export function startTcpProxy(target: { hostname: string; port: number }): TcpProxy {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const live = new Set<Deno.Conn>();
  let down = false;
  let accepted = 0;
  const closeQuietly = (conn: Deno.Conn) => {
    live.delete(conn);
    try {
      conn.close();
    } catch { /* already closed */ }
  };
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable, { preventClose: false });
    } catch { /* either side went away */ }
    closeQuietly(from);
    closeQuietly(to);
  };
  const accepting = (async () => {
    for await (const client of listener) {
      if (down) {
        closeQuietly(client);
        continue;
      }
      accepted++;
      live.add(client);
      Deno.connect(target).then((upstream) => {
        if (down) {
          closeQuietly(client);
          closeQuietly(upstream);
          return;
        }
        live.add(upstream);
        pump(client, upstream);
        pump(upstream, client);
      }, () => closeQuietly(client));
    }
  })().catch(() => {});
  return {
    port,
    url(text) {
      const url = new URL(text);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.href;
    },
    cut() {
      down = true;
      for (const conn of [...live]) closeQuietly(conn);
    },
    restore() {
      down = false;
    },
    get accepted() {
      return accepted;
    },
    async close() {
      down = true;
      listener.close();
      for (const conn of [...live]) closeQuietly(conn);
      await accepting;
    },
  };
}
