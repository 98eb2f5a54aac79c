/**
 * Candlesticks computed on demand from the same step functions that drive trades and tickers, so a
 * candle always agrees with the messages emitted inside its period. A period covers [end − P, end) in
 * ms and is reported by its end (Unix s); daily periods end at midnight US Eastern, like Kalshi's.
 */
import { countFp, dollars } from "./format.ts";
import { quoteAt, stepLive, stepMs, stepsDone, stepTime, tradesAt } from "./market_path.ts";
import type { MarketView } from "./objects.ts";

type Json = Record<string, unknown>;

/** Period lengths Kalshi accepts, minutes. */
export const PERIODS: readonly number[] = [1, 60, 1440];

const DAY = 86_400_000;
const ET = new Intl.DateTimeFormat("en-US", {
  timeZone: "America/New_York",
  hourCycle: "h23",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
});

function etOffsetMs(ms: number): number {
  const p: Record<string, number> = {};
  for (const part of ET.formatToParts(new Date(ms))) p[part.type] = Number(part.value);
  const local = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute);
  return local - Math.floor(ms / 60_000) * 60_000;
}

/** End (exclusive, Unix ms) of the period of `periodMin` minutes containing t. */
export function periodEndMs(t: number, periodMin: number): number {
  if (periodMin !== 1440) {
    const p = periodMin * 60_000;
    return Math.floor(t / p) * p + p;
  }
  const off = etOffsetMs(t);
  const localEnd = Math.floor((t + off) / DAY) * DAY + DAY;
  let end = localEnd - off;
  end = localEnd - etOffsetMs(end);
  return end;
}

/** Number of period ends in [startS, endS] (Unix s). */
export function periodCount(startS: number, endS: number, periodMin: number): number {
  if (endS < startS) return 0;
  return Math.floor((endS - startS) / (periodMin * 60)) + 1;
}

interface Ohlc {
  open: number;
  high: number;
  low: number;
  close: number;
}

interface Acc {
  endMs: number;
  bid: Ohlc;
  ask: Ohlc;
  trade: Ohlc | null;
  sumPv: number;
  volume: number;
  previous: number;
  oi: number;
}

function ohlc(v: number): Ohlc {
  return { open: v, high: v, low: v, close: v };
}
function push(o: Ohlc, v: number): void {
  if (v > o.high) o.high = v;
  if (v < o.low) o.low = v;
  o.close = v;
}

function ohlcDollars(o: Ohlc): Record<keyof Ohlc, string> {
  return {
    open: dollars(o.open),
    high: dollars(o.high),
    low: dollars(o.low),
    close: dollars(o.close),
  };
}

/** A candle's trade prices in dollars (`mean` volume-weighted), or null when nothing traded. */
function tradeDollars(c: Acc): Record<keyof Ohlc | "mean", string> | null {
  return c.trade
    ? { ...ohlcDollars(c.trade), mean: dollars(Math.round(c.sumPv / c.volume)) }
    : null;
}

/** Live keys: `open_dollars`, `high_dollars`, … in the order given. */
function liveKeys(fields: Record<string, string>): Json {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [`${k}_dollars`, v]));
}

/** Historical keys: bare names in alphabetical order, as Kalshi sends them. */
function historicalKeys(fields: Record<string, string>): Json {
  return Object.fromEntries(Object.entries(fields).sort(([a], [b]) => a < b ? -1 : 1));
}

function collect(
  view: MarketView,
  m: number,
  nowMs: number,
  startS: number,
  endS: number,
  periodMin: number,
): Acc[] {
  const w = view.world;
  const e = w.marketEvent[m];
  const from = Math.max(
    w.eventOpenMs[e],
    periodEndMs(startS * 1000 - 1, periodMin) - periodMin * 60_000,
  );
  const to = Math.min(w.eventCloseMs[e], endS * 1000, nowMs + 1);
  if (to < from) return [];
  const step = stepMs(w, m);
  const open = w.eventOpenMs[e];
  const k0 = Math.max(0, Math.ceil((from - open) / step));
  const k1 = Math.min(stepsDone(w, m, nowMs), Math.ceil((to - open) / step));
  const tot = view.current.at(m, k0);
  let last = tot.lastPrice;
  let oi = tot.openInterest;
  const out: Acc[] = [];
  let cur: Acc | null = null;
  for (let k = k0; k < k1; k++) {
    if (!stepLive(w, m, k)) continue;
    const t = stepTime(w, m, k);
    const end = periodEndMs(t, periodMin);
    const q = quoteAt(w, m, k);
    if (!cur || cur.endMs !== end) {
      cur = {
        endMs: end,
        bid: ohlc(q.bid),
        ask: ohlc(q.ask),
        trade: null,
        sumPv: 0,
        volume: 0,
        previous: last,
        oi,
      };
      out.push(cur);
    } else {
      push(cur.bid, q.bid);
      push(cur.ask, q.ask);
    }
    for (const tr of tradesAt(w, m, k)) {
      if (!cur.trade) cur.trade = ohlc(tr.yesPrice);
      else push(cur.trade, tr.yesPrice);
      cur.sumPv += tr.yesPrice * tr.count;
      cur.volume += tr.count;
      oi += tr.opening ? tr.count : -Math.min(tr.count, oi);
      last = tr.yesPrice;
    }
    cur.oi = oi;
  }
  // Keep only candles whose end lies inside [startS, endS].
  return out.filter((c) => c.endMs / 1000 >= startS && c.endMs / 1000 <= endS);
}

/** Live-format candles (`*_dollars`, `*_fp`; price keys omitted when absent) for one market. */
export function liveCandles(
  view: MarketView,
  m: number,
  nowMs: number,
  startS: number,
  endS: number,
  periodMin: number,
): Json[] {
  return collect(view, m, nowMs, startS, endS, periodMin).map((c) => {
    const price = liveKeys(tradeDollars(c) ?? {});
    if (c.previous >= 0) price.previous_dollars = dollars(c.previous);
    return {
      end_period_ts: c.endMs / 1000,
      open_interest_fp: countFp(c.oi),
      price,
      volume_fp: countFp(c.volume),
      yes_ask: liveKeys(ohlcDollars(c.ask)),
      yes_bid: liveKeys(ohlcDollars(c.bid)),
    };
  });
}

/** Historical-format candles (`open`/`close`… keys, explicit nulls, `volume`, `open_interest`). */
export function historicalCandles(
  view: MarketView,
  m: number,
  nowMs: number,
  startS: number,
  endS: number,
  periodMin: number,
): Json[] {
  return collect(view, m, nowMs, startS, endS, periodMin).map((c) => {
    const trade = tradeDollars(c);
    return {
      end_period_ts: c.endMs / 1000,
      open_interest: countFp(c.oi),
      price: {
        close: trade?.close ?? null,
        high: trade?.high ?? null,
        low: trade?.low ?? null,
        mean: trade?.mean ?? null,
        open: trade?.open ?? null,
        previous: c.previous >= 0 ? dollars(c.previous) : null,
      },
      volume: countFp(c.volume),
      yes_ask: historicalKeys(ohlcDollars(c.ask)),
      yes_bid: historicalKeys(ohlcDollars(c.bid)),
    };
  });
}

/**
 * The synthetic candle `include_latest_before_start` prepends: the latest real candle before startS,
 * projected to the first period boundary after startS, with OHLC omitted (live) or null (historical)
 * and `previous` = that candle's close. Null when the market has no candle before startS.
 */
export function latestBeforeStart(
  view: MarketView,
  m: number,
  nowMs: number,
  startS: number,
  periodMin: number,
  historical: boolean,
): Json | null {
  const w = view.world;
  const e = w.marketEvent[m];
  const step = stepMs(w, m);
  const open = w.eventOpenMs[e];
  const limitMs = Math.min(startS * 1000, nowMs + 1);
  let k = Math.min(stepsDone(w, m, nowMs), Math.ceil((limitMs - open) / step)) - 1;
  while (
    k >= 0 && (!stepLive(w, m, k) || periodEndMs(stepTime(w, m, k), periodMin) / 1000 >= startS)
  ) k--;
  if (k < 0) return null;
  const endS = periodEndMs(stepTime(w, m, k), periodMin) / 1000;
  const real = collect(view, m, nowMs, endS, endS, periodMin)[0];
  if (!real) return null;
  const close = real.trade ? real.trade.close : real.previous;
  const boundary = periodEndMs(startS * 1000, periodMin) / 1000;
  if (historical) {
    const nulls = { close: null, high: null, low: null, open: null };
    return {
      end_period_ts: boundary,
      open_interest: countFp(real.oi),
      price: { ...nulls, mean: null, previous: close >= 0 ? dollars(close) : null },
      volume: "0.00",
      yes_ask: nulls,
      yes_bid: nulls,
    };
  }
  return {
    end_period_ts: boundary,
    open_interest_fp: countFp(real.oi),
    price: close >= 0 ? { previous_dollars: dollars(close) } : {},
    volume_fp: "0.00",
    yes_ask: {},
    yes_bid: {},
  };
}
