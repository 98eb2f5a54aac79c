import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { openWsSocket, refusedHandshakeStatus, WsHandshakeRefusedError } from "./ws_socket.ts";

Deno.test("the status of a refused handshake is read from the socket's error text, and only 401 / 403", () => {
  const cases: [string, 401 | 403 | null][] = [
    ["NetworkError: failed to connect to WebSocket: Invalid status code: 401", 401],
    ["NetworkError: failed to connect to WebSocket: Invalid status code: 403", 403],
    ["Invalid status code 403", 403],
    ["NetworkError: failed to connect to WebSocket: Invalid status code: 404", null],
    ["NetworkError: failed to connect to WebSocket: Invalid status code: 503", null],
    ["NetworkError: failed to connect to WebSocket: tcp connect error", null],
    ["", null],
  ];
  for (const [text, status] of cases) assertEquals(refusedHandshakeStatus(text), status, text);
});

/**
 * A server answering every handshake with `status` (101 upgrades), on 127.0.0.1; records the
 * KALSHI-ACCESS-KEY header of each.
 */
function serveStatus(status: number) {
  const keys: (string | null)[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    keys.push(request.headers.get("KALSHI-ACCESS-KEY"));
    if (status !== 101) return new Response('{"code":"token_authentication_failure"}', { status });
    return Deno.upgradeWebSocket(request).response;
  });
  return {
    url: new URL(`ws://127.0.0.1:${(server.addr as Deno.NetAddr).port}/trade-api/ws/v2`),
    keys,
    close: () => server.shutdown(),
  };
}

for (const status of [401, 403] as const) {
  Deno.test(`a handshake refused with ${status} rejects with WsHandshakeRefusedError carrying the status`, async () => {
    const server = serveStatus(status);
    try {
      const error = await assertRejects(openWsSocket(server.url), WsHandshakeRefusedError);
      assertEquals(error.status, status);
      assertOk(error.message.includes(String(status)), error.message);
    } finally {
      await server.close();
    }
  });
}

Deno.test("another refused status is a plain error, not a refused handshake", async () => {
  const server = serveStatus(503);
  try {
    const error = await assertRejects(openWsSocket(server.url), Error);
    assertOk(!(error instanceof WsHandshakeRefusedError), error.message);
  } finally {
    await server.close();
  }
});

Deno.test("a port nobody listens on is a plain connect error", async () => {
  const server = serveStatus(101);
  const url = server.url;
  await server.close();
  const error = await assertRejects(openWsSocket(url), Error);
  assertOk(!(error instanceof WsHandshakeRefusedError), error.message);
});

Deno.test("an accepted handshake resolves with the open socket, the headers sent on the upgrade", async () => {
  const server = serveStatus(101);
  try {
    const socket = await openWsSocket(server.url, { headers: { "KALSHI-ACCESS-KEY": "kid" } });
    assertEquals([socket.readyState, socket.binaryType], [WebSocket.OPEN, "arraybuffer"]);
    assertEquals(server.keys[0], "kid");
    const closed = new Promise((resolve) => (socket.onclose = resolve));
    socket.close();
    await closed;
  } finally {
    await server.close();
  }
});

Deno.test("a socket factory that throws rejects the open with its error", async () => {
  const error = await assertRejects(
    openWsSocket(new URL("ws://127.0.0.1:9/"), {
      connect: () => {
        throw new Error("connection refused");
      },
    }),
    Error,
  );
  assertEquals(error.message, "connection refused");
});
