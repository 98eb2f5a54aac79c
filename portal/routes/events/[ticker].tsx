/**
 * `/events/{ticker}`: an event, a chart of all its markets' prices with a legend (current
 * implied probabilities, their sum for mutually exclusive events, the winner once settled), and
 * its markets with prices, volume, status and result.
 */
import { Island } from "../../components/island.tsx";
import { probability, time } from "../../components/format.ts";
import { Empty, MarketTable } from "../../components/tables.tsx";
import { EVENT_MARKET_LIMIT, type EventDetail, loadEvent } from "../../data/event.ts";
import { EventChart } from "../../islands/event_chart.tsx";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { parsePath, tickerSchema } from "../../params.ts";
import { errorResponse, renderPage } from "../../render.tsx";
import { noParams } from "../../route_params.ts";

/** Line colours of the event chart and its legend, in market order (cycling). */
export const LINE_COLORS = [
  "#0969da",
  "#cf222e",
  "#1a7f37",
  "#8250df",
  "#bf8700",
  "#1b7c83",
  "#e16f24",
  "#6e7781",
  "#bf3989",
  "#4d2d00",
];

/** The chart with one line per market, and its legend: current prices, sum, winner. */
function EventPrices({ detail }: { detail: EventDetail }) {
  const markets = detail.markets.map((m, i) => ({
    ticker: m.ticker,
    color: LINE_COLORS[i % LINE_COLORS.length],
    winner: m.result === "yes",
  }));
  const exclusive = detail.event.mutually_exclusive === true;
  return (
    <section class="event-prices">
      <Island
        name="EventChart"
        component={EventChart}
        props={{ event: detail.event.event_ticker, period: 60 as const, markets }}
      />
      <ul class="event-legend">
        {detail.markets.map((m, i) => (
          <li class={m.result === "yes" ? "winner" : undefined} data-ticker={m.ticker}>
            <svg class="swatch" viewBox="0 0 10 10" aria-hidden="true">
              <rect width="10" height="10" fill={markets[i].color} />
            </svg>
            <a href={`/markets/${encodeURIComponent(m.ticker)}`}>{m.yes_sub_title || m.ticker}</a>
            {" "}
            {m.implied === null ? "—" : probability(m.implied)}
            {m.result === "yes" && " ✓ winner"}
          </li>
        ))}
      </ul>
      {exclusive && (
        <p data-testid="implied-sum">
          Implied probabilities sum to{" "}
          <strong>{detail.implied_sum === null ? "—" : probability(detail.implied_sum)}</strong>
          {" "}
          (mutually exclusive outcomes: 100% when priced consistently;{" "}
          <a href="/opportunities">opportunities</a> lists events far from it).
        </p>
      )}
    </section>
  );
}

/** GET `/events/{ticker}`. */
export function eventPage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    noParams(new URL(c.req.url));
    const detail = await loadEvent(deps.sql, ticker);
    if (!detail) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown event",
        message: `No event ${ticker} is stored.`,
      });
    }
    const e = detail.event;
    return renderPage(c, deps, {
      title: e.title ?? e.event_ticker,
      body: (
        <>
          <p class="crumbs">
            <a href={`/browse?kind=events&series=${encodeURIComponent(e.series_ticker)}`}>
              {e.series_title ?? e.series_ticker}
            </a>
          </p>
          <h1>{e.title ?? e.event_ticker}</h1>
          {e.sub_title && <p class="muted">{e.sub_title}</p>}
          <dl class="facts">
            <dt>Ticker</dt>
            <dd>
              <code>{e.event_ticker}</code>
            </dd>
            <dt>Category</dt>
            <dd>{e.category ?? "—"}</dd>
            <dt>Strike date</dt>
            <dd>{time(e.strike_date)}</dd>
            <dt>Mutually exclusive</dt>
            <dd>{e.mutually_exclusive === null ? "—" : e.mutually_exclusive ? "yes" : "no"}</dd>
          </dl>
          <h2>Prices</h2>
          <EventPrices detail={detail} />
          <h2>Markets</h2>
          {detail.markets.length === 0
            ? <Empty>No market of this event is stored yet.</Empty>
            : <MarketTable markets={detail.markets} />}
          {detail.truncated && (
            <p>
              Showing the first {EVENT_MARKET_LIMIT};{" "}
              <a href={`/browse?event=${encodeURIComponent(e.event_ticker)}`}>browse them all</a>.
            </p>
          )}
        </>
      ),
    });
  };
}
