/**
 * Test support: the portal app served over real HTTP on a free 127.0.0.1 port (as main.ts
 * serves it: the socket peer reaches the app as `remoteAddr`), and a raw TCP client for
 * behaviour a fetch client hides — reading slowly, or dropping the connection mid-response.
 * @module
 */
import type { Hono } from "hono";
import type { PortalEnv } from "../deps.ts";

/** A served app. */
export interface ServedApp {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Stops the server (close client connections first: it waits for open responses). */
  close(): Promise<void>;
}

/** Serves `app` on a free port. */
export function serveApp(app: Hono<PortalEnv>): ServedApp {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    (request, info) => app.fetch(request, { remoteAddr: info.remoteAddr }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    port: server.addr.port,
    close: () => server.shutdown(),
  };
}

/** A raw HTTP/1.1 exchange over TCP that the test reads (or stops reading) at will. */
export interface RawHttp {
  /** Bytes received so far, as text. */
  received(): string;
  /** Reads until `predicate(received)` holds; throws if the connection ends first. */
  readUntil(predicate: (text: string) => boolean): Promise<string>;
  /** Reads until the server closes or resets the connection; resolves with all text. */
  readToEnd(): Promise<string>;
  /** Closes the socket (an abandoned download). */
  close(): void;
}

/** Sends `GET path` with `headers` and returns the exchange without reading further. */
export async function rawGet(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<RawHttp> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const lines = [`GET ${path} HTTP/1.1`, "Host: portal.test"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  await conn.write(new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"));
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(16 * 1024);
  let text = "";
  let closed = false;
  const readOnce = async (): Promise<boolean> => {
    let n: number | null = null;
    try {
      n = await conn.read(buffer);
    } catch { /* reset by the server */ }
    if (n === null) return false;
    text += decoder.decode(buffer.subarray(0, n), { stream: true });
    return true;
  };
  return {
    received: () => text,
    async readUntil(predicate) {
      while (!predicate(text)) {
        if (!(await readOnce())) throw new Error(`connection ended; received:\n${text}`);
      }
      return text;
    },
    async readToEnd() {
      while (await readOnce());
      return text;
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch { /* already closed */ }
    },
  };
}
