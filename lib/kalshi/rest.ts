/**
 * Typed Kalshi REST client on native fetch: per-environment base URL, the shared token-bucket
 * limiter on every attempt, retries with jittered exponential backoff on 429 / 5xx / network
 * errors (honouring Retry-After), a timeout per request, typed errors, cursor pagination as
 * async iterators, and optional RSA-PSS / Ed25519 request signing.
 */
import { authHeaders, type KalshiCredentials } from "./auth.ts";
import { backoffDelay, type BackoffOptions, retryAfterMs } from "./backoff.ts";
import { type Clock, type Random, systemClock } from "./clock.ts";
import { excerpt, KalshiHttpError, KalshiNetworkError, KalshiSchemaError } from "./errors.ts";
import { type Page, paginate } from "./pagination.ts";
import { processRateLimiter, type RateLimiter } from "./rate_limit.ts";
import {
  BatchCandlesticksResponseSchema,
  type Candlestick,
  CandlesticksResponseSchema,
  HistoricalCandlesticksResponseSchema,
} from "./schemas/candlestick.ts";
import { EventResponseSchema, EventsResponseSchema, type KalshiEvent } from "./schemas/event.ts";
import {
  ErrorBodySchema,
  type ExchangeStatus,
  ExchangeStatusSchema,
  type HistoricalCutoff,
  HistoricalCutoffSchema,
} from "./schemas/exchange.ts";
import { type Market, MarketResponseSchema, MarketsResponseSchema } from "./schemas/market.ts";
import type { OrderbookLevels } from "./orderbook.ts";
import {
  type MarketOrderbook,
  OrderbookResponseSchema,
  OrderbooksResponseSchema,
} from "./schemas/orderbook.ts";
import { type Series, SeriesListResponseSchema, SeriesResponseSchema } from "./schemas/series.ts";
import { type Trade, TradesResponseSchema } from "./schemas/trade.ts";
import { formatIssues } from "./validate.ts";
import type { ResponseValidator } from "./validator.ts";

/** Production REST base URL. */
export const PRODUCTION_REST_URL = "https://external-api.kalshi.com/trade-api/v2";
/** Demo REST base URL. */
export const DEMO_REST_URL = "https://external-api.demo.kalshi.co/trade-api/v2";

/** Kalshi's maximum tickers per `GET /markets/candlesticks` call. */
export const BATCH_CANDLES_MAX_TICKERS = 100;
/** Kalshi's maximum tickers per `GET /markets/orderbooks` call. */
export const BATCH_ORDERBOOKS_MAX_TICKERS = 100;
/** Kalshi's maximum `depth` of `GET /markets/{ticker}/orderbook` (0 or absent = every level). */
export const ORDERBOOK_MAX_DEPTH = 100;

/** A retry about to happen (for logging and metrics). */
export interface RetryInfo {
  /** The endpoint called (path without query). */
  endpoint: string;
  /** 0-based number of the attempt that failed. */
  attempt: number;
  /** Wait before the next attempt, ms. */
  delayMs: number;
  /** HTTP status, or null for a network error / timeout. */
  status: number | null;
  /** Why the attempt failed, in words. */
  reason: string;
}

/** REST client settings. */
export interface RestClientOptions {
  /** Base URL including `/trade-api/v2` (production by default; the simulator's in tests). */
  baseUrl?: string | URL;
  /** Sign requests when present (recommended: the documented budget applies). */
  credentials?: KalshiCredentials | null;
  /**
   * Limiter shared by every request; default the process-wide limiter at `readsPerSecond` with
   * a bucket of `readBurstSeconds`.
   */
  limiter?: RateLimiter;
  /** Reads per second for the default limiter (default 20, Kalshi Basic tier). */
  readsPerSecond?: number;
  /**
   * Bucket of the default limiter in seconds of `readsPerSecond` (default 1: half of Kalshi's
   * 2 s Basic/Advanced read bucket, so a cold start cannot trip a 429).
   */
  readBurstSeconds?: number;
  /** Per-attempt timeout in ms (default 10 000). */
  timeoutMs?: number;
  /** Retries after the first attempt for retryable failures (default 6). */
  maxRetries?: number;
  /** Backoff tuning. */
  backoff?: Omit<BackoffOptions, "random">;
  /** Injected clock (backoff sleeps and signature timestamps). */
  clock?: Clock;
  /** Injected randomness (backoff jitter). */
  random?: Random;
  /** Injected fetch. */
  fetch?: typeof fetch;
  /** Called before each retry. */
  onRetry?: (info: RetryInfo) => void;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call (and its retries). */
  signal?: AbortSignal;
}

/** Options of a paginated walk. */
export interface WalkOptions extends CallOptions {
  /** Stop after this many pages. */
  maxPages?: number;
}

/** `GET /series` filters. */
export interface SeriesQuery {
  /** The `category` query parameter. */
  category?: string;
  /** The `tags` query parameter. */
  tags?: string[];
  /** The `include_product_metadata` query parameter. */
  includeProductMetadata?: boolean;
  /** The `include_volume` query parameter. */
  includeVolume?: boolean;
  /** The `min_updated_ts` query parameter. */
  minUpdatedTs?: number;
}

/** `GET /events` filters (timestamps in Unix seconds). */
export interface EventsQuery {
  /** Page size (Kalshi's maximum when absent). */
  limit?: number;
  /** Cursor of the page to fetch (from the previous page). */
  cursor?: string;
  /** The `with_nested_markets` query parameter. */
  withNestedMarkets?: boolean;
  /** The `with_milestones` query parameter. */
  withMilestones?: boolean;
  /** The `status` query parameter. */
  status?: "unopened" | "open" | "closed" | "settled";
  /** The `series_ticker` query parameter. */
  seriesTicker?: string;
  /** The `tickers` query parameter. */
  tickers?: string[];
  /** The `min_close_ts` query parameter. */
  minCloseTs?: number;
  /** The `min_updated_ts` query parameter. */
  minUpdatedTs?: number;
}

/** `GET /events/multivariate` filters (multivariate, i.e. combo, events). */
export interface MultivariateEventsQuery {
  /** Page size (Kalshi's maximum when absent). */
  limit?: number;
  /** Cursor of the page to fetch (from the previous page). */
  cursor?: string;
  /** The `with_nested_markets` query parameter. */
  withNestedMarkets?: boolean;
  /** The `series_ticker` query parameter. */
  seriesTicker?: string;
}

/** `GET /markets` filters (timestamps in Unix seconds; families are mutually exclusive). */
export interface MarketsQuery {
  /** Page size (Kalshi's maximum when absent). */
  limit?: number;
  /** Cursor of the page to fetch (from the previous page). */
  cursor?: string;
  /** The `event_ticker` query parameter. */
  eventTicker?: string;
  /** The `series_ticker` query parameter. */
  seriesTicker?: string;
  /** The `status` query parameter. */
  status?: "unopened" | "open" | "paused" | "closed" | "settled";
  /** The `tickers` query parameter. */
  tickers?: string[];
  /** The `mve_filter` query parameter. */
  mveFilter?: "only" | "exclude";
  /** The `min_created_ts` query parameter. */
  minCreatedTs?: number;
  /** The `max_created_ts` query parameter. */
  maxCreatedTs?: number;
  /** The `min_close_ts` query parameter. */
  minCloseTs?: number;
  /** The `max_close_ts` query parameter. */
  maxCloseTs?: number;
  /** The `min_settled_ts` query parameter. */
  minSettledTs?: number;
  /** The `max_settled_ts` query parameter. */
  maxSettledTs?: number;
  /** The `min_updated_ts` query parameter. */
  minUpdatedTs?: number;
  /** The `max_updated_ts` query parameter. */
  maxUpdatedTs?: number;
}

/** `GET /historical/markets` filters (mutually exclusive). */
export interface HistoricalMarketsQuery {
  /** Page size (Kalshi's maximum when absent). */
  limit?: number;
  /** Cursor of the page to fetch (from the previous page). */
  cursor?: string;
  /** The `tickers` query parameter. */
  tickers?: string[];
  /** The `event_ticker` query parameter. */
  eventTicker?: string;
  /** The `series_ticker` query parameter. */
  seriesTicker?: string;
  /** The `mve_filter` query parameter. */
  mveFilter?: "exclude";
}

/** `GET /markets/trades` and `/historical/trades` filters (Unix seconds). */
export interface TradesQuery {
  /** Page size (Kalshi's maximum when absent). */
  limit?: number;
  /** Cursor of the page to fetch (from the previous page). */
  cursor?: string;
  /** The `ticker` query parameter. */
  ticker?: string;
  /** The `min_ts` query parameter. */
  minTs?: number;
  /** The `max_ts` query parameter. */
  maxTs?: number;
  /** The `is_block_trade` query parameter. */
  isBlockTrade?: boolean;
}

/** Candle window: Unix seconds, inclusive; period in minutes (1, 60 or 1440). */
export interface CandleQuery {
  /** Window start, Unix seconds (inclusive). */
  startTs: number;
  /** Window end, Unix seconds (inclusive). */
  endTs: number;
  /** Candle period in minutes. */
  periodInterval: 1 | 60 | 1440;
  /** Also return the last candle before `startTs` (`include_latest_before_start`). */
  includeLatestBeforeStart?: boolean;
}

/** Candles of one market. */
export interface MarketCandles {
  /** The market ticker. */
  ticker: string;
  /** Its candles, oldest first. */
  candlesticks: Candlestick[];
}

/** An event with its markets (nested or top-level, merged). */
export interface EventWithMarkets {
  /** The event. */
  event: KalshiEvent;
  /** Its markets. */
  markets: Market[];
}

type QueryValue = string | number | boolean | string[] | undefined;

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Turns a camelCase query object into Kalshi's snake_case search params (arrays comma-joined). */
export function toSearchParams(query: object): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query) as [string, QueryValue][]) {
    if (value === undefined) continue;
    params.set(snake(key), Array.isArray(value) ? value.join(",") : String(value));
  }
  return params;
}

/** The Kalshi REST client. */
export interface KalshiRestClient {
  /** Base URL in use. */
  readonly baseUrl: URL;
  /** GET any path below the base URL and validate it with `schema` (any zod schema fits). */
  get<T>(
    path: string,
    query: object,
    schema: ResponseValidator<T>,
    options?: CallOptions,
  ): Promise<T>;
  /** `GET /series` (not paginated). */
  listSeries(query?: SeriesQuery, options?: CallOptions): Promise<Series[]>;
  /** `GET /series/{ticker}`. */
  getSeries(ticker: string, options?: CallOptions & { includeVolume?: boolean }): Promise<Series>;
  /** One page of `GET /events`. */
  listEvents(query?: EventsQuery, options?: CallOptions): Promise<Page<KalshiEvent>>;
  /** Pages of `GET /events` from `query.cursor` to the end. */
  eventPages(query?: EventsQuery, options?: WalkOptions): AsyncGenerator<Page<KalshiEvent>>;
  /** Every event matching `query`. */
  iterateEvents(query?: EventsQuery, options?: WalkOptions): AsyncGenerator<KalshiEvent>;
  /** One page of `GET /events/multivariate` (combo events). */
  listMultivariateEvents(
    query?: MultivariateEventsQuery,
    options?: CallOptions,
  ): Promise<Page<KalshiEvent>>;
  /** `GET /events/{ticker}` with markets merged from nested and top-level. */
  getEvent(
    ticker: string,
    options?: CallOptions & { withNestedMarkets?: boolean },
  ): Promise<EventWithMarkets>;
  /** One page of `GET /markets`. */
  listMarkets(query?: MarketsQuery, options?: CallOptions): Promise<Page<Market>>;
  /** Pages of `GET /markets`. */
  marketPages(query?: MarketsQuery, options?: WalkOptions): AsyncGenerator<Page<Market>>;
  /** Every market matching `query`. */
  iterateMarkets(query?: MarketsQuery, options?: WalkOptions): AsyncGenerator<Market>;
  /** `GET /markets/{ticker}`. */
  getMarket(ticker: string, options?: CallOptions): Promise<Market>;
  /**
   * `GET /markets/{ticker}/orderbook`: YES and NO bids ascending (best last); the best `depth`
   * levels per side (1 … {@link ORDERBOOK_MAX_DEPTH}), every level when `depth` is absent.
   */
  getMarketOrderbook(
    ticker: string,
    options?: CallOptions & { depth?: number },
  ): Promise<OrderbookLevels>;
  /** `GET /markets/orderbooks`, split into calls of ≤ 100 tickers; one book per known market. */
  getMarketOrderbooks(
    tickers: readonly string[],
    options?: CallOptions,
  ): Promise<MarketOrderbook[]>;
  /** `GET /series/{s}/markets/{t}/candlesticks` (≤ 5000 candles per call). */
  getMarketCandlesticks(
    market: { seriesTicker: string; ticker: string },
    query: CandleQuery,
    options?: CallOptions,
  ): Promise<MarketCandles>;
  /** `GET /markets/candlesticks`, split into calls of ≤ 100 tickers (≤ 10 000 candles each). */
  getBatchCandlesticks(
    tickers: readonly string[],
    query: CandleQuery,
    options?: CallOptions,
  ): Promise<MarketCandles[]>;
  /** `GET /historical/cutoff`. */
  getHistoricalCutoff(options?: CallOptions): Promise<HistoricalCutoff>;
  /** One page of `GET /historical/markets`. */
  listHistoricalMarkets(
    query?: HistoricalMarketsQuery,
    options?: CallOptions,
  ): Promise<Page<Market>>;
  /** Every market of `GET /historical/markets`. */
  iterateHistoricalMarkets(
    query?: HistoricalMarketsQuery,
    options?: WalkOptions,
  ): AsyncGenerator<Market>;
  /** `GET /historical/markets/{ticker}`. */
  getHistoricalMarket(ticker: string, options?: CallOptions): Promise<Market>;
  /** `GET /historical/markets/{t}/candlesticks`. */
  getHistoricalCandlesticks(
    ticker: string,
    query: CandleQuery,
    options?: CallOptions,
  ): Promise<MarketCandles>;
  /** One page of `GET /markets/trades` (newest first). */
  listTrades(query?: TradesQuery, options?: CallOptions): Promise<Page<Trade>>;
  /** Every trade of `GET /markets/trades`. */
  iterateTrades(query?: TradesQuery, options?: WalkOptions): AsyncGenerator<Trade>;
  /** One page of `GET /historical/trades`. */
  listHistoricalTrades(query?: TradesQuery, options?: CallOptions): Promise<Page<Trade>>;
  /** Every trade of `GET /historical/trades`. */
  iterateHistoricalTrades(query?: TradesQuery, options?: WalkOptions): AsyncGenerator<Trade>;
  /** `GET /exchange/status`. */
  getExchangeStatus(options?: CallOptions): Promise<ExchangeStatus>;
}

function normaliseBase(baseUrl: string | URL): URL {
  const url = new URL(String(baseUrl));
  if (!url.pathname.endsWith("/")) url.pathname += "/";
  return url;
}

async function* flatten<T>(pages: AsyncIterable<Page<T>>): AsyncGenerator<T> {
  for await (const page of pages) yield* page.items;
}

/** Default read bucket in seconds of budget (see `KALSHI_READ_BURST_SECONDS`). */
export const DEFAULT_READ_BURST_SECONDS = 1;

function defaultLimiter(options: RestClientOptions): RateLimiter {
  const ratePerSecond = options.readsPerSecond ?? 20;
  const seconds = options.readBurstSeconds ?? DEFAULT_READ_BURST_SECONDS;
  return processRateLimiter({ ratePerSecond, burst: ratePerSecond * seconds });
}

/** What one attempt got back: the status, the `Retry-After` header and the body text. */
interface Reply {
  status: number;
  retryAfter: string | null;
  text: string;
}

/** A 2xx body parsed as JSON and validated with `schema`. */
function parseBody<T>(endpoint: string, text: string, schema: ResponseValidator<T>): T {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw new KalshiSchemaError(
      endpoint,
      [`body is not JSON: ${(error as Error).message}`],
      excerpt(text),
    );
  }
  const parsed = schema.safeParse(body, { reportInput: true });
  if (!parsed.success) {
    throw new KalshiSchemaError(endpoint, formatIssues(parsed.error), excerpt(text));
  }
  return parsed.data;
}

/** GET with the shared limiter, signing, a timeout per attempt, retries and validation. */
class RestTransport {
  readonly #baseUrl: URL;
  readonly #options: RestClientOptions;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #limiter: RateLimiter;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #credentials: KalshiCredentials | null;

  constructor(baseUrl: URL, options: RestClientOptions) {
    this.#baseUrl = baseUrl;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#limiter = options.limiter ?? defaultLimiter(options);
    this.#fetch = options.fetch ?? fetch;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#maxRetries = options.maxRetries ?? 6;
    this.#credentials = options.credentials ?? null;
  }

  async get<T>(
    path: string,
    query: object,
    schema: ResponseValidator<T>,
    call: CallOptions = {},
  ): Promise<T> {
    const url = new URL(path.replace(/^\//, ""), this.#baseUrl);
    const search = toSearchParams(query).toString();
    if (search !== "") url.search = search;
    const endpoint = `GET ${url.pathname}`;
    const signal = call.signal;
    for (let attempt = 0;; attempt++) {
      await this.#limiter.acquire(signal);
      const reply = await this.#send(url, endpoint, signal);
      if (reply instanceof KalshiNetworkError) {
        if (attempt >= this.#maxRetries) throw reply;
        const delayMs = this.#backoff(attempt);
        await this.#retry(
          { endpoint, attempt, delayMs, status: null, reason: reply.message },
          signal,
        );
        continue;
      }
      const { status, text } = reply;
      if (status >= 200 && status < 300) return parseBody(endpoint, text, schema);
      const error = httpError(status, endpoint, text);
      if (!error.retryable || attempt >= this.#maxRetries) throw error;
      const delayMs = retryAfterMs(reply.retryAfter, this.#clock.now()) ?? this.#backoff(attempt);
      await this.#retry({ endpoint, attempt, delayMs, status, reason: error.message }, signal);
    }
  }

  /** One attempt: the reply, or the network error (timeout included) to retry; a caller's abort throws. */
  async #send(
    url: URL,
    endpoint: string,
    signal: AbortSignal | undefined,
  ): Promise<Reply | KalshiNetworkError> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.#credentials !== null) {
      Object.assign(
        headers,
        authHeaders(this.#credentials, { method: "GET", url, timestampMs: this.#clock.now() }),
      );
    }
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const fetchImpl = this.#fetch;
    try {
      const response = await fetchImpl(url, { headers, signal: combined });
      const status = response.status;
      const retryAfter = response.headers.get("retry-after");
      const text = await response.text();
      return { status, retryAfter, text };
    } catch (cause) {
      if (signal?.aborted) throw signal.reason;
      return new KalshiNetworkError(endpoint, cause, timeout.aborted);
    }
  }

  #backoff(attempt: number): number {
    return backoffDelay(attempt, { ...this.#options.backoff, random: this.#random });
  }

  async #retry(info: RetryInfo, signal: AbortSignal | undefined): Promise<void> {
    this.#options.onRetry?.(info);
    await this.#clock.sleep(info.delayMs, signal);
  }
}

type Get = KalshiRestClient["get"];

/** The one-page listings, each turning its response into a {@link Page}. */
function pageListings(get: Get) {
  return {
    listEvents: async (query: EventsQuery = {}, call?: CallOptions) => {
      const r = await get("events", query, EventsResponseSchema, call);
      return { items: r.events, cursor: r.cursor };
    },
    listMultivariateEvents: async (query: MultivariateEventsQuery = {}, call?: CallOptions) => {
      const r = await get("events/multivariate", query, EventsResponseSchema, call);
      return { items: r.events, cursor: r.cursor };
    },
    listMarkets: async (query: MarketsQuery = {}, call?: CallOptions) => {
      const r = await get("markets", query, MarketsResponseSchema, call);
      return { items: r.markets, cursor: r.cursor };
    },
    listHistoricalMarkets: async (query: HistoricalMarketsQuery = {}, call?: CallOptions) => {
      const r = await get("historical/markets", query, MarketsResponseSchema, call);
      return { items: r.markets, cursor: r.cursor };
    },
    listTrades: async (query: TradesQuery = {}, call?: CallOptions) => {
      const r = await get("markets/trades", query, TradesResponseSchema, call);
      return { items: r.trades, cursor: r.cursor };
    },
    listHistoricalTrades: async (query: TradesQuery = {}, call?: CallOptions) => {
      const r = await get("historical/trades", query, TradesResponseSchema, call);
      return { items: r.trades, cursor: r.cursor };
    },
  };
}

/** Pages of a one-page listing from `query.cursor` on. */
function walk<Q extends { cursor?: string }, T>(
  baseUrl: URL,
  endpoint: string,
  list: (query: Q, call?: CallOptions) => Promise<Page<T>>,
  query: Q,
  walkOptions: WalkOptions = {},
): AsyncGenerator<Page<T>> {
  return paginate(
    (cursor) => list({ ...query, cursor }, { signal: walkOptions.signal }),
    {
      endpoint: `GET ${new URL(endpoint, baseUrl).pathname}`,
      startCursor: query.cursor,
      maxPages: walkOptions.maxPages,
    },
  );
}

/** Creates a REST client; nothing is fetched until a method is called. */
export function createRestClient(options: RestClientOptions = {}): KalshiRestClient {
  const baseUrl = normaliseBase(options.baseUrl ?? PRODUCTION_REST_URL);
  const transport = new RestTransport(baseUrl, options);
  const get: Get = (path, query, schema, call) => transport.get(path, query, schema, call);
  const {
    listEvents,
    listMultivariateEvents,
    listMarkets,
    listHistoricalMarkets,
    listTrades,
    listHistoricalTrades,
  } = pageListings(get);
  const enc = encodeURIComponent;

  return {
    baseUrl,
    get,
    listSeries: async (query = {}, call) =>
      (await get("series", query, SeriesListResponseSchema, call)).series,
    getSeries: async (ticker, call = {}) =>
      (await get(
        `series/${enc(ticker)}`,
        { includeVolume: call.includeVolume },
        SeriesResponseSchema,
        call,
      ))
        .series,
    listEvents,
    eventPages: (query = {}, w) => walk(baseUrl, "events", listEvents, query, w),
    iterateEvents: (query = {}, w) => flatten(walk(baseUrl, "events", listEvents, query, w)),
    listMultivariateEvents,
    getEvent: async (ticker, call = {}) => {
      const r = await get(
        `events/${enc(ticker)}`,
        { withNestedMarkets: call.withNestedMarkets },
        EventResponseSchema,
        call,
      );
      return { event: r.event, markets: r.allMarkets };
    },
    listMarkets,
    marketPages: (query = {}, w) => walk(baseUrl, "markets", listMarkets, query, w),
    iterateMarkets: (query = {}, w) => flatten(walk(baseUrl, "markets", listMarkets, query, w)),
    getMarket: async (ticker, call) =>
      (await get(`markets/${enc(ticker)}`, {}, MarketResponseSchema, call)).market,
    getMarketOrderbook: async (ticker, call = {}) =>
      (await get(
        `markets/${enc(ticker)}/orderbook`,
        { depth: depthParam(call.depth) },
        OrderbookResponseSchema,
        call,
      )).levels,
    getMarketOrderbooks: (tickers, call) => batchOrderbooks(get, tickers, call),
    getMarketCandlesticks: async (market, query, call) => {
      const r = await get(
        `series/${enc(market.seriesTicker)}/markets/${enc(market.ticker)}/candlesticks`,
        query,
        CandlesticksResponseSchema,
        call,
      );
      return { ticker: r.ticker, candlesticks: r.candlesticks };
    },
    getBatchCandlesticks: (tickers, query, call) => batchCandlesticks(get, tickers, query, call),
    getHistoricalCutoff: (call) => get("historical/cutoff", {}, HistoricalCutoffSchema, call),
    listHistoricalMarkets,
    iterateHistoricalMarkets: (query = {}, w) =>
      flatten(walk(baseUrl, "historical/markets", listHistoricalMarkets, query, w)),
    getHistoricalMarket: async (ticker, call) =>
      (await get(`historical/markets/${enc(ticker)}`, {}, MarketResponseSchema, call)).market,
    getHistoricalCandlesticks: async (ticker, query, call) => {
      const r = await get(
        `historical/markets/${enc(ticker)}/candlesticks`,
        query,
        HistoricalCandlesticksResponseSchema,
        call,
      );
      return { ticker: r.ticker, candlesticks: r.candlesticks };
    },
    listTrades,
    iterateTrades: (query = {}, w) =>
      flatten(walk(baseUrl, "markets/trades", listTrades, query, w)),
    listHistoricalTrades,
    iterateHistoricalTrades: (query = {}, w) =>
      flatten(walk(baseUrl, "historical/trades", listHistoricalTrades, query, w)),
    getExchangeStatus: (call) => get("exchange/status", {}, ExchangeStatusSchema, call),
  };
}

/** `GET /markets/candlesticks` in calls of at most {@link BATCH_CANDLES_MAX_TICKERS} tickers. */
async function batchCandlesticks(
  get: Get,
  tickers: readonly string[],
  query: CandleQuery,
  call?: CallOptions,
): Promise<MarketCandles[]> {
  const out: MarketCandles[] = [];
  for (let i = 0; i < tickers.length; i += BATCH_CANDLES_MAX_TICKERS) {
    const chunk = tickers.slice(i, i + BATCH_CANDLES_MAX_TICKERS);
    const r = await get(
      "markets/candlesticks",
      { marketTickers: chunk, ...query },
      BatchCandlesticksResponseSchema,
      call,
    );
    for (const m of r.markets) {
      out.push({ ticker: m.market_ticker, candlesticks: m.candlesticks });
    }
  }
  return out;
}

function depthParam(depth: number | undefined): number | undefined {
  if (depth === undefined) return undefined;
  if (!Number.isInteger(depth) || depth < 1 || depth > ORDERBOOK_MAX_DEPTH) {
    throw new RangeError(
      `order book depth must be an integer from 1 to ${ORDERBOOK_MAX_DEPTH} (got ${depth}); ` +
        "leave it out for every level",
    );
  }
  return depth;
}

/** `GET /markets/orderbooks` in calls of at most {@link BATCH_ORDERBOOKS_MAX_TICKERS} tickers. */
async function batchOrderbooks(
  get: Get,
  tickers: readonly string[],
  call?: CallOptions,
): Promise<MarketOrderbook[]> {
  const out: MarketOrderbook[] = [];
  for (let i = 0; i < tickers.length; i += BATCH_ORDERBOOKS_MAX_TICKERS) {
    const chunk = tickers.slice(i, i + BATCH_ORDERBOOKS_MAX_TICKERS);
    const r = await get("markets/orderbooks", { tickers: chunk }, OrderbooksResponseSchema, call);
    out.push(...r.orderbooks);
  }
  return out;
}

function httpError(status: number, endpoint: string, text: string): KalshiHttpError {
  let code: string | null = null;
  let message: string | null = null;
  try {
    const parsed = ErrorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      code = parsed.data.code;
      message = parsed.data.message;
    }
  } catch {
    // Not JSON (e.g. an HTML page from a proxy): the excerpt carries it.
  }
  return new KalshiHttpError(status, endpoint, excerpt(text), { code, message });
}
