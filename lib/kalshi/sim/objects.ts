/**
 * Builds Kalshi JSON objects (current format: "_dollars" strings, "_fp" counts) for series, events,
 * markets, trades and WebSocket channel messages from the world at a given time.
 */
import { countFp, dollars, rfc3339, secs } from "./format.ts";
import {
  quoteAt,
  type SimTrade,
  stepsDone,
  type Totals,
  TotalsCache,
  tradeId,
} from "./market_path.ts";
import {
  comboCollectionTicker,
  FREQUENCIES,
  isComboMarket,
  type LifecycleKind,
  marketId,
  marketStatus,
  marketStrike,
  marketUpdatedMs,
  type SeriesInfo,
  visibleCloseMs,
  type World,
} from "./world.ts";

type Json = Record<string, unknown>;

const DAY = 86_400_000;
const PROHIBITIONS = [
  "Employees of the source agency",
  "Persons with material non-public information",
];

/** Market facts at a time, shared by REST and WebSocket builders. */
export class MarketView {
  /** Totals cache at the clock's "now". */
  readonly current: TotalsCache;
  /** Totals cache at "now − 24 h" (volume_24h, previous_* fields). */
  readonly dayAgo: TotalsCache;
  constructor(readonly world: World) {
    this.current = new TotalsCache(world);
    this.dayAgo = new TotalsCache(world);
  }

  /** Running totals of market m at time t. */
  totals(m: number, t: number): Totals {
    return this.current.at(m, stepsDone(this.world, m, t));
  }

  /** Series JSON. */
  series(s: SeriesInfo, volumeHundredths?: number): Json {
    const out: Json = {
      additional_prohibitions: PROHIBITIONS,
      categories: [s.category],
      category: s.category,
      contract_terms_url: `https://sim.invalid/contract_terms/${s.ticker}.pdf`,
      contract_url: `https://sim.invalid/regulatory/${s.ticker}.pdf`,
      exchange_index: s.exchangeIndex,
      fee_multiplier: 1,
      fee_type: s.feeType,
      frequency: FREQUENCIES[s.frequencyClass].frequency,
      last_updated_ts: rfc3339(s.lastUpdatedMs),
      product_metadata: null,
      settlement_sources: [{ name: "Simulated Source Agency", url: "https://sim.invalid/" }],
      tags: [s.category.split(" ")[0]],
      ticker: s.ticker,
      title: s.title,
    };
    if (volumeHundredths !== undefined) out.volume_fp = countFp(volumeHundredths);
    return out;
  }

  /** Event JSON; `markets` is added by the caller when nesting. */
  event(e: number, single = false): Json {
    const w = this.world;
    const s = w.series[w.eventSeries[e]];
    const close = w.eventScheduledCloseMs[e];
    return {
      available_on_brokers: false,
      category: s.category,
      collateral_return_type: "",
      event_ticker: w.eventTickers[e],
      exchange_index: s.exchangeIndex,
      last_updated_ts: single ? "0001-01-01T00:00:00Z" : rfc3339(w.eventCreatedMs[e]),
      mutually_exclusive: false,
      product_metadata: null,
      series_ticker: s.ticker,
      settlement_sources: [{ name: "Simulated Source Agency", url: "https://sim.invalid/" }],
      strike_date: rfc3339(close),
      strike_period: "",
      sub_title: `On ${new Date(close).toISOString().slice(0, 16).replace("T", " ")} UTC`,
      title: `${s.title} on ${new Date(close).toISOString().slice(0, 10)}`,
    };
  }

  /** Combo-only market fields (titles, custom strike, legs), or null for a regular market. */
  combo(m: number): Json | null {
    const w = this.world;
    if (!isComboMarket(w, m)) return null;
    const e = w.marketEvent[m];
    const legs = w.comboLegs.get(m) ?? [];
    const legEvent = (l: number) => w.eventTickers[w.marketEvent[l]];
    const title = legs.map((l) => `${l.side} ${this.#legName(l.market)}`).join(",");
    return {
      custom_strike: {
        "Associated Events": legs.map((l) => legEvent(l.market)).join(","),
        "Associated Market Sides": legs.map((l) => l.side).join(","),
        "Associated Markets": legs.map((l) => w.marketTickers[l.market]).join(","),
        "Multivariate Event Ticker": w.eventTickers[e],
      },
      mve_collection_ticker: comboCollectionTicker(w.series[w.eventSeries[e]]),
      mve_selected_legs: legs.map((l) => ({
        event_ticker: legEvent(l.market),
        market_ticker: w.marketTickers[l.market],
        side: l.side,
      })),
      title,
      yes_sub_title: title,
      no_sub_title: title,
    };
  }

  #legName(l: number): string {
    const w = this.world;
    return `${w.series[w.eventSeries[w.marketEvent[l]]].title} at least ${marketStrike(w, l)}`;
  }

  /** Market JSON at time t. */
  market(m: number, t: number): Json {
    const w = this.world;
    const e = w.marketEvent[m];
    const s = w.series[w.eventSeries[e]];
    const status = marketStatus(w, m, t);
    const n = stepsDone(w, m, t);
    const n24 = stepsDone(w, m, t - DAY);
    const prev = this.dayAgo.at(m, n24);
    this.current.seed(m, prev);
    const tot = this.current.at(m, n);
    const trading = status === "active" || status === "inactive";
    const q = trading && n > 0 ? quoteAt(w, m, n - 1) : null;
    const pq = n24 > 0 && n24 <= n && t - DAY < w.eventCloseMs[e] ? quoteAt(w, m, n24 - 1) : null;
    const closeMs = visibleCloseMs(w, e, t);
    const strike = marketStrike(w, m);
    const determined = status === "determined" || status === "finalized";
    const yes = w.marketResult[m] === 1;
    const bid = q ? q.bid : 0;
    const ask = q ? q.ask : 10000;
    const out: Json = {
      can_close_early: true,
      close_time: rfc3339(closeMs),
      created_time: rfc3339(w.eventCreatedMs[e]),
      event_ticker: w.eventTickers[e],
      exchange_index: s.exchangeIndex,
      expected_expiration_time: rfc3339(closeMs + 5 * 60_000),
      expiration_time: rfc3339(closeMs + 7 * DAY),
      expiration_value: determined ? String(yes ? strike + 1 : strike - 1) : "",
      floor_strike: strike,
      last_price_dollars: dollars(Math.max(0, tot.lastPrice)),
      latest_expiration_time: rfc3339(closeMs + 7 * DAY),
      liquidity_dollars: "0.0000",
      market_type: "binary",
      no_ask_dollars: dollars(10000 - bid),
      no_bid_dollars: dollars(10000 - ask),
      no_sub_title: `Below ${strike}`,
      notional_value_dollars: "1.0000",
      occurrence_datetime: rfc3339(closeMs + 5 * 60_000),
      open_interest_fp: countFp(tot.openInterest),
      open_time: rfc3339(w.eventOpenMs[e]),
      previous_price_dollars: dollars(Math.max(0, prev.lastPrice)),
      previous_yes_ask_dollars: dollars(pq ? pq.ask : 0),
      previous_yes_bid_dollars: dollars(pq ? pq.bid : 0),
      price_level_structure: s.priceLevelStructure,
      price_ranges: [{ end: "1.0000", start: "0.0000", step: dollars(s.tickUnits) }],
      result: determined ? (yes ? "yes" : "no") : "",
      rules_primary:
        `If the simulated index is at least ${strike} at close, the market resolves to Yes.`,
      rules_secondary: "Simulated market; not affiliated with any exchange.",
      settlement_timer_seconds: s.settlementTimerSeconds,
      status,
      strike_type: "greater_or_equal",
      ticker: w.marketTickers[m],
      title: `${s.title} at least ${strike}?`,
      updated_time: rfc3339(marketUpdatedMs(w, m, t)),
      volume_24h_fp: countFp(tot.volume - prev.volume),
      volume_fp: countFp(tot.volume),
      yes_ask_dollars: dollars(ask),
      yes_ask_size_fp: countFp(q ? q.askSize : 0),
      yes_bid_dollars: dollars(bid),
      yes_bid_size_fp: countFp(q ? q.bidSize : 0),
      yes_sub_title: `At least ${strike}`,
    };
    if (determined) out.settlement_value_dollars = yes ? "1.0000" : "0.0000";
    if (status === "finalized") out.settlement_ts = rfc3339(w.eventSettledMs[e]);
    const combo = this.combo(m);
    if (combo) {
      // Combos are shaped like Kalshi's KXMVE markets: custom strike, legs, no floor, empty rules.
      delete out.floor_strike;
      Object.assign(out, combo, {
        expiration_value: "",
        is_provisional: false,
        rules_primary: "",
        rules_secondary: "",
        strike_type: "custom",
      });
    }
    return out;
  }

  /** REST trade JSON. */
  trade(t: SimTrade): Json {
    return {
      count_fp: countFp(t.count),
      created_time: rfc3339(t.tsMs),
      is_block_trade: false,
      no_price_dollars: dollars(10000 - t.yesPrice),
      taker_book_side: t.takerYes ? "bid" : "ask",
      taker_outcome_side: t.takerYes ? "yes" : "no",
      taker_side: t.takerYes ? "yes" : "no",
      ticker: this.world.marketTickers[t.market],
      trade_id: tradeId(this.world, t),
      yes_price_dollars: dollars(t.yesPrice),
    };
  }

  /** WebSocket `trade` message body. */
  tradeMsg(t: SimTrade): Json {
    return {
      trade_id: tradeId(this.world, t),
      market_ticker: this.world.marketTickers[t.market],
      yes_price_dollars: dollars(t.yesPrice),
      no_price_dollars: dollars(10000 - t.yesPrice),
      count_fp: countFp(t.count),
      taker_side: t.takerYes ? "yes" : "no",
      taker_outcome_side: t.takerYes ? "yes" : "no",
      taker_book_side: t.takerYes ? "bid" : "ask",
      is_block_trade: false,
      ts: secs(t.tsMs),
      ts_ms: t.tsMs,
    };
  }

  /** WebSocket `ticker` message body for market m after n steps, stamped at tsMs. */
  tickerMsg(m: number, n: number, tsMs: number, tot: Totals): Json {
    const w = this.world;
    const e = w.marketEvent[m];
    const trading = tsMs >= w.eventOpenMs[e] && tsMs < w.eventCloseMs[e] && n > 0;
    const q = trading ? quoteAt(w, m, n - 1) : null;
    return {
      market_ticker: w.marketTickers[m],
      market_id: marketId(w, m),
      price_dollars: dollars(Math.max(0, tot.lastPrice)),
      yes_bid_dollars: dollars(q ? q.bid : 0),
      yes_ask_dollars: dollars(q ? q.ask : 10000),
      volume_fp: countFp(tot.volume),
      open_interest_fp: countFp(tot.openInterest),
      dollar_volume: Math.floor(tot.dollarVolume / 1_000_000),
      dollar_open_interest: Math.floor(tot.openInterest * Math.max(0, tot.lastPrice) / 1_000_000),
      yes_bid_size_fp: countFp(q ? q.bidSize : 0),
      yes_ask_size_fp: countFp(q ? q.askSize : 0),
      last_trade_size_fp: countFp(tot.lastSize),
      ts: secs(tsMs),
      ts_ms: tsMs,
      time: rfc3339(tsMs),
    };
  }

  /** WebSocket `market_lifecycle_v2` (or, for combos, `multivariate_market_lifecycle`) body. */
  lifecycleMsg(m: number, kind: LifecycleKind): Json {
    const msg = this.#lifecycleBody(m, kind);
    const combo = kind === "created" ? this.combo(m) : null;
    if (combo) {
      const meta = msg.additional_metadata as Json;
      delete meta.floor_strike;
      Object.assign(meta, {
        name: combo.title,
        title: combo.title,
        yes_sub_title: combo.yes_sub_title,
        no_sub_title: combo.no_sub_title,
        rules_primary: "",
        rules_secondary: "",
        strike_type: "custom",
        custom_strike: combo.custom_strike,
      });
    }
    return msg;
  }

  #lifecycleBody(m: number, kind: LifecycleKind): Json {
    const w = this.world;
    const e = w.marketEvent[m];
    const s = w.series[w.eventSeries[e]];
    const ticker = w.marketTickers[m];
    const strike = marketStrike(w, m);
    switch (kind) {
      case "created":
        return {
          market_ticker: ticker,
          event_type: "created",
          exchange_index: s.exchangeIndex,
          open_ts: secs(w.eventOpenMs[e]),
          close_ts: secs(w.eventScheduledCloseMs[e]),
          price_level_structure: s.priceLevelStructure,
          price_ranges: [{ start: "0.0000", end: "1.0000", step: dollars(s.tickUnits) }],
          additional_metadata: {
            name: `At least ${strike}`,
            title: `${s.title} at least ${strike}?`,
            yes_sub_title: `At least ${strike}`,
            no_sub_title: `Below ${strike}`,
            rules_primary:
              `If the simulated index is at least ${strike} at close, the market resolves to Yes.`,
            rules_secondary: "Simulated market; not affiliated with any exchange.",
            can_close_early: true,
            event_ticker: w.eventTickers[e],
            expected_expiration_ts: secs(w.eventScheduledCloseMs[e] + 5 * 60_000),
            strike_type: "greater_or_equal",
            floor_strike: strike,
          },
        };
      case "deactivated":
        return { market_ticker: ticker, event_type: "deactivated", is_deactivated: true };
      case "activated":
        return { market_ticker: ticker, event_type: "activated", is_deactivated: false };
      case "close_date_updated":
        return {
          market_ticker: ticker,
          event_type: "close_date_updated",
          close_ts: secs(w.eventCloseMs[e]),
        };
      case "determined":
        return {
          market_ticker: ticker,
          event_type: "determined",
          result: w.marketResult[m] === 1 ? "yes" : "no",
          determination_ts: secs(w.eventDeterminedMs[e]),
          settlement_value: w.marketResult[m] === 1 ? "1.0000" : "0.0000",
        };
      case "settled":
        return {
          market_ticker: ticker,
          event_type: "settled",
          settled_ts: secs(w.eventSettledMs[e]),
        };
    }
  }

  /** WebSocket `event_lifecycle` message body (event created). */
  eventLifecycleMsg(e: number): Json {
    const w = this.world;
    const s = w.series[w.eventSeries[e]];
    const ev = this.event(e);
    return {
      event_ticker: w.eventTickers[e],
      exchange_index: s.exchangeIndex,
      title: ev.title,
      subtitle: ev.sub_title,
      collateral_return_type: "",
      series_ticker: s.ticker,
      strike_date: secs(w.eventScheduledCloseMs[e]),
    };
  }
}
