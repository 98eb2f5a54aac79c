/**
 * A small Kalshi look-alike built from the recorded fixtures, for the client's own tests: REST
 * paths with cursor pagination and 404 bodies, and a WebSocket endpoint that answers subscribe /
 * update_subscription / unsubscribe and replays recorded ticker messages. Not the simulator.
 */
import { fixturePath } from "./fixtures.ts";

type Json = Record<string, unknown>;

function read(name: string): Json {
  return JSON.parse(Deno.readTextFileSync(fixturePath(`rest/${name}`)));
}

function unwrap(value: Json): Json {
  return "response" in value && "fetched_at_ms" in value ? value.response as Json : value;
}

/** The fixture data set the server answers from. */
export interface FixtureData {
  markets: Json[];
  events: Json[];
  series: Json[];
  candles: Json;
  historicalCandles: Json;
  trades: Json;
  cutoff: Json;
  status: Json;
}

/** Loads every fixture into one consistent data set (markets deduplicated by ticker). */
export function loadFixtureData(): FixtureData {
  const markets = new Map<string, Json>();
  const events = new Map<string, Json>();
  const series = new Map<string, Json>();
  for (const entry of Deno.readDirSync(fixturePath("rest"))) {
    const body = unwrap(read(entry.name));
    for (const m of (body.markets as Json[] | undefined) ?? []) {
      if (typeof m.ticker === "string" && !("candlesticks" in m)) markets.set(m.ticker, m);
    }
    if (body.market) markets.set((body.market as Json).ticker as string, body.market as Json);
    if (body.event) {
      const event = body.event as Json;
      for (const m of (event.markets as Json[] | undefined) ?? []) {
        markets.set(m.ticker as string, m);
      }
      events.set(event.event_ticker as string, { ...event, markets: undefined });
    }
    if (Array.isArray(body.series)) {
      for (const s of body.series as Json[]) series.set(s.ticker as string, s);
    } else if (body.series) series.set((body.series as Json).ticker as string, body.series as Json);
  }
  return {
    markets: [...markets.values()].sort((a, b) => String(a.ticker).localeCompare(String(b.ticker))),
    events: [...events.values()],
    series: [...series.values()],
    candles: read("candlesticks_60m_KXHIGHNY-26MAY15-B65.5.json"),
    historicalCandles: read("historical_candlesticks_1440m_RAINNYCM-24FEB-6.json"),
    trades: read("historical_trades_KXU3-26JUN-T4.8.json"),
    cutoff: read("historical_cutoff_2026.json"),
    status: read("exchange_status_2026-10-06.json"),
  };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

function notFound(what: string): Response {
  return json({ error: { code: "not_found", message: `${what} not found` } }, 404);
}

function page<T>(items: T[], url: URL, max: number): { items: T[]; cursor: string } {
  const limit = Math.min(Number(url.searchParams.get("limit") ?? max) || max, max);
  const offset = Number(url.searchParams.get("cursor") || "0");
  const slice = items.slice(offset, offset + limit);
  const next = offset + limit < items.length ? String(offset + limit) : "";
  return { items: slice, cursor: next };
}

/** Answers a Kalshi REST request from the fixture data (paths below /trade-api/v2). */
export function fixtureRestHandler(data: FixtureData): (request: Request) => Response {
  return (request) => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/trade-api\/v2/, "");
    const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
    const q = url.searchParams;
    if (path === "/exchange/status") return json(data.status);
    if (path === "/historical/cutoff") return json(data.cutoff);
    if (parts[0] === "series" && parts.length === 1) {
      const category = q.get("category");
      return json({ series: data.series.filter((s) => !category || s.category === category) });
    }
    if (parts[0] === "series" && parts.length === 2) {
      const s = data.series.find((x) => x.ticker === parts[1]);
      return s ? json({ series: s }) : notFound("series");
    }
    if (parts[0] === "series" && parts[2] === "markets" && parts[4] === "candlesticks") {
      return json({ ...data.candles, ticker: parts[3] });
    }
    if (path === "/markets/candlesticks") {
      const tickers = (q.get("market_tickers") ?? "").split(",").filter((t) => t !== "");
      return json({
        markets: tickers.map((t) => ({
          market_ticker: t,
          candlesticks: data.candles.candlesticks,
        })),
      });
    }
    if (path === "/markets/trades" || path === "/historical/trades") {
      const { items, cursor } = page(data.trades.trades as Json[], url, 1000);
      return json({ trades: items, cursor });
    }
    if (parts[0] === "historical" && parts[1] === "markets" && parts[3] === "candlesticks") {
      return json({ ...data.historicalCandles, ticker: parts[2] });
    }
    const marketsPath = parts[0] === "markets"
      ? 1
      : parts[0] === "historical" && parts[1] === "markets"
      ? 2
      : 0;
    if (marketsPath > 0 && parts.length === marketsPath) {
      let markets = data.markets;
      const event = q.get("event_ticker");
      const tickers = q.get("tickers");
      if (event) markets = markets.filter((m) => m.event_ticker === event);
      if (tickers) markets = markets.filter((m) => tickers.split(",").includes(m.ticker as string));
      const { items, cursor } = page(markets, url, 1000);
      return json({ cursor, markets: items });
    }
    if (marketsPath > 0 && parts.length === marketsPath + 1) {
      const m = data.markets.find((x) => x.ticker === parts[marketsPath]);
      return m ? json({ market: m }) : notFound("market");
    }
    if (parts[0] === "events" && parts.length === 1) {
      const nested = q.get("with_nested_markets") === "true";
      const events = data.events.map((e) =>
        nested
          ? { ...e, markets: data.markets.filter((m) => m.event_ticker === e.event_ticker) }
          : e
      );
      const { items, cursor } = page(events, url, 200);
      return json({ cursor, events: items });
    }
    if (parts[0] === "events" && parts.length === 2) {
      const e = data.events.find((x) => x.event_ticker === parts[1]);
      if (!e) return notFound("event");
      const markets = data.markets.filter((m) => m.event_ticker === e.event_ticker);
      return q.get("with_nested_markets") === "true"
        ? json({ event: { ...e, markets }, markets: [] })
        : json({ event: e, markets });
    }
    return notFound(`path ${path}`);
  };
}

/** A running fixture server. */
export interface FixtureServer {
  restUrl: string;
  wsUrl: string;
  /** Every WebSocket command received, in order. */
  commands: Json[];
  /** Closes every open WebSocket (the client should reconnect). */
  dropConnections(): void;
  /** Sends raw text to every open WebSocket. */
  broadcast(text: string): void;
  /** Number of WebSocket handshakes accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** Starts the fixture server on 127.0.0.1, port 0. */
export function startFixtureServer(data: FixtureData = loadFixtureData()): FixtureServer {
  const rest = fixtureRestHandler(data);
  const sockets = new Set<WebSocket>();
  const commands: Json[] = [];
  let handshakes = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (request) => {
    const url = new URL(request.url);
    if (url.pathname === "/trade-api/ws/v2") {
      const { socket, response } = Deno.upgradeWebSocket(request);
      handshakes++;
      let nextSid = 1;
      const sids = new Map<number, { channel: string; tickers: Set<string> }>();
      socket.onopen = () => sockets.add(socket);
      socket.onclose = () => sockets.delete(socket);
      socket.onmessage = (event) => {
        const cmd = JSON.parse(String(event.data)) as Json;
        commands.push(cmd);
        const params = (cmd.params ?? {}) as Json;
        if (cmd.cmd === "subscribe") {
          for (const channel of params.channels as string[]) {
            const sid = nextSid++;
            sids.set(sid, { channel, tickers: new Set((params.market_tickers as string[]) ?? []) });
            socket.send(JSON.stringify({ id: cmd.id, type: "subscribed", msg: { channel, sid } }));
          }
        } else if (cmd.cmd === "update_subscription") {
          const sid = (params.sid ?? (params.sids as number[])[0]) as number;
          const sub = sids.get(sid);
          if (!sub) {
            socket.send(
              JSON.stringify({ id: cmd.id, type: "error", msg: { code: 7, msg: "Unknown sid" } }),
            );
            return;
          }
          for (const t of params.market_tickers as string[]) {
            if (params.action === "add_markets") sub.tickers.add(t);
            else sub.tickers.delete(t);
          }
          socket.send(JSON.stringify({
            id: cmd.id,
            sid,
            seq: 1,
            type: "ok",
            msg: { market_tickers: [...sub.tickers] },
          }));
        } else if (cmd.cmd === "unsubscribe") {
          for (const sid of params.sids as number[]) {
            sids.delete(sid);
            socket.send(JSON.stringify({ id: cmd.id, sid, type: "unsubscribed" }));
          }
        } else {
          socket.send(
            JSON.stringify({ id: cmd.id, type: "error", msg: { code: 5, msg: "Unknown command" } }),
          );
        }
      };
      return response;
    }
    return rest(request);
  });
  const { port } = server.addr as Deno.NetAddr;
  return {
    restUrl: `http://127.0.0.1:${port}/trade-api/v2`,
    wsUrl: `ws://127.0.0.1:${port}/trade-api/ws/v2`,
    commands,
    dropConnections: () => {
      for (const s of sockets) s.close(1011, "test drop");
    },
    broadcast: (text) => {
      for (const s of sockets) s.send(text);
    },
    connections: () => handshakes,
    close: async () => {
      for (const s of sockets) s.close();
      await server.shutdown();
    },
  };
}
