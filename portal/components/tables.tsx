/** Server-only tables shared by several pages. */
import type { ComponentChildren } from "preact";
import type { MarketSummary } from "../data/types.ts";
import { Sparkline } from "./charts.tsx";
import { change, count, dollars, time } from "./format.ts";

/** Research columns of browse lists: change, 24h volume, open interest and a sparkline. */
function ResearchCells(
  { m, prices }: { m: MarketSummary & { change?: string | null }; prices: string[] | undefined },
) {
  return (
    <>
      <td class="num">{change(m.change)}</td>
      <td class="num">{count(m.volume_24h)}</td>
      <td class="num">{count(m.open_interest)}</td>
      <td>{prices ? <Sparkline prices={prices} label={m.ticker} /> : "—"}</td>
    </>
  );
}

/**
 * Markets with their prices, volume, status and result; given `sparklines` (prices per ticker,
 * loaded for the whole list at once) also their change, 24h volume, open interest and trend.
 */
export function MarketTable(
  { markets, sparklines }: {
    markets: (MarketSummary & { change?: string | null })[];
    sparklines?: Map<string, string[]>;
  },
) {
  return (
    <table class="data markets">
      <thead>
        <tr>
          <th>Ticker</th>
          <th>Title</th>
          <th>Status</th>
          <th class="num">Last</th>
          <th class="num">Bid</th>
          <th class="num">Ask</th>
          <th class="num">Volume</th>
          <th>Closes</th>
          <th>Result</th>
          {sparklines && (
            <>
              <th class="num">Change</th>
              <th class="num">24h volume</th>
              <th class="num">Open interest</th>
              <th>Trend</th>
            </>
          )}
        </tr>
      </thead>
      <tbody>
        {markets.map((m) => (
          <tr data-ticker={m.ticker}>
            <td>
              <a href={`/markets/${encodeURIComponent(m.ticker)}`}>{m.ticker}</a>
            </td>
            <td>{m.yes_sub_title ? `${m.title ?? ""} — ${m.yes_sub_title}` : m.title}</td>
            <td>
              <span class={`status status-${m.status}`}>{m.status}</span>
            </td>
            <td class="num">{dollars(m.last_price)}</td>
            <td class="num">{dollars(m.yes_bid)}</td>
            <td class="num">{dollars(m.yes_ask)}</td>
            <td class="num">{count(m.volume)}</td>
            <td>{time(m.close_time)}</td>
            <td>{m.result || "—"}</td>
            {sparklines && <ResearchCells m={m} prices={sparklines.get(m.ticker)} />}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A short explanation shown instead of an empty table. */
export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}
