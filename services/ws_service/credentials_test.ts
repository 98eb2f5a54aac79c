import { assertEquals } from "../../lib/testing/assert.ts";
import { unsignedAllowed } from "./credentials.ts";

Deno.test("unsigned connections are allowed to loopback simulators and refused elsewhere", () => {
  assertEquals(unsignedAllowed(new URL("ws://127.0.0.1:8080/trade-api/ws/v2"), false), true);
  assertEquals(unsignedAllowed(new URL("ws://localhost:1/x"), undefined), true);
  assertEquals(unsignedAllowed(new URL("ws://[::1]:1/x"), undefined), true);
  assertEquals(
    unsignedAllowed(new URL("wss://external-api-ws.kalshi.com/trade-api/ws/v2"), false),
    false,
  );
  assertEquals(unsignedAllowed(new URL("ws://sim.cluster.local/x"), true), true);
});
