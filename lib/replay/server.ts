/**
 * The replay server: Kalshi's WebSocket at `/trade-api/ws/v2` (handshake as Kalshi's, signature
 * headers accepted and not checked), one {@linkcode ReplaySession} per connection, and the REST
 * side under `/trade-api/v2` when one is given (./rest.ts). Every response
 * carries a `Date` header of replay time (the furthest any client has got), so a client that takes
 * "now" from the server sees the old window as live.
 * @module
 */
import type { Clock } from "../kalshi/mod.ts";
import type { Logger } from "../log/mod.ts";
import { REPLAY_REST_PATH } from "./rest.ts";
import { ReplaySession, type ReplaySessionOptions } from "./session.ts";

/** The WebSocket path, as Kalshi's. */
export const REPLAY_WS_PATH = "/trade-api/ws/v2";

/** A listening replay. */
export interface ServedReplay {
  /** `http://HOST:PORT`. */
  url: string;
  /** `http://HOST:PORT/trade-api/v2`. */
  restUrl: string;
  /** `ws://HOST:PORT/trade-api/ws/v2`. */
  wsUrl: string;
  /** The port listened on (a free one when 0 was asked). */
  port: number;
  /** Replay time: the furthest position of any session (the window start before any). */
  now(): number;
  /** Open sessions. */
  sessions(): readonly ReplaySession[];
  /** Closes every socket and stops listening. */
  close(): Promise<void>;
}

/** Where and how to serve. */
export interface ServeReplayOptions extends Omit<ReplaySessionOptions, "clock" | "logger"> {
  /** Paces every session and times its quiet moment. */
  clock: Clock;
  /** Where sessions report errors. */
  logger: Logger;
  /** Answers `/trade-api/v2/…` (./rest.ts); absent = 404. */
  rest?: (req: Request) => Promise<Response>;
  /** 0 = a free port. */
  port?: number;
  /** The address to listen on; absent = 127.0.0.1. */
  hostname?: string;
  /**
   * Most WebSocket clients at once (each holds a database connection per stored channel while
   * it replays, and one for its book rebuilds); one more is refused with 503 and Retry-After.
   * Default 6.
   */
  maxClients?: number;
}

/** The default of {@linkcode ServeReplayOptions.maxClients}. */
const DEFAULT_MAX_CLIENTS = 6;

/**
 * Serves a replay until `close`.
 *
 * @example
 * ```ts ignore
 * import { serveReplay } from "./server.ts";
 * const served = serveReplay({ source, window, speed: 0, quietMs: 500, clock, logger });
 * console.log(served.wsUrl);
 * ```
 */
export function serveReplay(options: ServeReplayOptions): ServedReplay {
  const sessions = new Set<ReplaySession>();
  const sockets = new Set<WebSocket>();
  let furthest = options.window.fromMs;
  const now = () => {
    for (const s of sessions) furthest = Math.max(furthest, s.positionMs);
    return furthest;
  };
  const handler = async (req: Request): Promise<Response> => {
    const path = new URL(req.url).pathname;
    const response = path === REPLAY_WS_PATH
      ? upgrade(req, options, sessions, sockets)
      : options.rest && path.startsWith(`${REPLAY_REST_PATH}/`)
      ? await options.rest(req)
      : problem(404, "not_found", `the replay does not serve ${path}`);
    if (response.status !== 101) response.headers.set("date", new Date(now()).toUTCString());
    return response;
  };
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({ port: options.port ?? 0, hostname, onListen: () => {} }, handler);
  const port = server.addr.port;
  return {
    url: `http://${hostname}:${port}`,
    restUrl: `http://${hostname}:${port}${REPLAY_REST_PATH}`,
    wsUrl: `ws://${hostname}:${port}${REPLAY_WS_PATH}`,
    port,
    now,
    sessions: () => [...sessions],
    async close() {
      for (const s of sessions) s.close();
      for (const socket of sockets) {
        try {
          socket.close(1001, "replay shutting down");
        } catch { /* already closed */ }
      }
      await server.shutdown();
    },
  };
}

function upgrade(
  req: Request,
  options: ServeReplayOptions,
  sessions: Set<ReplaySession>,
  sockets: Set<WebSocket>,
): Response {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return problem(400, "bad_request", "expected a WebSocket upgrade");
  }
  const max = options.maxClients ?? DEFAULT_MAX_CLIENTS;
  if (sessions.size >= max) {
    options.logger.warn("replay client refused", { clients: sessions.size, max });
    const response = problem(
      503,
      "too_many_clients",
      `the replay serves at most ${max} WebSocket clients at once; close one, or start the ` +
        "replay with a higher --max-clients (REPLAY_MAX_CLIENTS)",
    );
    response.headers.set("retry-after", "5");
    return response;
  }
  const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 10 });
  const session = new ReplaySession(socket, options);
  sockets.add(socket);
  sessions.add(session);
  socket.onmessage = (ev) => session.command(typeof ev.data === "string" ? ev.data : "");
  const end = () => {
    session.close();
    sessions.delete(session);
    sockets.delete(socket);
  };
  socket.onclose = end;
  socket.onerror = end;
  return response;
}

function problem(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
