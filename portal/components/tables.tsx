/** Server-only tables shared by several pages. */
import type { ComponentChildren } from "preact";
import type { MarketSummary } from "../data/types.ts";
import { count, dollars, time } from "./format.ts";

/** Markets with their prices, volume, status and result. */
export function MarketTable({ markets }: { markets: MarketSummary[] }) {
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
        </tr>
      </thead>
      <tbody>
        {markets.map((m) => (
          <tr>
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
