import { assertEquals, assertOk } from "../testing/assert.ts";
import { freePort } from "./free_port.ts";

Deno.test("freePort returns a port that can be listened on", () => {
  const port = freePort();
  assertOk(port > 0);
  Deno.listen({ hostname: "127.0.0.1", port }).close();
});

Deno.test("freePort returns the preferred port when it is free", () => {
  const port = freePort();
  assertEquals(freePort(port), port);
});

Deno.test("freePort falls back to another port when the preferred one is taken", () => {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const taken = (held.addr as Deno.NetAddr).port;
    assertOk(freePort(taken) !== taken);
  } finally {
    held.close();
  }
});
