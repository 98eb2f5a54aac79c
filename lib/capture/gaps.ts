/**
 * Decides the capture gaps of a WebSocket session: a span opens when messages may start being
 * missed (the socket dropped, a channel went stale, the process restarted) and closes when the
 * channel's subscription is confirmed again. Spans start at the connection's watermark (the
 * newest exchange time received) minus a slack, because anything sent after the last frame we
 * got may be lost; they end at the confirmation, after which the exchange sends again.
 */
import type { GapRow } from "./rows.ts";

interface OpenGap {
  startMs: number;
  reason: string;
  detail: Record<string, unknown>;
  /** update_subscription replies still expected before every market is back. */
  acksLeft: number;
  confirmed: boolean;
  endMs: number;
  /** The row names no markets (NULL: every market in scope open during the span). */
  allMarkets: boolean;
}

/** Markets of a channel: a list, or null for channel-wide subscriptions (lifecycle). */
export type ChannelMarkets = ReadonlyMap<string, readonly string[] | null>;

/** Tracks open gaps per channel. */
export class GapTracker {
  #open = new Map<string, OpenGap>();
  #watermark: number | null = null;
  #markets: ChannelMarkets = new Map();

  /** A tracker with no open gap and no watermark yet. */
  constructor(
    private readonly options: {
      /** Widen every gap start by this many ms (default 1000): exchange clocks and order vary. */
      slackMs?: number;
      /** Tickers per subscribe / update command (to know when a chunked re-subscribe is done). */
      tickersPerCommand?: number;
    } = {},
  ) {}

  /** The newest exchange time received (ms), or null. */
  get watermark(): number | null {
    return this.#watermark;
  }

  /** Channels with an open gap. */
  get openChannels(): string[] {
    return [...this.#open.keys()];
  }

  /** Records a received data message's exchange time. */
  seen(exchangeMs: number | null): void {
    if (exchangeMs !== null && (this.#watermark === null || exchangeMs > this.#watermark)) {
      this.#watermark = exchangeMs;
    }
  }

  /** Sets the watermark a previous session committed (restart). */
  resume(watermarkMs: number | null): void {
    if (watermarkMs !== null) this.seen(watermarkMs);
  }

  /** Remembers which markets each channel follows (the set a gap affects). */
  setMarkets(markets: ChannelMarkets): void {
    this.#markets = markets;
  }

  /**
   * Opens a gap on `channels` (all known channels when omitted) starting before `atMs`; an
   * already open gap keeps its earlier start. With `allMarkets` its row names no markets (NULL:
   * every market in scope open during the span) — for a restart, whose lost markets include
   * those the previous run watched and that closed meanwhile, not only the current watch set.
   */
  open(
    reason: string,
    atMs: number,
    options: { channels?: string[]; detail?: Record<string, unknown>; allMarkets?: boolean } = {},
  ): void {
    const slack = this.options.slackMs ?? 1000;
    const from = Math.min(atMs, this.#watermark ?? atMs) - slack;
    for (const channel of options.channels ?? [...this.#markets.keys()]) {
      const existing = this.#open.get(channel);
      if (existing !== undefined) {
        existing.confirmed = false;
        existing.allMarkets ||= options.allMarkets === true;
        existing.detail = {
          ...existing.detail,
          also: [...((existing.detail.also as string[]) ?? []), reason],
        };
        continue;
      }
      this.#open.set(channel, {
        startMs: from,
        reason,
        detail: options.detail ?? {},
        acksLeft: 0,
        confirmed: false,
        endMs: atMs,
        allMarkets: options.allMarkets === true,
      });
    }
  }

  /**
   * A `subscribed` reply for `channel` arrived at `atMs`; returns the closed gap unless more
   * chunks of markets are still to be confirmed.
   */
  subscribed(channel: string, atMs: number): GapRow | null {
    const gap = this.#open.get(channel);
    if (gap === undefined) return null;
    const markets = this.#markets.get(channel) ?? null;
    const per = this.options.tickersPerCommand ?? 500;
    gap.acksLeft = markets === null ? 0 : Math.max(0, Math.ceil(markets.length / per) - 1);
    gap.confirmed = true;
    gap.endMs = atMs;
    return gap.acksLeft === 0 ? this.#close(channel, gap) : null;
  }

  /** An `ok` reply on `channel` (a chunk of markets added) arrived at `atMs`. */
  acknowledged(channel: string, atMs: number): GapRow | null {
    const gap = this.#open.get(channel);
    if (gap === undefined || !gap.confirmed) return null;
    gap.endMs = atMs;
    gap.acksLeft--;
    return gap.acksLeft <= 0 ? this.#close(channel, gap) : null;
  }

  /** A one-off gap (e.g. a sequence gap) from the watermark to `atMs`. */
  instant(channel: string, reason: string, atMs: number, detail: Record<string, unknown>): GapRow {
    const slack = this.options.slackMs ?? 1000;
    return {
      channel,
      marketTickers: this.#marketsOf(channel),
      startMs: Math.min(atMs, this.#watermark ?? atMs) - slack,
      endMs: atMs,
      reason,
      detail,
    };
  }

  /** Closes every open gap at `atMs` (the service stops while they are open). */
  closeAll(atMs: number): GapRow[] {
    const rows: GapRow[] = [];
    for (const [channel, gap] of this.#open) {
      gap.endMs = Math.max(gap.endMs, atMs);
      rows.push(this.#close(channel, gap));
    }
    return rows;
  }

  #marketsOf(channel: string): string[] | null {
    const markets = this.#markets.get(channel);
    return markets === undefined || markets === null ? null : [...markets];
  }

  #close(channel: string, gap: OpenGap): GapRow {
    this.#open.delete(channel);
    return {
      channel,
      marketTickers: gap.allMarkets ? null : this.#marketsOf(channel),
      startMs: gap.startMs,
      endMs: Math.max(gap.startMs, gap.endMs),
      reason: gap.reason,
      detail: Object.keys(gap.detail).length === 0 ? null : gap.detail,
    };
  }
}
