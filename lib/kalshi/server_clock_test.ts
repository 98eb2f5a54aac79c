import { assertEquals } from "../testing/assert.ts";
import type { Clock } from "./clock.ts";
import { createRestClient } from "./rest.ts";
import { createServerClock } from "./server_clock.ts";

const SERVER_MS = Date.UTC(2026, 10, 25, 12, 0, 0);

Deno.test("the server clock follows the Date header of the responses the REST client receives", async () => {
  let localMs = Date.UTC(2027, 0, 1);
  const base: Clock = { now: () => localMs, sleep: () => Promise.resolve() };
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, () => {
    const response = Response.json({ exchange_active: true, trading_active: true });
    response.headers.set("date", new Date(SERVER_MS).toUTCString());
    return response;
  });
  try {
    const clock = createServerClock({ base });
    assertEquals(clock.now(), localMs, "the local clock stands in before any response");
    const client = createRestClient({
      baseUrl: `http://127.0.0.1:${server.addr.port}/trade-api/v2`,
      fetch: clock.fetch,
      readsPerSecond: 1000,
    });
    await client.getExchangeStatus();
    assertEquals(clock.now(), SERVER_MS);
    localMs += 2500;
    assertEquals(clock.now(), SERVER_MS + 2500, "time moves on at the local pace");
    clock.observe(new Response(null, { headers: { date: "not a date" } }));
    assertEquals(clock.now(), SERVER_MS + 2500, "an invalid Date changes nothing");
  } finally {
    await server.shutdown();
  }
});
