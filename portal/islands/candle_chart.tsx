/**
 * The market chart island: candlesticks of trade prices, the bid/ask midpoint and volume, with a
 * period switch (1m / 1h / 1d) that fetches `/api/markets/{ticker}/candles`. Rendered on the
 * server as its controls and an empty frame; the chart itself draws in the browser.
 * Prices arrive as exact decimal strings and become floats only here, for drawing.
 */
import {
  CandlestickSeries,
  createChart,
  HistogramSeries,
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef, useState } from "preact/hooks";

/** A candle as the JSON API returns it (decimal strings). */
export interface ChartCandle {
  end_period_ts: string;
  price_open: string | null;
  price_high: string | null;
  price_low: string | null;
  price_close: string | null;
  yes_bid_close: string | null;
  yes_ask_close: string | null;
  volume: string | null;
}

/** The candle columns the chart asks for (`fields=`): half the bytes of a full candle. */
export const CHART_FIELDS: readonly (keyof ChartCandle)[] = [
  "end_period_ts",
  "price_open",
  "price_high",
  "price_low",
  "price_close",
  "yes_bid_close",
  "yes_ask_close",
  "volume",
];

/**
 * The query of the chart's candles request (the portal benchmark sends the same): its fields as
 * arrays (`shape=rows`), the cheapest answer for the server to build.
 */
export function chartCandlesQuery(period: 1 | 60 | 1440): string {
  return `period=${period}&fields=${CHART_FIELDS.join(",")}&shape=rows`;
}

/** The candles of a `shape=rows` answer as objects, keyed by the answer's `columns`. */
function candlesOf(body: { columns: string[]; candles: (string | null)[][] }): ChartCandle[] {
  return body.candles.map((row) =>
    Object.fromEntries(body.columns.map((c, i) => [c, row[i]])) as unknown as ChartCandle
  );
}

/** Props of {@linkcode CandleChart}. */
export interface CandleChartProps {
  ticker: string;
  /** Period shown first (minutes). */
  period: 1 | 60 | 1440;
  /** Periods that have candles stored. */
  available: (1 | 60 | 1440)[];
}

const LABELS: Record<number, string> = { 1: "1m", 60: "1h", 1440: "1d" };

interface Series {
  chart: IChartApi;
  candles: ISeriesApi<"Candlestick">;
  mid: ISeriesApi<"Line">;
  volume: ISeriesApi<"Histogram">;
}

function draw(series: Series, candles: ChartCandle[]) {
  const time = (c: ChartCandle) => (Date.parse(c.end_period_ts) / 1000) as UTCTimestamp;
  series.candles.setData(
    candles.map((c) =>
      c.price_open === null || c.price_high === null || c.price_low === null ||
        c.price_close === null
        ? { time: time(c) }
        : {
          time: time(c),
          open: Number(c.price_open),
          high: Number(c.price_high),
          low: Number(c.price_low),
          close: Number(c.price_close),
        }
    ),
  );
  series.mid.setData(
    candles.map((c) =>
      c.yes_bid_close === null || c.yes_ask_close === null
        ? { time: time(c) }
        : { time: time(c), value: (Number(c.yes_bid_close) + Number(c.yes_ask_close)) / 2 }
    ),
  );
  series.volume.setData(candles.map((c) => ({ time: time(c), value: Number(c.volume ?? 0) })));
  series.chart.timeScale().fitContent();
}

/** The interactive candlestick chart of one market. */
export function CandleChart({ ticker, period: initial, available }: CandleChartProps) {
  const frame = useRef<HTMLDivElement>(null);
  const series = useRef<Series | null>(null);
  const [period, setPeriod] = useState(initial);
  const [state, setState] = useState<{
    status: "loading" | "ready" | "error";
    candles: ChartCandle[];
    truncated: boolean;
    message?: string;
    /** The period these candles are of; until the new period's answer arrives it is "loading". */
    period?: number;
  }>({ status: "loading", candles: [], truncated: false });

  useEffect(() => {
    const chart = createChart(frame.current!, {
      autoSize: true,
      // The built-in logo injects a <style> element, which the CSP forbids; the caption below
      // carries the attribution the library's licence asks for instead.
      layout: { background: { color: "#ffffff" }, textColor: "#1f2933", attributionLogo: false },
      grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      localization: { priceFormatter: (p: number) => `$${p.toFixed(2)}` },
    });
    series.current = {
      chart,
      candles: chart.addSeries(CandlestickSeries, {
        upColor: "#1a7f37",
        downColor: "#cf222e",
        borderVisible: false,
        wickUpColor: "#1a7f37",
        wickDownColor: "#cf222e",
      }),
      mid: chart.addSeries(LineSeries, { color: "#0969da", lineWidth: 1, priceLineVisible: false }),
      volume: chart.addSeries(HistogramSeries, {
        priceScaleId: "volume",
        color: "#afb8c1",
        priceFormat: { type: "volume" },
      }),
    };
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
    return () => {
      chart.remove();
      series.current = null;
    };
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, status: "loading" }));
    fetch(`/api/markets/${encodeURIComponent(ticker)}/candles?${chartCandlesQuery(period)}`, {
      signal: abort.signal,
      headers: { accept: "application/json" },
    }).then(async (response) => {
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
      const candles = candlesOf(body);
      if (series.current) draw(series.current, candles);
      setState({ status: "ready", candles, truncated: body.truncated, period });
    }).catch((error: Error) => {
      if (abort.signal.aborted) return;
      setState({ status: "error", candles: [], truncated: false, message: error.message, period });
    });
    return () => abort.abort();
  }, [ticker, period]);

  // Right after a period switch the old candles are still in state: report them as loading.
  const status = state.period === period ? state.status : "loading";
  const first = state.candles[0]?.end_period_ts ?? "";
  const last = state.candles.at(-1)?.end_period_ts ?? "";
  return (
    <div class="candle-chart">
      <div class="chart-controls" role="group" aria-label="Candle period">
        {([1, 60, 1440] as const).map((p) => (
          <button
            type="button"
            data-period={p}
            aria-pressed={p === period}
            class={available.includes(p) ? "" : "no-data"}
            onClick={() => setPeriod(p)}
          >
            {LABELS[p]}
          </button>
        ))}
      </div>
      <div
        ref={frame}
        class="chart-frame"
        data-status={status}
        data-period={period}
        data-candle-count={state.candles.length}
        data-first={first}
        data-last={last}
      />
      <p class="chart-caption" aria-live="polite">
        {status === "loading"
          ? "Loading candles…"
          : status === "error"
          ? `Could not load candles: ${state.message}`
          : state.candles.length === 0
          ? `No ${LABELS[period]} candles stored for this market.`
          : `${state.candles.length} ${LABELS[period]} candles${
            state.truncated ? " (the latest; download CSV for the whole range)" : ""
          }, ${first.slice(0, 16).replace("T", " ")} – ${last.slice(0, 16).replace("T", " ")} UTC`}
      </p>
      <p class="chart-credit">
        Chart by{" "}
        <a href="https://www.tradingview.com/" rel="noopener noreferrer">
          TradingView Lightweight Charts™
        </a>
      </p>
    </div>
  );
}
