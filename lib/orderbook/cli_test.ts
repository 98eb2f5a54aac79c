/** `kalshi book` against real PostgreSQL, in process and through `deno task kalshi`. */
import { assertEquals, assertOk } from "../testing/assert.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { runBookCli } from "./cli.ts";
import { writeOrderbookBatch } from "./store.ts";

const T = Date.parse("2026-04-02T15:00:00Z");

async function seed(sql: Parameters<typeof writeOrderbookBatch>[0]) {
  await writeOrderbookBatch(sql, {
    id: "cli",
    snapshots: [{
      marketTicker: "KXCLI-26",
      tsMs: T,
      order: 10,
      kind: "subscribe",
      yes: [[4200, 1200], [4100, 50]],
      no: [[5500, 300]],
    }],
    deltas: [
      { marketTicker: "KXCLI-26", tsMs: T + 1000, order: 11, side: "yes", price: 4300, delta: 7 },
      { marketTicker: "KXCLI-26", tsMs: T + 1000, order: 12, side: "no", price: 5500, delta: -300 },
      { marketTicker: "KXCLI-26", tsMs: T + 5000, order: 13, side: "no", price: 5000, delta: 99 },
    ],
  });
}

async function run(args: string[], url: string | undefined) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBookCli(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    env: (name) => (name === "DATABASE_URL" ? url : undefined),
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

Deno.test("kalshi book prints the rebuilt book, as Kalshi's JSON or a table", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    await seed(sql);
    const at = new Date(T + 2000).toISOString();
    const json = await run(["KXCLI-26", "--at", at, "--json"], url);
    assertEquals(json.code, 0, json.err);
    assertEquals(JSON.parse(json.out), {
      orderbook_fp: {
        yes_dollars: [["0.4100", "0.50"], ["0.4200", "12.00"], ["0.4300", "0.07"]],
        no_dollars: [],
      },
    });
    const table = await run(["KXCLI-26", `--at=${new Date(T + 5000).toISOString()}`], url);
    assertEquals(table.code, 0, table.err);
    assertOk(table.out.includes("subscribe snapshot of 2026-04-02T15:00:00.000Z + 3 deltas"));
    assertOk(table.out.includes("YES bid 0.4300 × 0.07, YES ask 0.5000 × 0.99"), table.out);
  });
});

Deno.test("kalshi book says what is wrong: ticker, time, data, database", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    await seed(sql);
    const at = ["--at", new Date(T).toISOString()];
    const unknown = await run(["KXNOPE", ...at], url);
    assertEquals(unknown.code, 1);
    assertOk(unknown.err.includes("no order book of market KXNOPE is stored"), unknown.err);
    const early = await run(["KXCLI-26", "--at", "2026-04-02T14:59:59Z"], url);
    assertEquals(early.code, 1);
    assertOk(early.err.includes("at or before 2026-04-02T14:59:59.000Z"), early.err);
    const badAt = [
      "yesterday",
      "2026-04-02T15:00:00",
      "2026-13-02T15:00:00Z",
      "2026-02-30T15:00:00Z", // not a day (Date.parse would roll it into March)
      "0000-06-01T00:00:00Z", // year 0 is outside PostgreSQL's range
      "0001-01-01T00:00:00+01:00", // so is year 1 less an hour
    ];
    for (const bad of badAt) {
      const r = await run(["KXCLI-26", "--at", bad], url);
      assertEquals(r.code, 2, bad);
      assertOk(r.err.includes("KALSHI_BOOK_AT") && r.err.includes("ISO 8601"), r.err);
    }
    const noDb = await run(["KXCLI-26", ...at], undefined);
    assertEquals(noDb.code, 2);
    assertOk(noDb.err.includes("DATABASE_URL"), noDb.err);
    assertEquals((await run([...at], url)).code, 2, "no ticker");
    assertEquals((await run(["a b", ...at], url)).code, 2, "not a ticker");
    const help = await run(["--help"], url);
    assertEquals(help.code, 0);
    assertOk(help.out.includes("--at"));
  });
});

Deno.test("deno task kalshi book runs with the launch's permissions", async () => {
  await withTestDatabase(async ({ sql, url }) => {
    await seed(sql);
    const output = await new Deno.Command(Deno.execPath(), {
      args: [
        "task",
        "--quiet",
        "kalshi",
        "book",
        "KXCLI-26",
        "--at",
        "2026-04-02T15:00:06Z",
        "--json",
      ],
      cwd: new URL("../../", import.meta.url),
      env: { DATABASE_URL: url },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(output.stderr);
    assertEquals(output.code, 0, stderr);
    const body = JSON.parse(new TextDecoder().decode(output.stdout));
    assertEquals(body.orderbook_fp.no_dollars, [["0.5000", "0.99"]]);
  });
});
