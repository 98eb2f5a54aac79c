/**
 * A stored tick back into Kalshi's ticker `msg` (current field format: dollar strings, `_fp`
 * counts, whole-dollar amounts as numbers): the columns, then what the capture derived from them
 * (ts, time), then the stored `extra` fields, which win (a legacy `ts` the capture kept).
 * @module
 */

type Json = Record<string, unknown>;

/** A stored tick: decimal text as stored, `extra` the payload fields without a column. */
export interface StoredTick {
  market_ticker: string;
  price: string;
  yes_bid: string;
  yes_ask: string;
  volume: string;
  open_interest: string;
  yes_bid_size: string | null;
  yes_ask_size: string | null;
  last_trade_size: string | null;
  dollar_volume: string | null;
  dollar_open_interest: string | null;
  extra: Json | null;
}

/** Kalshi's ticker `msg` of a stored tick: what the capture derived (ts, time) is derived again. */
export function tickerMsg(r: StoredTick, tsMs: number): Json {
  const optional = (key: string, value: string | null) => value === null ? {} : { [key]: value };
  const whole = (key: string, value: string | null) =>
    value === null ? {} : { [key]: Number(value) };
  return {
    market_ticker: r.market_ticker,
    price_dollars: r.price,
    yes_bid_dollars: r.yes_bid,
    yes_ask_dollars: r.yes_ask,
    volume_fp: r.volume,
    open_interest_fp: r.open_interest,
    ...whole("dollar_volume", r.dollar_volume),
    ...whole("dollar_open_interest", r.dollar_open_interest),
    ...optional("yes_bid_size_fp", r.yes_bid_size),
    ...optional("yes_ask_size_fp", r.yes_ask_size),
    ...optional("last_trade_size_fp", r.last_trade_size),
    ts: Math.floor(tsMs / 1000),
    ts_ms: tsMs,
    time: new Date(tsMs).toISOString(),
    ...(r.extra ?? {}),
  };
}
