/** `/api/markets/{ticker}/orderbook` over real HTTP, on the portal's read-only role. */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { writeOrderbookBatch } from "@kalshi-data/lib/orderbook";
import { createPortalFixture } from "./testing/portal.ts";
import { serveApp } from "./testing/serve.ts";

const T = Date.parse("2026-04-02T15:00:00Z");

Deno.test("the order-book API answers Kalshi's JSON at an instant, and 400/404 with reasons", async () => {
  const f = await createPortalFixture({ seed: false });
  const served = serveApp(f.app);
  try {
    await writeOrderbookBatch(f.db.sql, {
      id: "portal",
      snapshots: [{
        marketTicker: "KXOB-1",
        tsMs: T,
        order: 1,
        kind: "subscribe",
        yes: [[4200, 1200]],
        no: [[5500, 300], [5400, 1]],
      }],
      deltas: [{
        marketTicker: "KXOB-1",
        tsMs: T + 60_000,
        order: 2,
        side: "yes",
        price: 4200,
        delta: -200,
      }],
    });
    const get = (path: string) => fetch(`${served.url}${path}`);
    const at = await get("/api/markets/KXOB-1/orderbook?at=2026-04-02T15:00:30Z");
    assertEquals(at.status, 200);
    assertOk(at.headers.get("content-type")?.startsWith("application/json"));
    assertEquals(await at.json(), {
      orderbook_fp: {
        yes_dollars: [["0.4200", "12.00"]],
        no_dollars: [["0.5400", "0.01"], ["0.5500", "3.00"]],
      },
    });
    f.setNow(new Date(T + 3_600_000));
    const now = await get("/api/markets/KXOB-1/orderbook");
    assertEquals((await now.json()).orderbook_fp.yes_dollars, [["0.4200", "10.00"]], "default now");
    for (
      const [path, param] of [
        ["/api/markets/KXOB-1/orderbook?at=banana", "at"],
        ["/api/markets/KXOB-1/orderbook?depth=3", "depth"],
        ["/api/markets/KXOB-1/orderbook?at=1&at=2", "at"],
        ["/api/markets/bad%20ticker/orderbook", "ticker"],
        // Year 0 (1 BC) is out of PostgreSQL's range, also when an offset reaches it.
        ["/api/markets/KXOB-1/orderbook?at=0000-06-01T00:00:00Z", "at"],
        ["/api/markets/KXOB-1/orderbook?at=2026-02-30T15:00:00Z", "at"],
        ["/api/markets/KXOB-1/orderbook?at=0001-01-01T00:00:00%2B01:00", "at"],
        ["/api/markets/KXOB-1/orderbook?at=9999-12-31T23:59:59-01:00", "at"],
        [`/api/markets/KXOB-1/orderbook?at=${"9".repeat(5000)}`, "at"],
      ]
    ) {
      const res = await get(path);
      assertEquals(res.status, 400, path);
      const body = await res.json();
      assertOk(JSON.stringify(body).includes(param), `${path}: ${JSON.stringify(body)}`);
    }
    const unknown = await get("/api/markets/KXNONE/orderbook");
    assertEquals(unknown.status, 404);
    assertOk((await unknown.text()).includes("No order book of market KXNONE"));
    const first = await get("/api/markets/KXOB-1/orderbook?at=0001-01-01T00:00:00Z");
    assertEquals(first.status, 404, "year 1 is a time before any book");
    const last = await get("/api/markets/KXOB-1/orderbook?at=9999-12-31T23:59:59.999999%2B00:00");
    assertEquals((await last.json()).orderbook_fp.yes_dollars, [["0.4200", "10.00"]], "year 9999");
    const early = await get("/api/markets/KXOB-1/orderbook?at=2026-04-02T14:00:00Z");
    assertEquals(early.status, 404);
    assertOk((await early.text()).includes("at or before 2026-04-02T14:00:00.000Z"));
  } finally {
    await served.close();
    await f.close();
  }
});
