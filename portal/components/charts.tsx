/**
 * Server-rendered SVG charts (no JavaScript): tick rate bars, the calibration diagram and price
 * sparklines.
 */
import type { CalibrationBin } from "@kalshi-data/lib/predictions";

/** Props of {@linkcode BarChart}. */
export interface BarChartProps {
  /** Bars in order. */
  values: { label: string; value: number }[];
  /** Accessible description. */
  title: string;
  width?: number;
  height?: number;
}

/** A bar chart; each bar carries a <title> tooltip with its label and value. */
export function BarChart({ values, title, width = 720, height = 140 }: BarChartProps) {
  const max = Math.max(1, ...values.map((v) => v.value));
  const barWidth = values.length ? width / values.length : width;
  return (
    <svg
      class="chart bar-chart"
      viewBox={`0 0 ${width} ${height + 16}`}
      role="img"
      aria-label={title}
    >
      <title>{title}</title>
      <line x1="0" y1={height} x2={width} y2={height} class="axis" />
      {values.map((v, i) => {
        const h = (v.value / max) * (height - 4);
        return (
          <rect
            x={(i * barWidth).toFixed(2)}
            y={(height - h).toFixed(2)}
            width={Math.max(barWidth - 0.5, 0.5).toFixed(2)}
            height={h.toFixed(2)}
            class="bar"
          >
            <title>{`${v.label}: ${v.value}`}</title>
          </rect>
        );
      })}
      <text x="0" y={height + 14} class="tick-label">{values[0]?.label ?? ""}</text>
      <text x={width} y={height + 14} class="tick-label end">{values.at(-1)?.label ?? ""}</text>
      <text x={width} y="12" class="tick-label end">{`max ${max}/min`}</text>
    </svg>
  );
}

/** A reliability diagram: mean forecast (x) against observed frequency (y) per bin. */
export function CalibrationChart({ bins, size = 320 }: { bins: CalibrationBin[]; size?: number }) {
  const pad = 32;
  const inner = size - 2 * pad;
  const x = (p: number) => pad + p * inner;
  const y = (p: number) => size - pad - p * inner;
  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const filled = bins.filter((b) => b.count > 0);
  return (
    <svg
      class="chart calibration-chart"
      viewBox={`0 0 ${size} ${size}`}
      role="img"
      aria-label="Calibration: observed frequency against forecast probability"
    >
      <title>Calibration</title>
      <rect x={pad} y={pad} width={inner} height={inner} class="frame" />
      <line x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} class="diagonal" />
      {[0, 0.25, 0.5, 0.75, 1].map((t) => (
        <g>
          <text x={x(t)} y={size - pad + 14} class="tick-label middle">{String(t)}</text>
          <text x={pad - 4} y={y(t) + 4} class="tick-label end">{String(t)}</text>
        </g>
      ))}
      {filled.length > 1 && (
        <polyline
          class="calibration-line"
          points={filled.map((b) => `${x(b.meanProbability!)},${y(b.observedRate!)}`).join(" ")}
        />
      )}
      {filled.map((b) => (
        <circle
          cx={x(b.meanProbability!)}
          cy={y(b.observedRate!)}
          r={(3 + 6 * Math.sqrt(b.count / maxCount)).toFixed(1)}
          class="calibration-point"
        >
          <title>
            {`${b.lower.toFixed(2)}–${b.upper.toFixed(2)}: ${b.count} forecasts, mean ${
              b.meanProbability!.toFixed(3)
            }, observed ${b.observedRate!.toFixed(3)}`}
          </title>
        </circle>
      ))}
      <text x={size / 2} y={size - 4} class="tick-label middle">forecast probability</text>
    </svg>
  );
}

/**
 * A price sparkline (prices are decimal strings; they become floats only as coordinates), scaled
 * to its own range; its tooltip names the first and last price.
 */
export function Sparkline(
  { prices, label, width = 96, height = 24 }: {
    prices: string[];
    label: string;
    width?: number;
    height?: number;
  },
) {
  const values = prices.map(Number);
  const low = Math.min(...values);
  const span = Math.max(...values) - low || 1;
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  const points = values.map((v, i) =>
    `${(i * step).toFixed(1)},${(height - 2 - ((v - low) / span) * (height - 4)).toFixed(1)}`
  );
  const title = `${label}: ${prices[0]} → ${prices.at(-1)} (${prices.length} points)`;
  return (
    <svg
      class="sparkline"
      viewBox={`0 0 ${width} ${height}`}
      width={width}
      height={height}
      role="img"
      aria-label={title}
      data-points={prices.length}
    >
      <title>{title}</title>
      <polyline points={points.join(" ")} />
    </svg>
  );
}
