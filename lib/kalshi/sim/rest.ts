/**
 * The simulator's REST surface under `/trade-api/v2`: Kalshi's market-data paths, query parameters,
 * limits, cursor pagination, status filters, error bodies and the historical cutoff split.
 */
import {
  historicalCandles,
  latestBeforeStart,
  liveCandles,
  periodCount,
  PERIODS,
} from "./candles.ts";
import { bookAt, restOrderbook } from "./book.ts";
import { rfc3339 } from "./format.ts";
import type { MarketView } from "./objects.ts";
import { parseTradeCursor, tradeCursor, tradePage } from "./trades.ts";
import {
  comboCollectionTicker,
  cutoffMs,
  isComboEvent,
  isComboMarket,
  isHistorical,
  marketExists,
  type MarketStatus,
  marketStatus,
  marketUpdatedMs,
  type World,
} from "./world.ts";

/** Kalshi-shaped error body `{"error":{"code","message"}}` with a status. */
export function errorResponse(status: number, code: string, message: string): Response {
  return json({ error: { code, message } }, status);
}

/** A JSON response. */
export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8" },
  });
}

class BadRequest extends Error {}

const STATUS_FILTER: Record<string, MarketStatus[]> = {
  unopened: ["initialized"],
  open: ["active", "inactive"],
  paused: ["inactive"],
  closed: ["closed", "determined"],
  settled: ["finalized"],
};

function int(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === "") return undefined;
  if (!/^-?\d+$/.test(v)) {
    throw new BadRequest(`Parameter validation failed: ${name} must be an integer`);
  }
  return Number(v);
}

function bool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  if (v === null || v === "") return false;
  if (v !== "true" && v !== "false") {
    throw new BadRequest(`Parameter validation failed: ${name} must be a boolean`);
  }
  return v === "true";
}

function limitOf(q: URLSearchParams, def: number, max: number, min = 0): number {
  const l = int(q, "limit");
  if (l === undefined) return def;
  if (l < min || l > max) {
    throw new BadRequest(`Parameter validation failed: limit must be between ${min} and ${max}`);
  }
  return l === 0 ? def : l;
}

function encodeCursor(tag: string, pos: number): string {
  return btoa(`${tag}.${pos}`).replace(/=+$/, "");
}

function decodeCursor(tag: string, c: string | null): number | null {
  if (c === null || c === "") return null;
  try {
    const [t, p] = atob(c).split(".");
    if (t === tag && /^\d+$/.test(p)) return Number(p);
  } catch { /* fall through */ }
  throw new BadRequest("invalid cursor");
}

/** Routes a REST request (path relative to `/trade-api/v2`) at simulated time `now`. */
export class RestApi {
  #seriesEvents: Map<number, number[]> | null = null;
  constructor(private view: MarketView, private now: () => number) {}

  get world(): World {
    return this.view.world;
  }

  /** Handles one GET; returns a Response (errors included). */
  handle(path: string, q: URLSearchParams): Response {
    try {
      return this.#route(path, q);
    } catch (err) {
      if (err instanceof BadRequest) return errorResponse(400, "bad_request", err.message);
      throw err;
    }
  }

  #route(path: string, q: URLSearchParams): Response {
    const parts = path.split("/").filter((p) => p !== "").map(decodeURIComponent);
    const [a, b, c, d, e] = parts;
    const n = parts.length;
    if (a === "series" && n === 1) return this.#seriesList(q);
    if (a === "series" && n === 2) return this.#seriesGet(b, q);
    if (a === "series" && n === 5 && c === "markets" && e === "candlesticks") {
      return this.#marketCandles(b, d, q);
    }
    if (a === "series" && n === 5 && c === "events" && e === "candlesticks") {
      return this.#eventCandles(b, d, q);
    }
    if (a === "events" && n === 1) return this.#eventsList(q);
    if (a === "events" && n === 2 && b !== "multivariate") return this.#eventGet(b, q);
    if (a === "events" && n === 2) return this.#multivariateEvents(q);
    if (a === "markets" && n === 1) return this.#marketsList(q, false);
    if (a === "markets" && n === 2 && b === "trades") return this.#trades(q, false);
    if (a === "markets" && n === 2 && b === "candlesticks") return this.#batchCandles(q);
    if (a === "markets" && n === 2 && b === "orderbooks") return this.#orderbooks(q);
    if (a === "markets" && n === 3 && c === "orderbook") return this.#orderbook(b, q);
    if (a === "markets" && n === 2) return this.#marketGet(b, false);
    if (a === "historical" && n === 2 && b === "cutoff") return this.#cutoff();
    if (a === "historical" && n === 2 && b === "markets") return this.#marketsList(q, true);
    if (a === "historical" && n === 2 && b === "trades") return this.#trades(q, true);
    if (a === "historical" && n === 3 && b === "markets") return this.#marketGet(c, true);
    if (a === "historical" && n === 4 && b === "markets" && d === "candlesticks") {
      return this.#historicalCandles(c, q);
    }
    if (a === "exchange" && n === 2 && b === "status") return this.#exchangeStatus();
    if (a === "exchange" && n === 2 && b === "schedule") return this.#exchangeSchedule();
    return errorResponse(404, "not_found", "not found");
  }

  #cutoff(): Response {
    const cut = cutoffMs(this.world, this.now());
    return json({
      market_positions_last_updated_ts: rfc3339(cut),
      market_settled_ts: rfc3339(cut),
      orders_updated_ts: rfc3339(cut + 7 * 86_400_000),
      trades_created_ts: rfc3339(cut),
    });
  }

  #exchangeStatus(): Response {
    const idx = [[0, "Default"], [1, "Combos"], [2, "Crypto & Commodities"]] as const;
    return json({
      exchange_active: true,
      exchange_index_statuses: idx.map(([i, description]) => ({
        description,
        exchange_active: true,
        exchange_index: i,
        intra_exchange_transfers_active: true,
        trading_active: true,
      })),
      intra_exchange_transfers_active: true,
      trading_active: true,
    });
  }

  #exchangeSchedule(): Response {
    const day = [{ open_time: "00:00", close_time: "23:59" }];
    return json({
      schedule: {
        maintenance_windows: [],
        standard_hours: [{
          start_time: "2020-01-01T00:00:00Z",
          end_time: "2100-01-01T00:00:00Z",
          monday: day,
          tuesday: day,
          wednesday: day,
          thursday: day,
          friday: day,
          saturday: day,
          sunday: day,
        }],
      },
    });
  }

  #seriesEventsIndex(): Map<number, number[]> {
    if (!this.#seriesEvents) {
      const map = new Map<number, number[]>();
      for (let e = 0; e < this.world.eventCount; e++) {
        const s = this.world.eventSeries[e];
        let list = map.get(s);
        if (!list) map.set(s, list = []);
        list.push(e);
      }
      this.#seriesEvents = map;
    }
    return this.#seriesEvents;
  }

  #seriesVolume(s: number): number {
    const now = this.now();
    let v = 0;
    for (const e of this.#seriesEventsIndex().get(s) ?? []) {
      if (this.world.eventCreatedMs[e] > now) continue;
      const first = this.world.eventFirstMarket[e];
      for (let m = first; m < first + this.world.eventMarketCount[e]; m++) {
        v += this.view.totals(m, now).volume;
      }
    }
    return v;
  }

  #seriesList(q: URLSearchParams): Response {
    const category = q.get("category");
    const tags = q.get("tags")?.split(",").filter((t) => t !== "") ?? [];
    const withVolume = bool(q, "include_volume");
    bool(q, "include_product_metadata");
    const minUpdated = int(q, "min_updated_ts");
    const out = this.world.series.filter((s) => {
      const j = this.view.series(s);
      if (category && !(j.categories as string[]).includes(category)) return false;
      if (tags.length && !tags.some((t) => (j.tags as string[]).includes(t))) return false;
      if (minUpdated !== undefined && s.lastUpdatedMs < minUpdated * 1000) return false;
      return true;
    }).map((s) => this.view.series(s, withVolume ? this.#seriesVolume(s.index) : undefined));
    return json({ series: out });
  }

  #seriesGet(ticker: string, q: URLSearchParams): Response {
    const s = this.world.seriesByTicker.get(ticker);
    if (s === undefined) return errorResponse(404, "not_found", "series not found");
    const withVolume = bool(q, "include_volume");
    return json({
      series: this.view.series(
        this.world.series[s],
        withVolume ? this.#seriesVolume(s) : undefined,
      ),
    });
  }

  #liveMarket(m: number, now: number): boolean {
    return marketExists(this.world, m, now) && !isHistorical(this.world, m, now);
  }

  #eventMarkets(e: number, now: number): unknown[] {
    const first = this.world.eventFirstMarket[e];
    const out: unknown[] = [];
    for (let m = first; m < first + this.world.eventMarketCount[e]; m++) {
      if (this.#liveMarket(m, now)) out.push(this.view.market(m, now));
    }
    return out;
  }

  #eventsList(q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const limit = limitOf(q, 200, 200, 1);
    const pos = decodeCursor("e", q.get("cursor"));
    const nested = bool(q, "with_nested_markets");
    bool(q, "with_milestones");
    const status = q.get("status");
    if (status !== null && status !== "" && !(status in STATUS_FILTER)) {
      throw new BadRequest("Parameter validation failed: invalid status");
    }
    const statuses = status ? STATUS_FILTER[status] : null;
    const seriesTicker = q.get("series_ticker");
    const minClose = int(q, "min_close_ts");
    const minUpdated = int(q, "min_updated_ts");
    let candidates: number[] | null = null;
    if (q.get("tickers")) {
      candidates = q.get("tickers")!.split(",").map((t) => w.eventByTicker.get(t)).filter((
        e,
      ): e is number => e !== undefined).sort((x, y) => y - x);
    } else if (seriesTicker) {
      const s = w.seriesByTicker.get(seriesTicker);
      candidates = s === undefined ? [] : [...(this.#seriesEventsIndex().get(s) ?? [])].reverse();
    }
    const events: unknown[] = [];
    let last = -1;
    let more = false;
    const consider = (e: number): boolean => {
      if (w.eventCreatedMs[e] > now) return true;
      if (isComboEvent(w, e)) return true; // Kalshi serves these at /events/multivariate only
      if (seriesTicker && w.series[w.eventSeries[e]].ticker !== seriesTicker) return true;
      if (minClose !== undefined && w.eventCloseMs[e] <= minClose * 1000) return true;
      if (minUpdated !== undefined && w.eventCreatedMs[e] < minUpdated * 1000) return true;
      if (statuses) {
        const first = w.eventFirstMarket[e];
        let any = false;
        for (let m = first; m < first + w.eventMarketCount[e] && !any; m++) {
          any = statuses.includes(marketStatus(w, m, now));
        }
        if (!any) return true;
      }
      if (events.length === limit) {
        more = true;
        return false;
      }
      const ev = this.view.event(e);
      if (nested) ev.markets = this.#eventMarkets(e, now);
      events.push(ev);
      last = e;
      return true;
    };
    if (candidates) {
      for (const e of candidates) if ((pos === null || e < pos) && !consider(e)) break;
    } else {
      for (let e = pos === null ? w.eventCount - 1 : pos - 1; e >= 0; e--) if (!consider(e)) break;
    }
    return json({ cursor: more ? encodeCursor("e", last) : "", events });
  }

  /** `GET /events/multivariate`: combo events, newest first (series_ticker | collection_ticker). */
  #multivariateEvents(q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const limit = limitOf(q, 100, 200, 1);
    const pos = decodeCursor("v", q.get("cursor"));
    const nested = bool(q, "with_nested_markets");
    const seriesTicker = q.get("series_ticker") || null;
    const collection = q.get("collection_ticker") || null;
    if (seriesTicker && collection) {
      throw new BadRequest("series_ticker and collection_ticker are mutually exclusive");
    }
    const events: unknown[] = [];
    let last = -1;
    let more = false;
    for (let e = pos === null ? w.eventCount - 1 : pos - 1; e >= 0; e--) {
      if (!isComboEvent(w, e) || w.eventCreatedMs[e] > now) continue;
      const s = w.series[w.eventSeries[e]];
      if (seriesTicker && s.ticker !== seriesTicker) continue;
      if (collection && comboCollectionTicker(s) !== collection) continue;
      if (events.length === limit) {
        more = true;
        break;
      }
      const ev = this.view.event(e);
      if (nested) ev.markets = this.#eventMarkets(e, now);
      events.push(ev);
      last = e;
    }
    return json({ cursor: more ? encodeCursor("v", last) : "", events });
  }

  #eventGet(ticker: string, q: URLSearchParams): Response {
    const e = this.world.eventByTicker.get(ticker);
    const now = this.now();
    if (e === undefined || this.world.eventCreatedMs[e] > now) {
      return errorResponse(404, "not_found", "event not found");
    }
    const ev = this.view.event(e, true);
    const markets = this.#eventMarkets(e, now);
    if (bool(q, "with_nested_markets")) {
      ev.markets = markets;
      return json({ event: ev, markets: [] });
    }
    return json({ event: ev, markets });
  }

  #marketGet(ticker: string | undefined, historical: boolean): Response {
    const m = ticker === undefined ? undefined : this.world.marketByTicker.get(ticker);
    const now = this.now();
    if (
      m === undefined || !marketExists(this.world, m, now) ||
      isHistorical(this.world, m, now) !== historical
    ) {
      return errorResponse(404, "not_found", "market not found");
    }
    return json({ market: this.view.market(m, now) });
  }

  /** `GET /markets/{ticker}/orderbook?depth=N`: both sides ascending, all levels when depth ≤ 0. */
  #orderbook(ticker: string, q: URLSearchParams): Response {
    const depth = int(q, "depth") ?? 0;
    if (depth < 0 || depth > 100) {
      throw new BadRequest("Parameter validation failed: depth must be between 0 and 100");
    }
    const m = this.world.marketByTicker.get(ticker);
    const now = this.now();
    if (m === undefined || !marketExists(this.world, m, now) || isHistorical(this.world, m, now)) {
      return errorResponse(404, "not_found", "market not found");
    }
    return json({ orderbook_fp: restOrderbook(bookAt(this.world, m, now), depth) });
  }

  /** `GET /markets/orderbooks?tickers=A,B` (or repeated `tickers`): one book per known market. */
  #orderbooks(q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const tickers = [...new Set(q.getAll("tickers").flatMap((v) => v.split(",")))]
      .filter((t) => t !== "");
    if (tickers.length === 0) throw new BadRequest("Query argument tickers is required");
    if (tickers.length > 100) {
      throw new BadRequest("Parameter validation failed: at most 100 tickers");
    }
    const orderbooks = [];
    for (const t of tickers) {
      const m = w.marketByTicker.get(t);
      if (m === undefined || !marketExists(w, m, now) || isHistorical(w, m, now)) continue;
      orderbooks.push({ ticker: t, orderbook_fp: restOrderbook(bookAt(w, m, now), 0) });
    }
    return json({ orderbooks });
  }

  #marketsList(q: URLSearchParams, historical: boolean): Response {
    const w = this.world;
    const now = this.now();
    const limit = limitOf(q, 100, 1000);
    const pos = decodeCursor("m", q.get("cursor"));
    const eventTicker = q.get("event_ticker") || null;
    const seriesTicker = q.get("series_ticker") || null;
    const tickers = q.get("tickers") || null;
    const mve = q.get("mve_filter") || null;
    if (mve !== null && mve !== "only" && mve !== "exclude") {
      throw new BadRequest("Parameter validation failed: mve_filter must be only or exclude");
    }
    let statuses: MarketStatus[] | null = null;
    const range = {
      created: [0, Infinity],
      close: [0, Infinity],
      settled: [0, Infinity],
      updated: [0, Infinity],
    };
    if (historical) {
      const used = [eventTicker, seriesTicker, tickers, mve].filter((x) => x !== null).length;
      if (used > 1) {
        throw new BadRequest(
          "tickers, event_ticker, series_ticker and mve_filter are mutually exclusive",
        );
      }
    } else {
      const status = q.get("status") || null;
      if (status !== null) {
        if (!(status in STATUS_FILTER)) {
          throw new BadRequest(`Parameter validation failed: invalid status ${status}`);
        }
        statuses = STATUS_FILTER[status];
      }
      const families: Array<[keyof typeof range, string[]]> = [
        ["created", ["unopened", "open"]],
        ["close", ["closed"]],
        ["settled", ["settled"]],
        ["updated", []],
      ];
      let usedFamily: string | null = null;
      for (const [name, allowed] of families) {
        const lo = int(q, `min_${name}_ts`);
        const hi = int(q, `max_${name}_ts`);
        if (lo === undefined && hi === undefined) continue;
        if (usedFamily) {
          throw new BadRequest(
            `min/max_${usedFamily}_ts and min/max_${name}_ts are mutually exclusive`,
          );
        }
        usedFamily = name;
        if (status !== null && !allowed.includes(status)) {
          throw new BadRequest(`min/max_${name}_ts cannot be combined with status=${status}`);
        }
        if (name === "updated" && mve !== "exclude") {
          throw new BadRequest("min/max_updated_ts requires mve_filter=exclude");
        }
        range[name] = [(lo ?? 0) * 1000, hi === undefined ? Infinity : hi * 1000 + 999];
      }
    }
    let candidates: number[] | null = null;
    if (tickers) {
      candidates = tickers.split(",").map((t) => w.marketByTicker.get(t)).filter((m): m is number =>
        m !== undefined
      )
        .sort((x, y) => y - x);
    } else if (eventTicker) {
      const e = w.eventByTicker.get(eventTicker);
      candidates = [];
      if (e !== undefined) {
        const first = w.eventFirstMarket[e];
        for (let m = first + w.eventMarketCount[e] - 1; m >= first; m--) candidates.push(m);
      }
    } else if (seriesTicker) {
      const s = w.seriesByTicker.get(seriesTicker);
      candidates = [];
      for (const e of [...(this.#seriesEventsIndex().get(s ?? -1) ?? [])].reverse()) {
        const first = w.eventFirstMarket[e];
        for (let m = first + w.eventMarketCount[e] - 1; m >= first; m--) candidates.push(m);
      }
    }
    const markets: unknown[] = [];
    let last = -1;
    let more = false;
    const inRange = (r: number[], t: number) => t >= r[0] && t <= r[1];
    const consider = (m: number): boolean => {
      if (mve !== null && isComboMarket(w, m) !== (mve === "only")) return true;
      if (!marketExists(w, m, now) || isHistorical(w, m, now) !== historical) return true;
      const e = w.marketEvent[m];
      if (statuses && !statuses.includes(marketStatus(w, m, now))) return true;
      if (!inRange(range.created, w.eventCreatedMs[e])) return true;
      if (!inRange(range.close, w.eventCloseMs[e])) return true;
      if (range.settled[1] !== Infinity || range.settled[0] !== 0) {
        if (w.eventSettledMs[e] > now || !inRange(range.settled, w.eventSettledMs[e])) return true;
      }
      if (!inRange(range.updated, marketUpdatedMs(w, m, now))) return true;
      if (markets.length === limit) {
        more = true;
        return false;
      }
      markets.push(this.view.market(m, now));
      last = m;
      return true;
    };
    if (candidates) {
      for (const m of candidates) if ((pos === null || m < pos) && !consider(m)) break;
    } else {
      for (let m = pos === null ? w.marketCount - 1 : pos - 1; m >= 0; m--) if (!consider(m)) break;
    }
    return json({ cursor: more ? encodeCursor("m", last) : "", markets });
  }

  #trades(q: URLSearchParams, historical: boolean): Response {
    const w = this.world;
    const now = this.now();
    const limit = limitOf(q, 100, 1000);
    const cursor = q.get("cursor");
    const after = cursor ? parseTradeCursor(cursor) : null;
    if (cursor && !after) throw new BadRequest("invalid cursor");
    const ticker = q.get("ticker") || null;
    if (bool(q, "is_block_trade")) return json({ cursor: "", trades: [] });
    const cut = cutoffMs(w, now);
    let from = (int(q, "min_ts") ?? 0) * 1000;
    let to = Math.min(now, ((int(q, "max_ts") ?? Infinity) * 1000) + 999);
    if (historical) to = Math.min(to, cut - 1);
    else from = Math.max(from, cut);
    let markets: number[] | null = null;
    if (ticker) {
      const m = w.marketByTicker.get(ticker);
      markets = m === undefined ? [] : [m];
    }
    const { trades, more } = tradePage(w, markets, from, to, after, limit);
    return json({
      cursor: more && trades.length ? tradeCursor(trades[trades.length - 1]) : "",
      trades: trades.map((t) => this.view.trade(t)),
    });
  }

  #withLatest(
    q: URLSearchParams,
    m: number,
    start: number,
    period: number,
    historical: boolean,
    candles: Record<string, unknown>[],
  ): Record<string, unknown>[] {
    if (!bool(q, "include_latest_before_start")) return candles;
    const synthetic = latestBeforeStart(this.view, m, this.now(), start, period, historical);
    return synthetic ? [synthetic, ...candles] : candles;
  }

  #candleParams(q: URLSearchParams): { start: number; end: number; period: number } {
    const start = int(q, "start_ts");
    if (start === undefined) throw new BadRequest("Query argument start_ts is required");
    const end = int(q, "end_ts");
    if (end === undefined) throw new BadRequest("Query argument end_ts is required");
    const period = int(q, "period_interval");
    if (period === undefined) throw new BadRequest("Query argument period_interval is required");
    if (!PERIODS.includes(period)) {
      throw new BadRequest(
        "Parameter validation failed for field PeriodInterval: must be one of 1, 60, 1440",
      );
    }
    return { start, end, period };
  }

  #marketCandles(seriesTicker: string, ticker: string, q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const m = w.marketByTicker.get(ticker);
    if (
      m === undefined || !marketExists(w, m, now) ||
      w.series[w.eventSeries[w.marketEvent[m]]].ticker !== seriesTicker
    ) {
      return errorResponse(404, "not_found", "market not found");
    }
    const { start, end, period } = this.#candleParams(q);
    if (isHistorical(w, m, now)) {
      return errorResponse(
        404,
        "not_found",
        "market not found: settled before the historical cutoff",
      );
    }
    if (periodCount(start, end, period) > 5000) {
      throw new BadRequest("Parameter validation failed: max candlesticks: 5000");
    }
    const candles = liveCandles(this.view, m, now, start, end, period);
    return json({ ticker, candlesticks: this.#withLatest(q, m, start, period, false, candles) });
  }

  #historicalCandles(ticker: string, q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const m = w.marketByTicker.get(ticker);
    if (m === undefined || !marketExists(w, m, now) || !isHistorical(w, m, now)) {
      return errorResponse(404, "not_found", "market not found");
    }
    const { start, end, period } = this.#candleParams(q);
    if (periodCount(start, end, period) > 5000) {
      throw new BadRequest("Parameter validation failed: max candlesticks: 5000");
    }
    const candles = historicalCandles(this.view, m, now, start, end, period);
    return json({ ticker, candlesticks: this.#withLatest(q, m, start, period, true, candles) });
  }

  #batchCandles(q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const tickers = (q.get("market_tickers") ?? "").split(",").filter((t) => t !== "");
    if (tickers.length === 0) throw new BadRequest("Query argument market_tickers is required");
    if (tickers.length > 100) {
      throw new BadRequest("Parameter validation failed: at most 100 market_tickers");
    }
    const { start, end, period } = this.#candleParams(q);
    if (periodCount(start, end, period) * tickers.length > 10000) {
      throw new BadRequest("Parameter validation failed: max candlesticks: 10000");
    }
    const markets = [];
    for (const t of tickers) {
      const m = w.marketByTicker.get(t);
      if (m === undefined || !marketExists(w, m, now) || isHistorical(w, m, now)) continue;
      markets.push({
        market_ticker: t,
        candlesticks: this.#withLatest(
          q,
          m,
          start,
          period,
          false,
          liveCandles(this.view, m, now, start, end, period),
        ),
      });
    }
    return json({ markets });
  }

  #eventCandles(seriesTicker: string, eventTicker: string, q: URLSearchParams): Response {
    const w = this.world;
    const now = this.now();
    const e = w.eventByTicker.get(eventTicker);
    if (
      e === undefined || w.eventCreatedMs[e] > now ||
      w.series[w.eventSeries[e]].ticker !== seriesTicker
    ) {
      return errorResponse(404, "not_found", "event not found");
    }
    const { start, end, period } = this.#candleParams(q);
    const first = w.eventFirstMarket[e];
    const ms: number[] = [];
    for (let m = first; m < first + w.eventMarketCount[e]; m++) {
      if (!isHistorical(w, m, now)) ms.push(m);
    }
    // Cap the aggregate at 5000 candles: shorten the window and report where it stopped.
    const perMarket = Math.max(1, Math.floor(5000 / Math.max(1, ms.length)));
    const adjustedEnd = Math.min(end, start + (perMarket - 1) * period * 60);
    return json({
      adjusted_end_ts: adjustedEnd,
      market_candlesticks: ms.map((m) =>
        liveCandles(this.view, m, now, start, adjustedEnd, period)
      ),
      market_tickers: ms.map((m) => w.marketTickers[m]),
    });
  }
}
