/**
 * The event chart island: one probability line per market of the event (bid/ask midpoint, else
 * last trade, per candle), with a period switch (1m / 1h / 1d) that fetches
 * `/api/events/{ticker}/prices`. The legend with current prices is server-rendered beside it;
 * lines use the legend's colours. Prices arrive as exact decimal strings and become floats only
 * here, for drawing.
 */
import {
  createChart,
  type IChartApi,
  type ISeriesApi,
  LineSeries,
  type UTCTimestamp,
} from "lightweight-charts";
import { useEffect, useRef, useState } from "preact/hooks";

/** One market's line as the API returns it. */
export interface EventLine {
  ticker: string;
  points: [number, string][];
}

/** A market of the chart: its ticker, colour and whether it won. */
export interface EventChartMarket {
  ticker: string;
  color: string;
  winner: boolean;
}

/** Props of {@linkcode EventChart}. */
export interface EventChartProps {
  event: string;
  /** Period shown first (minutes). */
  period: 1 | 60 | 1440;
  markets: EventChartMarket[];
}

const LABELS: Record<number, string> = { 1: "1m", 60: "1h", 1440: "1d" };

function draw(
  chart: IChartApi,
  drawn: ISeriesApi<"Line">[],
  markets: EventChartMarket[],
  lines: EventLine[],
): ISeriesApi<"Line">[] {
  for (const series of drawn) chart.removeSeries(series);
  const style = new Map(markets.map((m) => [m.ticker, m]));
  const added: ISeriesApi<"Line">[] = [];
  for (const line of lines) {
    if (line.points.length === 0) continue;
    const market = style.get(line.ticker);
    const series = chart.addSeries(LineSeries, {
      color: market?.color ?? "#57606a",
      lineWidth: market?.winner ? 3 : 2,
      priceLineVisible: false,
      lastValueVisible: false,
      title: "",
    });
    series.setData(
      line.points.map(([t, p]) => ({ time: t as UTCTimestamp, value: Number(p) })),
    );
    added.push(series);
  }
  chart.timeScale().fitContent();
  return added;
}

/** The interactive probability chart of an event's markets. */
export function EventChart({ event, period: initial, markets }: EventChartProps) {
  const frame = useRef<HTMLDivElement>(null);
  const chart = useRef<IChartApi | null>(null);
  const drawn = useRef<ISeriesApi<"Line">[]>([]);
  const [period, setPeriod] = useState(initial);
  const [state, setState] = useState<
    { status: "loading" | "ready" | "error"; lines: number; points: number; message?: string }
  >({ status: "loading", lines: 0, points: 0 });

  useEffect(() => {
    chart.current = createChart(frame.current!, {
      autoSize: true,
      // The built-in logo injects a <style> element, which the CSP forbids (see candle_chart).
      layout: { background: { color: "#ffffff" }, textColor: "#1f2933", attributionLogo: false },
      grid: { vertLines: { color: "#eef1f4" }, horzLines: { color: "#eef1f4" } },
      timeScale: { timeVisible: true, secondsVisible: false },
      localization: { priceFormatter: (p: number) => p.toFixed(2) },
    });
    return () => {
      chart.current?.remove();
      chart.current = null;
      drawn.current = [];
    };
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    setState((s) => ({ ...s, status: "loading" }));
    fetch(`/api/events/${encodeURIComponent(event)}/prices?period=${period}`, {
      signal: abort.signal,
      headers: { accept: "application/json" },
    }).then(async (response) => {
      const body = await response.json();
      if (!response.ok) throw new Error(body?.error?.message ?? `HTTP ${response.status}`);
      const lines = body.markets as EventLine[];
      if (chart.current) drawn.current = draw(chart.current, drawn.current, markets, lines);
      setState({
        status: "ready",
        lines: drawn.current.length,
        points: lines.reduce((n, l) => n + l.points.length, 0),
      });
    }).catch((error: Error) => {
      if (abort.signal.aborted) return;
      setState({ status: "error", lines: 0, points: 0, message: error.message });
    });
    return () => abort.abort();
  }, [event, period]);

  return (
    <div class="event-chart">
      <div class="chart-controls" role="group" aria-label="Candle period">
        {([1, 60, 1440] as const).map((p) => (
          <button
            type="button"
            data-period={p}
            aria-pressed={p === period}
            onClick={() => setPeriod(p)}
          >
            {LABELS[p]}
          </button>
        ))}
      </div>
      <div
        ref={frame}
        class="chart-frame"
        data-status={state.status}
        data-period={period}
        data-lines={state.lines}
        data-points={state.points}
      />
      <p class="chart-caption" aria-live="polite">
        {state.status === "loading"
          ? "Loading prices…"
          : state.status === "error"
          ? `Could not load prices: ${state.message}`
          : state.lines === 0
          ? `No ${LABELS[period]} candles stored for the markets of this event.`
          : `${state.lines} of ${markets.length} markets drawn from ${LABELS[period]} candles ` +
            "(bid/ask midpoint, else last trade)"}
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
