import { Hono } from "hono";
import { assertEquals } from "../lib/testing/assert.ts";
import { responseCache } from "./response_cache.ts";

function counterApp(options: { now: () => number; maxBytes?: number }) {
  const cache = responseCache({
    ttlMs: 5_000,
    maxBytes: options.maxBytes ?? 1_000_000,
    ...options,
  });
  let calls = 0;
  const app = new Hono();
  app.use(cache.middleware);
  app.get("/page", (c) => c.html(`<p>call ${++calls} ${c.req.query("q") ?? ""}</p>`));
  app.get("/gone", (c) => c.json({ call: ++calls }, 404));
  app.get("/fresh", (c) => c.json({ call: ++calls }, 200, { "Cache-Control": "no-store" }));
  app.get("/csv", (c) => c.body(`a,b\n${++calls}\n`, 200, { "Content-Type": "text/csv" }));
  return { app, cache };
}

Deno.test("a repeated GET within the TTL is answered from memory with the same status, headers and body", async () => {
  let now = 1_000;
  const { app, cache } = counterApp({ now: () => now });
  const first = await app.request("/page");
  now += 4_999;
  const second = await app.request("/page");
  assertEquals(second.status, 200);
  assertEquals(second.headers.get("content-type"), first.headers.get("content-type"));
  assertEquals(await second.text(), await first.text());
  assertEquals(cache.stats().hits, 1);
});

Deno.test("an answer older than the TTL, or a clock moved backwards, is fetched again", async () => {
  let now = 1_000;
  const { app } = counterApp({ now: () => now });
  assertEquals(await (await app.request("/page")).text(), "<p>call 1 </p>");
  now += 5_000;
  assertEquals(await (await app.request("/page")).text(), "<p>call 2 </p>");
  now -= 10_000;
  assertEquals(await (await app.request("/page")).text(), "<p>call 3 </p>");
});

Deno.test("the query string is part of the key", async () => {
  const { app } = counterApp({ now: () => 0 });
  assertEquals(await (await app.request("/page?q=a")).text(), "<p>call 1 a</p>");
  assertEquals(await (await app.request("/page?q=b")).text(), "<p>call 2 b</p>");
  assertEquals(await (await app.request("/page?q=a")).text(), "<p>call 1 a</p>");
});

Deno.test("errors, no-store answers, downloads and non-GET requests are never stored", async () => {
  const { app, cache } = counterApp({ now: () => 0 });
  for (const path of ["/gone", "/fresh", "/csv"]) {
    await (await app.request(path)).arrayBuffer();
    await (await app.request(path)).arrayBuffer();
  }
  await (await app.request("/page", { method: "HEAD" })).arrayBuffer();
  assertEquals(cache.stats(), { hits: 0, misses: 6, entries: 0, bytes: 0 });
});

Deno.test("the oldest answers are evicted to stay within the byte budget", async () => {
  const { app, cache } = counterApp({ now: () => 0, maxBytes: 40 });
  await (await app.request("/page?q=one")).text(); // 17 bytes
  await (await app.request("/page?q=two")).text(); // 17 bytes
  await (await app.request("/page?q=three")).text(); // 19 bytes: evicts "one"
  assertEquals(cache.stats().entries, 2);
  assertEquals(cache.stats().bytes, 36);
  assertEquals(await (await app.request("/page?q=one")).text(), "<p>call 4 one</p>");
});
