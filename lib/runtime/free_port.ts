/** Picks a TCP port on 127.0.0.1 that the OS reports free, for a server whose URL must be known before it starts. */

/**
 * Returns `preferred` when it is free on 127.0.0.1, else a port the OS chose (free at the moment
 * of the call; another process may still take it before it is used).
 *
 * @example
 * ```ts
 * const port = freePort();
 * const server = Deno.serve({ hostname: "127.0.0.1", port, onListen: () => {} }, () => new Response());
 * await server.shutdown();
 * ```
 */
export function freePort(preferred?: number): number {
  if (preferred) {
    try {
      Deno.listen({ hostname: "127.0.0.1", port: preferred }).close();
      return preferred;
    } catch {
      // taken: fall through to an OS-chosen port
    }
  }
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
