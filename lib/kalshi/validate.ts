/**
 * Validation of recorded Kalshi payloads (REST responses, WebSocket messages, NDJSON tapes):
 * recorder envelopes are unwrapped, the payload type is detected (or given), and every
 * problem is reported as "field: expected …, received …".
 */
import type { z } from "zod";
import {
  BatchCandlesticksResponseSchema,
  CandlestickSchema,
  CandlesticksResponseSchema,
} from "./schemas/candlestick.ts";
import { EventResponseSchema, EventSchema, EventsResponseSchema } from "./schemas/event.ts";
import {
  ErrorBodySchema,
  ExchangeStatusSchema,
  HistoricalCutoffSchema,
} from "./schemas/exchange.ts";
import { MarketResponseSchema, MarketSchema, MarketsResponseSchema } from "./schemas/market.ts";
import { OrderbookResponseSchema, OrderbooksResponseSchema } from "./schemas/orderbook.ts";
import { SeriesListResponseSchema, SeriesResponseSchema, SeriesSchema } from "./schemas/series.ts";
import { TradeSchema, TradesResponseSchema } from "./schemas/trade.ts";
import { parseWsMessage } from "./schemas/ws.ts";
import type { ValidationError } from "./validator.ts";

/** REST payload types the validator knows, by name (`--type`). */
export const REST_PAYLOAD_SCHEMAS: Readonly<Record<string, z.ZodType>> = {
  series_list: SeriesListResponseSchema,
  series_response: SeriesResponseSchema,
  series: SeriesSchema,
  events_list: EventsResponseSchema,
  event_response: EventResponseSchema,
  event: EventSchema,
  markets_list: MarketsResponseSchema,
  market_response: MarketResponseSchema,
  market: MarketSchema,
  candlesticks: CandlesticksResponseSchema,
  batch_candlesticks: BatchCandlesticksResponseSchema,
  candlestick: CandlestickSchema,
  trades: TradesResponseSchema,
  trade: TradeSchema,
  orderbook: OrderbookResponseSchema,
  orderbooks: OrderbooksResponseSchema,
  historical_cutoff: HistoricalCutoffSchema,
  exchange_status: ExchangeStatusSchema,
  error: ErrorBodySchema,
};

/** Every accepted `--type` value ("ws" = any WebSocket message). */
export const PAYLOAD_TYPES: readonly string[] = [...Object.keys(REST_PAYLOAD_SCHEMAS), "ws"];

/** Result of validating one payload. */
export interface PayloadOutcome {
  status: "valid" | "unsupported" | "invalid";
  /** Detected or requested payload type; for WebSocket messages `ws:<type>`. */
  type: string;
  /** Recorder envelope that was removed ("recv_ms/event", "fetched_at_ms/response"), if any. */
  envelope: string | null;
  /** Human-readable problems ("markets[0].ticker: … , received 5"). */
  errors: string[];
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Removes the recorder wrappers found in the shared fixtures; returns the Kalshi payload. */
export function unwrapEnvelope(value: unknown): { payload: unknown; envelope: string | null } {
  if (isObject(value)) {
    if ("recv_ms" in value && "event" in value) {
      return { payload: value.event, envelope: "recv_ms/event" };
    }
    if ("fetched_at_ms" in value && "response" in value) {
      return { payload: value.response, envelope: "fetched_at_ms/response" };
    }
  }
  return { payload: value, envelope: null };
}

/** Guesses the payload type from its top-level keys; null when nothing fits. */
export function detectPayloadType(payload: unknown): string | null {
  if (!isObject(payload)) return null;
  const has = (key: string) => key in payload;
  if (typeof payload.type === "string") return "ws";
  if (has("error") && Object.keys(payload).length <= 2) return "error";
  if (typeof payload.code === "string" && Object.keys(payload).length <= 3) return "error";
  if (has("market_settled_ts") || has("trades_created_ts")) return "historical_cutoff";
  if (has("exchange_active") || has("trading_active")) return "exchange_status";
  if (has("candlesticks")) return "candlesticks";
  if (has("orderbook_fp")) return "orderbook";
  if (has("orderbooks")) return "orderbooks";
  if (
    Array.isArray(payload.markets) &&
    payload.markets.some((m) => isObject(m) && "candlesticks" in m)
  ) {
    return "batch_candlesticks";
  }
  if (has("event")) return "event_response";
  if (has("events")) return "events_list";
  if (has("market")) return "market_response";
  if (has("markets")) return "markets_list";
  if (has("trades")) return "trades";
  if (has("series")) {
    return Array.isArray(payload.series) || payload.series === null
      ? "series_list"
      : "series_response";
  }
  if (has("trade_id")) return "trade";
  if (has("end_period_ts")) return "candlestick";
  if (has("event_ticker") && has("market_type")) return "market";
  if (has("event_ticker") && has("series_ticker")) return "event";
  if (has("ticker") && (has("frequency") || has("fee_type"))) return "series";
  return null;
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing (field missing)";
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Formats a zod path like `markets[0].yes_bid_dollars`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out === "" ? String(key) : `.${String(key)}`;
  }
  return out === "" ? "(payload)" : out;
}

/** Turns a validation error into one line per issue: field, what was expected, the value received. */
export function formatIssues(error: ValidationError): string[] {
  return error.issues.map((issue) => {
    if (issue.code === "invalid_type" && issue.input === undefined) {
      return `${formatPath(issue.path)}: required field missing (expected ${issue.expected})`;
    }
    const message = issue.message.replace(/^Invalid input: /, "").replace(/, received \w+$/, "");
    return `${formatPath(issue.path)}: ${message}; received ${describe(issue.input)}`;
  });
}

/** Validates one decoded payload (envelopes unwrapped), detecting its type unless given. */
export function validatePayload(value: unknown, options: { type?: string } = {}): PayloadOutcome {
  const { payload, envelope } = unwrapEnvelope(value);
  const type = options.type ?? detectPayloadType(payload);
  if (type === null) {
    return {
      status: "invalid",
      type: "unknown",
      envelope,
      errors: ["(payload): could not recognise a Kalshi payload type; pass --type"],
    };
  }
  if (type === "ws") {
    const result = parseWsMessage(payload);
    const wsType = isObject(payload) && typeof payload.type === "string" ? payload.type : "?";
    if (result.status === "valid") {
      return { status: "valid", type: `ws:${wsType}`, envelope, errors: [] };
    }
    if (result.status === "unsupported") {
      return { status: "unsupported", type: `ws:${wsType}`, envelope, errors: [] };
    }
    return {
      status: "invalid",
      type: `ws:${wsType}`,
      envelope,
      errors: formatIssues(result.error),
    };
  }
  const schema = REST_PAYLOAD_SCHEMAS[type];
  if (schema === undefined) {
    return { status: "invalid", type, envelope, errors: [`unknown payload type "${type}"`] };
  }
  const parsed = schema.safeParse(payload, { reportInput: true });
  return parsed.success
    ? { status: "valid", type, envelope, errors: [] }
    : { status: "invalid", type, envelope, errors: formatIssues(parsed.error) };
}

/** Outcome of one line / document of a file. */
export interface LineOutcome extends PayloadOutcome {
  /** 1-based line number for NDJSON, null for a single JSON document. */
  line: number | null;
}

/**
 * Validates a file's text: one JSON document (an array counts as a list of payloads), or
 * NDJSON/JSONL with one payload per non-empty line. Lines that are not JSON are invalid.
 */
export function validateText(text: string, options: { type?: string } = {}): LineOutcome[] {
  let whole: unknown;
  let wholeOk = false;
  try {
    whole = JSON.parse(text);
    wholeOk = true;
  } catch {
    wholeOk = false;
  }
  if (wholeOk) {
    if (Array.isArray(whole)) {
      return whole.map((item, i) => ({ ...validatePayload(item, options), line: i + 1 }));
    }
    return [{ ...validatePayload(whole, options), line: null }];
  }
  const outcomes: LineOutcome[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      outcomes.push({
        status: "invalid",
        type: "unknown",
        envelope: null,
        errors: [`not JSON: ${(error as Error).message}`],
        line: index + 1,
      });
      return;
    }
    outcomes.push({ ...validatePayload(value, options), line: index + 1 });
  });
  if (outcomes.length === 0) {
    outcomes.push({
      status: "invalid",
      type: "unknown",
      envelope: null,
      errors: ["empty file: no JSON payload"],
      line: null,
    });
  }
  return outcomes;
}
