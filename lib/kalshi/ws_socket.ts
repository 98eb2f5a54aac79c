/**
 * Opening the WebSocket: the handshake with its (signed) headers, resolved once the socket is
 * open, rejected with why it did not — a refused handshake (HTTP 401/403) as its own error type.
 */

/** Opens a socket to `url` with handshake headers (tests inject their own). */
export type WsConnect = (url: URL, headers: Record<string, string>) => WebSocket;

/** Deno's WebSocket accepts handshake headers; the DOM typings in our lib list do not say so. */
const HeaderWebSocket = WebSocket as unknown as new (
  url: URL,
  options: { headers: Record<string, string> },
) => WebSocket;

/** The default {@linkcode WsConnect}: Deno's WebSocket with the headers on the upgrade request. */
export function connectWithHeaders(url: URL, headers: Record<string, string>): WebSocket {
  return new HeaderWebSocket(url, { headers });
}

/** The server answered the handshake with 401 or 403: the credentials were refused. */
export class WsHandshakeRefusedError extends Error {
  /** HTTP status of the refused handshake. */
  readonly status: 401 | 403;

  /** `message` is the socket's own error text (it names the status). */
  constructor(status: 401 | 403, message: string) {
    super(message);
    this.name = "WsHandshakeRefusedError";
    this.status = status;
  }
}

/**
 * The HTTP status of a refused handshake, read from the socket's error text, or null when the
 * error is something else. Deno's WebSocket reports the status only there, e.g.
 * "NetworkError: failed to connect to WebSocket: Invalid status code: 403": this is the one
 * place that reads it.
 *
 * @example
 * ```ts
 * import { refusedHandshakeStatus } from "./ws_socket.ts";
 * refusedHandshakeStatus("failed to connect to WebSocket: Invalid status code: 401"); // 401
 * refusedHandshakeStatus("failed to connect to WebSocket: tcp connect error"); // null
 * ```
 */
export function refusedHandshakeStatus(errorText: string): 401 | 403 | null {
  const match = /status code:? (40[13])/.exec(errorText);
  return match === null ? null : Number(match[1]) as 401 | 403;
}

/**
 * Opens a socket to `url`; resolves once it is open, rejects with WsHandshakeRefusedError when
 * the server refused the handshake with 401/403, or with an Error naming any other failure.
 *
 * @example
 * ```ts ignore
 * const socket = await openWsSocket(new URL("ws://127.0.0.1:8080/trade-api/ws/v2"), {});
 * ```
 */
export function openWsSocket(
  url: URL,
  options: { headers?: Record<string, string>; connect?: WsConnect } = {},
): Promise<WebSocket> {
  const connect = options.connect ?? connectWithHeaders;
  return new Promise((resolve, reject) => {
    let ws: WebSocket;
    try {
      ws = connect(url, options.headers ?? {});
    } catch (error) {
      reject(error);
      return;
    }
    ws.binaryType = "arraybuffer";
    ws.onopen = () => resolve(ws);
    ws.onerror = (event) => {
      const text = (event as ErrorEvent).message || "WebSocket error";
      const status = refusedHandshakeStatus(text);
      reject(status === null ? new Error(text) : new WsHandshakeRefusedError(status, text));
    };
    ws.onclose = (event) => reject(new Error(`closed before open (${event.code} ${event.reason})`));
  });
}
