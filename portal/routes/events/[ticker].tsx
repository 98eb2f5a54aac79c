/** `/events/{ticker}`: an event and its markets with prices, volume, status and result. */
import { time } from "../../components/format.ts";
import { Empty, MarketTable } from "../../components/tables.tsx";
import { EVENT_MARKET_LIMIT, loadEvent } from "../../data/event.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { parsePath, tickerSchema } from "../../params.ts";
import { errorResponse, renderPage } from "../../render.tsx";
import { noParams } from "../../route_params.ts";

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
