/**
 * Typed Kalshi client: payload parsers and normalised types (prices in integer 1/10000 dollar,
 * counts in integer 1/100 contract), request signing, REST client with shared rate limiting,
 * retries and pagination, WebSocket client with reconnect, gap and disconnect markers, shared
 * settings, payload validation, and the order-book types in exact units (the book itself is
 * lib/orderbook's). The simulator lives in `./sim/`.
 * @module
 */

export { type KalshiCredentials } from "./auth.ts";
export { backoffDelay } from "./backoff.ts";
export { type KalshiRestSettings, permittedEnv, runKalshiCli } from "./cli.ts";
export { type Clock, systemClock } from "./clock.ts";
export { KalshiHttpError, KalshiPaginationError } from "./errors.ts";
export { type OrderbookLevel, type OrderbookLevels, type OrderbookSide } from "./orderbook.ts";
export { type Page } from "./pagination.ts";
export { createRateLimiter } from "./rate_limit.ts";
export {
  type CandleQuery,
  createRestClient,
  type KalshiRestClient,
  type MarketsQuery,
  type MultivariateEventsQuery,
} from "./rest.ts";
export { type Candlestick } from "./schemas/candlestick.ts";
export { type KalshiEvent, parseEvent } from "./schemas/event.ts";
export { type Market, parseMarket } from "./schemas/market.ts";
export {
  EARLIEST_TIME_MS,
  isWithinTimeWindow,
  TIME_LIMIT_MS,
  unstorableJson,
  unstorableText,
} from "./schemas/primitives.ts";
export { parseSeries, type Series } from "./schemas/series.ts";
export { type Trade } from "./schemas/trade.ts";
export {
  type EventFeeUpdateMessage,
  type EventLifecycleMessage,
  type MarketLifecycleMessage,
  type OrderbookDeltaMsg,
  type OrderbookSnapshotMsg,
  parseWsMessage,
  type TickerMessage,
  type TradeMessage,
  type WsMessage,
} from "./schemas/ws.ts";
export { createServerClock } from "./server_clock.ts";
export {
  credentialsFromSettings,
  kalshiApiKeyId,
  kalshiClock,
  kalshiPrivateKeyPath,
  kalshiReadBurstSeconds,
  kalshiReadsPerSecond,
  kalshiRestUrl,
  kalshiSettings,
  kalshiWsUrl,
} from "./settings.ts";
export {
  type CountUnits,
  countUnitsToFixedPoint,
  dollarsToPriceUnits,
  fixedPointToCountUnits,
  PRICE_UNITS_PER_DOLLAR,
  type PriceUnits,
  priceUnitsToDollars,
} from "./units.ts";
export {
  type ResponseValidator,
  type ValidationError,
  type ValidationIssue,
  type ValidationResult,
} from "./validator.ts";
export { createWsClient, type KalshiWsClient } from "./ws.ts";
export { type WsStreamItem } from "./ws_stream.ts";
export { type CallOptions } from "./rest.ts";
export { type CliIo } from "./cli.ts";
export { type ErrorMessage } from "./schemas/ws.ts";
export { type EventWithMarkets } from "./rest.ts";
export { type EventsQuery } from "./rest.ts";
export { type ExchangeIndexStatus, type ExchangeStatus } from "./schemas/exchange.ts";
export { type HistoricalCutoff } from "./schemas/exchange.ts";
export { type HistoricalMarketsQuery } from "./rest.ts";
export { type MarketCandles } from "./rest.ts";
export { type MarketOrderbook } from "./schemas/orderbook.ts";
export { type OkMessage } from "./schemas/ws.ts";
export { type OrderbookChange } from "./orderbook.ts";
export { type PriceRangeUnits } from "./schemas/primitives.ts";
export { type QuoteOhlc } from "./schemas/candlestick.ts";
export { type RateLimiter } from "./rate_limit.ts";
export { type RateLimiterOptions } from "./rate_limit.ts";
export { type RestClientOptions } from "./rest.ts";
export { type SeriesQuery } from "./rest.ts";
export { type ServerClock } from "./server_clock.ts";
export { type SubscribeOptions } from "./ws_subscriptions.ts";
export { type SubscribedMessage } from "./schemas/ws.ts";
export { type SubscriptionState } from "./ws_subscriptions.ts";
export { type TradeFill } from "./schemas/trade.ts";
export { type TradeOhlc } from "./schemas/candlestick.ts";
export { type TradesQuery } from "./rest.ts";
export { type UnsubscribedMessage } from "./schemas/ws.ts";
export { type WalkOptions } from "./rest.ts";
export { type Wire } from "./schemas/primitives.ts";
export { type WsClientOptions } from "./ws.ts";
export { type WsDisconnectItem } from "./ws_stream.ts";
export { type WsEnvelope } from "./schemas/ws.ts";
export { type WsGapItem } from "./ws_stream.ts";
export { type WsParseResult } from "./schemas/ws.ts";
export { type WsRefusedItem } from "./ws_stream.ts";
export { type Random } from "./clock.ts";
export { type RetryInfo } from "./rest.ts";
