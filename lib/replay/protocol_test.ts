/** The replay's command protocol in process: what one connection may hold stays bounded. */
import { assertEquals } from "../testing/assert.ts";
import { ReplaySubscriptions } from "./protocol.ts";

const tickers = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => `M-${from + i}`);

Deno.test("a subscription holds at most 100,000 markets, however many commands add them", () => {
  const frames: Record<string, unknown>[] = [];
  const subs = new ReplaySubscriptions((f) => frames.push(JSON.parse(f)));
  const send = (c: Record<string, unknown>) => subs.command(JSON.stringify(c));
  send({
    id: 1,
    cmd: "subscribe",
    params: { channels: ["ticker"], market_tickers: tickers(0, 60_000) },
  });
  // The same markets again take no room; 40,000 new ones fill it exactly.
  send({
    id: 2,
    cmd: "subscribe",
    params: { channels: ["ticker"], market_tickers: tickers(20_000, 80_000) },
  });
  send({ id: 3, cmd: "subscribe", params: { channels: ["ticker"], market_tickers: ["M-X"] } });
  send({
    id: 4,
    cmd: "update_subscription",
    params: { sid: 1, action: "add_markets", market_tickers: ["M-X"] },
  });
  send({
    id: 5,
    cmd: "update_subscription",
    params: { sid: 1, action: "delete_markets", market_tickers: ["M-0"] },
  });
  send({
    id: 6,
    cmd: "update_subscription",
    params: { sid: 1, action: "add_markets", market_tickers: ["M-X"] },
  });
  // Replies in short: [id, type, error code or number of markets].
  const short = frames.map((f) => {
    const msg = f.msg as { code?: number; market_tickers?: string[] };
    return [f.id, f.type, msg.code ?? msg.market_tickers?.length ?? null];
  });
  assertEquals(short, [
    [1, "subscribed", null],
    [2, "subscribed", null],
    [3, "error", 11],
    [4, "error", 11],
    [5, "ok", 99_999],
    [6, "ok", 100_000],
  ]);
});
