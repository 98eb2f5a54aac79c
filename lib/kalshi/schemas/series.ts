/** Kalshi Series object (REST `/series`, `/series/{ticker}`) and responses. */
import { z } from "zod";
import type { CountUnits } from "../units.ts";
import {
  countShape,
  FiniteNumber,
  JsonObject,
  Label,
  NonNegativeInt32,
  OptionalTime,
  readCount,
  readNumber,
  readString,
  readTime,
  requireStorableJson,
  SettlementSource,
  Text,
  Ticker,
  type Wire,
} from "./primitives.ts";

/** Normalised series. */
export interface Series {
  /** The series ticker. */
  ticker: string;
  /** The series' title. */
  title: string | null;
  /** Category. */
  category: string | null;
  /** Every category it is listed under. */
  categories: string[];
  /** How often its events recur (`hourly`, `daily`, …). */
  frequency: string | null;
  /** Tags. */
  tags: string[];
  /** Fee type. */
  feeType: string | null;
  /** Fee multiplier as Kalshi sends it (a plain number, not money). */
  feeMultiplier: number | null;
  /** Traded volume in 1/100 contract, when requested with include_volume. */
  volume: CountUnits | null;
  /** When Kalshi last updated it, RFC 3339. */
  lastUpdatedTs: string | null;
  /** Kalshi's exchange index. */
  exchangeIndex: number | null;
  /** The payload as received, unknown fields kept. */
  raw: Wire;
}

/** Wire schema of a Kalshi Series. */
export const SeriesWire = z.looseObject({
  ticker: Ticker,
  title: Text.nullish(),
  category: Label.nullish(),
  categories: z.array(Label).nullish(),
  frequency: Label.nullish(),
  tags: z.array(Label).nullish(),
  settlement_sources: z.array(SettlementSource).nullish(),
  contract_url: Text.nullish(),
  contract_terms_url: Text.nullish(),
  product_metadata: JsonObject.nullish(),
  fee_type: Label.nullish(),
  fee_multiplier: FiniteNumber.nullish(),
  additional_prohibitions: z.array(Text).nullish(),
  ...countShape("volume"),
  last_updated_ts: OptionalTime,
  exchange_index: NonNegativeInt32.nullish(),
}).superRefine(requireStorableJson);

/** Converts a validated wire series to the normalised form. */
export function toSeries(wire: Wire): Series {
  return {
    ticker: wire.ticker as string,
    title: readString(wire.title),
    category: readString(wire.category),
    categories: (wire.categories as string[] | null | undefined) ?? [],
    frequency: readString(wire.frequency),
    tags: (wire.tags as string[] | null | undefined) ?? [],
    feeType: readString(wire.fee_type),
    feeMultiplier: readNumber(wire.fee_multiplier),
    volume: readCount(wire, "volume"),
    lastUpdatedTs: readTime(wire.last_updated_ts),
    exchangeIndex: readNumber(wire.exchange_index),
    raw: wire,
  };
}

/** A Kalshi Series, validated and normalised. */
export const SeriesSchema = SeriesWire.transform((wire) => toSeries(wire));

/** Validates a wire series and normalises it; throws when it is invalid. */
export function parseSeries(input: unknown): Series {
  return SeriesSchema.parse(input);
}

/** `GET /series` response (not paginated; `series` may be null when nothing matches). */
export const SeriesListResponseSchema = z.looseObject({
  series: z.array(SeriesSchema).nullish().transform((s) => s ?? []),
  cursor: z.string().nullish(),
});

/** `GET /series/{ticker}` response. */
export const SeriesResponseSchema = z.looseObject({ series: SeriesSchema });
