import { assertEquals, assertOk } from "../testing/assert.ts";
import { startFixtureServer } from "./testing/fixture_server.ts";
import { fixtureFiles, fixturePath } from "./testing/fixtures.ts";
import { type CliIo, runKalshiCli } from "./cli.ts";
import { createRateLimiter } from "./rate_limit.ts";
import { createRestClient } from "./rest.ts";

function io(files: Record<string, string> = {}, extra: Partial<CliIo> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const cli: CliIo = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    readTextFile: (path) => path in files ? Promise.resolve(files[path]) : Deno.readTextFile(path),
    env: () => undefined,
    ...extra,
  };
  return { cli, out, err };
}

Deno.test("validate accepts every fixture file at once and exits 0", async () => {
  const { cli, out } = io();
  const paths = fixtureFiles();
  assertEquals(await runKalshiCli(["validate", ...paths], cli), 0);
  assertEquals(out.filter((l) => l.startsWith("ok ")).length, paths.length);
  assertOk(
    out.some((l) =>
      l.includes("200 valid (ws:orderbook_snapshot, ws:orderbook_delta, ws:trade), 0 invalid")
    ),
  );
});

Deno.test("validate exits 1 and names field, value and expectation for a corrupted payload", async () => {
  const market = JSON.parse(
    await Deno.readTextFile(
      fixturePath("rest/market_get_KXNFLGAME-26OCT08TBDAL-DAL_2026-10-06.json"),
    ),
  );
  market.market.last_price_dollars = 81;
  delete market.market.event_ticker;
  const { cli, out } = io({ "bad.json": JSON.stringify(market) });
  assertEquals(await runKalshiCli(["validate", "bad.json"], cli), 1);
  assertOk(
    out.some((l) => l.includes("market.event_ticker: required field missing (expected string)")),
  );
  assertOk(out.some((l) => l.includes("market.last_price_dollars:") && l.includes("received 81")));
});

Deno.test("validate exits 1 for text that is not JSON", async () => {
  const { cli, out } = io({ "x.ndjson": '{"type":"ticker"\n' });
  assertEquals(await runKalshiCli(["validate", "x.ndjson"], cli), 1);
  assertOk(out.some((l) => l.includes("not JSON")));
});

Deno.test("validate exits 0 for well-formed messages of channels we do not consume", async () => {
  const text =
    '{"type":"fill","sid":4,"msg":{"x":1}}\n{"type":"error","msg":{"code":8,"msg":"Unknown channel"}}\n';
  const { cli } = io({ "other.jsonl": text });
  assertEquals(await runKalshiCli(["validate", "other.jsonl"], cli), 0);
});

Deno.test("usage errors exit 2: no command, unknown command, no file, bad flag, unreadable file", async () => {
  for (
    const args of [
      [],
      ["frobnicate"],
      ["validate"],
      ["validate", "--type", "nonsense", "a.json"],
      ["validate", "--no-such-flag", "a.json"],
      ["validate", "/nonexistent/file.json"],
    ]
  ) {
    const { cli, err } = io();
    assertEquals(await runKalshiCli(args, cli), 2, args.join(" "));
    assertOk(err.length > 0);
  }
});

Deno.test("every command answers --help with exit 0", async () => {
  for (const command of ["validate", "markets", "events", "candles"]) {
    const { cli, out } = io();
    assertEquals(await runKalshiCli([command, "--help"], cli), 0);
    assertOk(out[0].startsWith(`Usage: kalshi ${command}`));
  }
});

Deno.test("markets, events and candles print normalised JSON read through the client", async () => {
  const server = startFixtureServer();
  const restClient = () =>
    Promise.resolve(createRestClient({
      baseUrl: server.restUrl,
      limiter: createRateLimiter({ ratePerSecond: 1000, burst: 100 }),
    }));
  try {
    const markets = io({}, { restClient });
    assertEquals(
      await runKalshiCli(["markets", "--limit", "2", "--max-pages", "100"], markets.cli),
      0,
    );
    const list = JSON.parse(markets.out[0]) as { ticker: string; yesBid: number }[];
    assertOk(list.length > 2 && list.every((m) => Number.isInteger(m.yesBid)));

    const events = io({}, { restClient });
    assertEquals(await runKalshiCli(["events", "KXGOLD15M-26AUG050000"], events.cli), 0);
    assertEquals(JSON.parse(events.out[0]).markets[0].ticker, "KXGOLD15M-26AUG050000-00");

    const candles = io({}, { restClient });
    const code = await runKalshiCli(
      [
        "candles",
        "--start",
        "2026-05-01T00:00:00Z",
        "--end",
        "1778900000",
        "KXGOLD15M-26AUG050000-00",
      ],
      candles.cli,
    );
    assertEquals(code, 0);
    const [first] = JSON.parse(candles.out[0]);
    assertEquals(first.ticker, "KXGOLD15M-26AUG050000-00");
    assertEquals(first.candlesticks[0].price.open, 2800);
  } finally {
    await server.close();
  }
});

Deno.test("deno task kalshi validate exits 1 for a ticker frame with an absurd ts_ms, ts or time, 0 for the recording", async () => {
  const recorded = fixturePath("ws/ws_lifecycle_ticker_2026-07-19_real_ssmd.ndjson");
  const frame = (await Deno.readTextFile(recorded)).split("\n")
    .find((l) => l.includes('"type":"ticker"'))!;
  const absurd = [
    frame.replace('"ts_ms":1784475900544', '"ts_ms":8.7e15'),
    frame.replace('"ts":1784475900,', '"ts":1784475900544000,'),
    frame.replace('"time":"2026-07-19T15:45:00.544125Z"', '"time":"+275760-09-13T00:00:00Z"'),
  ];
  assertEquals(new Set(absurd).size, 3);
  assertOk(absurd.every((line) => line !== frame));
  const file = await Deno.makeTempFile({ dir: "/tmp", suffix: ".ndjson" });
  const root = new URL("../../", import.meta.url);
  const run = async (path: string) => {
    const { code, stdout } = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "kalshi", "validate", path],
      cwd: root,
      stdout: "piped",
      stderr: "null",
    }).output();
    return { code, out: new TextDecoder().decode(stdout) };
  };
  try {
    await Deno.writeTextFile(file, absurd.join("\n") + "\n");
    const bad = await run(file);
    assertEquals(bad.code, 1, bad.out);
    for (
      const [line, field, value] of [
        ["1", "msg.ts_ms", "received 8700000000000000"],
        ["2", "msg.ts", "received 1784475900544000"],
        ["3", "msg.time", 'received "+275760-09-13T00:00:00Z"'],
      ]
    ) {
      const report = bad.out.split("\n").find((l) => l.startsWith(`INVALID ${file}:${line} `));
      assertOk(report?.includes(`${field}: expected`) && report.includes(value), bad.out);
    }
    const good = await run(recorded);
    assertEquals(good.code, 0, good.out);
  } finally {
    await Deno.remove(file);
  }
});
