/**
 * ws_service's metrics: counters the run loop increments and gauges read from the pipeline and
 * the new-market scheduler at render time, plus messages per second over the last 10 s.
 * @module
 */
import type { CapturePipeline } from "@kalshi-data/lib/capture";
import type { Counter, Metrics } from "@kalshi-data/lib/runtime";
import type { NewMarketScheduler } from "./new_markets.ts";

/** The counters of a capture run. */
export interface CaptureCounters {
  messages: Counter;
  reconnects: Counter;
  gaps: Counter;
  deadLetters: Counter;
  authFailures: Counter;
  jobsScheduled: Counter;
  /** Counts one message of `type` toward `ws_messages_total` and the per-second rate. */
  message(type: string): void;
  /** Stops the rate timer. */
  close(): void;
}

/** Registers the counters. */
export function captureCounters(metrics: Metrics): CaptureCounters {
  const messages = metrics.counter("ws_messages_total", "WebSocket messages received by type");
  const rates = new Map<string, number>();
  const counted = new Map<string, number>();
  metrics.collect(
    "ws_messages_per_second",
    "messages per second by type (last 10 s)",
    () => [...rates].map(([type, rate]) => [{ type }, rate]),
  );
  const timer = setInterval(() => {
    for (const [type, n] of counted) rates.set(type, n / 10);
    counted.clear();
  }, 10_000);
  return {
    messages,
    reconnects: metrics.counter("ws_reconnects_total", "WebSocket reconnections"),
    gaps: metrics.counter("ws_capture_gaps_total", "capture gaps recorded by reason"),
    deadLetters: metrics.counter("ws_dead_letters_total", "malformed or unknown frames"),
    authFailures: metrics.counter("ws_auth_failures_total", "refused handshakes (401/403)"),
    jobsScheduled: metrics.counter(
      "ws_backfill_jobs_scheduled_total",
      "backfill jobs scheduled for markets first met through a lifecycle message",
    ),
    message(type) {
      messages.inc({ type });
      counted.set(type, (counted.get(type) ?? 0) + 1);
    },
    close: () => clearInterval(timer),
  };
}

/** Registers the gauges read from the pipeline and the new-market scheduler. */
export function captureGauges(
  metrics: Metrics,
  parts: { pipeline: CapturePipeline; newMarkets: NewMarketScheduler },
): void {
  const { pipeline, newMarkets } = parts;
  metrics.collect("ws_new_markets_pending", "new markets waiting for REST or first jobs", () => [[
    {},
    newMarkets.pending.size,
  ]]);
  metrics.collect("ws_buffer_rows", "rows in memory not yet committed", () => [[
    {},
    pipeline.stats.bufferedRows,
  ]]);
  metrics.collect("ws_spool_bytes", "bytes waiting in the on-disk spool", () => [[
    {},
    pipeline.stats.spoolBytes,
  ]]);
  metrics.collect("ws_batch_latency_ms", "receive to commit latency of rows", () => [
    [{ quantile: "0.5" }, pipeline.latency.quantile(0.5)],
    [{ quantile: "0.99" }, pipeline.latency.quantile(0.99)],
  ]);
  metrics.collect("ws_batches_written_total", "batches committed", () => [[
    {},
    pipeline.stats.batchesWritten,
  ]]);
  metrics.collect(
    "ws_write_transactions_total",
    "batch write transactions begun (a catch-up group of batches is one)",
    () => [[{}, pipeline.stats.writeTransactions]],
  );
}
