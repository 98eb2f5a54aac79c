/** `/browse`: series, events and markets behind one search box, filters and keyset pages. */
import { count, time } from "../components/format.ts";
import { Empty, MarketTable } from "../components/tables.tsx";
import {
  browse,
  browseCategories,
  type BrowsePage,
  type BrowseQuery,
  exactTicker,
  MARKET_STATUSES,
} from "../data/browse.ts";
import type { PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { browseParams } from "../route_params.ts";

/** The URL of the next page: the same filters with the cursor moved. */
export function nextPageUrl(path: string, url: URL, next: string): string {
  const params = new URLSearchParams(url.searchParams);
  params.set("after", next);
  return `${path}?${params}`;
}

/** Where a pasted ticker leads. */
export function exactUrl(kind: "market" | "event" | "series", ticker: string): string {
  const t = encodeURIComponent(ticker);
  if (kind === "market") return `/markets/${t}`;
  if (kind === "event") return `/events/${t}`;
  return `/browse?kind=events&series=${t}`;
}

function dateInput(d: Date | undefined): string {
  return d ? d.toISOString().slice(0, 10) : "";
}

function Filters({ query, categories }: { query: BrowseQuery; categories: string[] }) {
  return (
    <form class="filters" method="get" action="/browse">
      <label>
        Search <input type="search" name="q" value={query.q ?? ""} id="browse-q" />
      </label>
      <label>
        Show{" "}
        <select name="kind">
          {(["markets", "events", "series"] as const).map((k) => (
            <option value={k} selected={query.kind === k}>{k}</option>
          ))}
        </select>
      </label>
      <label>
        Category{" "}
        <select name="category">
          <option value="">any</option>
          {categories.map((c) => (
            <option key={c} value={c} selected={query.category === c}>{c}</option>
          ))}
        </select>
      </label>
      {query.kind === "markets" && (
        <>
          <label>
            Status{" "}
            <select name="status">
              <option value="">any</option>
              {MARKET_STATUSES.map((s) => (
                <option value={s} selected={query.status === s}>{s}</option>
              ))}
            </select>
          </label>
          <label>
            Closes after{" "}
            <input type="date" name="closes_after" value={dateInput(query.closesAfter)} />
          </label>
          <label>
            Closes before{" "}
            <input type="date" name="closes_before" value={dateInput(query.closesBefore)} />
          </label>
        </>
      )}
      {query.series && <input type="hidden" name="series" value={query.series} />}
      {query.event && <input type="hidden" name="event" value={query.event} />}
      <button type="submit">Apply</button>
    </form>
  );
}

function Results({ page }: { page: BrowsePage }) {
  if (page.items.length === 0) return <Empty>Nothing matches these filters.</Empty>;
  if (page.kind === "markets") return <MarketTable markets={page.items} />;
  if (page.kind === "events") {
    return (
      <table class="data events">
        <thead>
          <tr>
            <th>Event</th>
            <th>Title</th>
            <th>Series</th>
            <th>Category</th>
            <th class="num">Markets</th>
            <th>Strike date</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((e) => (
            <tr>
              <td>
                <a href={`/events/${encodeURIComponent(e.event_ticker)}`}>{e.event_ticker}</a>
              </td>
              <td>{e.title}</td>
              <td>{e.series_ticker}</td>
              <td>{e.category ?? "—"}</td>
              <td class="num">{count(e.markets)}</td>
              <td>{time(e.strike_date)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    );
  }
  return (
    <table class="data series">
      <thead>
        <tr>
          <th>Series</th>
          <th>Title</th>
          <th>Category</th>
          <th>Frequency</th>
          <th class="num">Events</th>
        </tr>
      </thead>
      <tbody>
        {page.items.map((s) => (
          <tr>
            <td>
              <a href={exactUrl("series", s.ticker)}>{s.ticker}</a>
            </td>
            <td>{s.title}</td>
            <td>{s.category ?? "—"}</td>
            <td>{s.frequency ?? "—"}</td>
            <td class="num">{count(s.events)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** GET `/browse`; a search that is exactly a known ticker goes straight to it. */
export function browsePage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = browseParams(url);
    if (query.q && !query.after) {
      const exact = await exactTicker(deps.sql, query.q);
      if (exact) return c.redirect(exactUrl(exact.kind, exact.ticker), 302);
    }
    const [page, categories] = await Promise.all([
      browse(deps.sql, query),
      browseCategories(deps.sql),
    ]);
    const scope = query.series
      ? ` of series ${query.series}`
      : query.event
      ? ` of ${query.event}`
      : "";
    return renderPage(c, deps, {
      title: "Browse",
      q: query.q,
      body: (
        <>
          <h1>Browse {query.kind}{scope}</h1>
          <Filters query={query} categories={categories} />
          <div id="results" data-count={page.items.length}>
            <Results page={page} />
          </div>
          {page.next && (
            <p class="pager">
              <a rel="next" href={nextPageUrl("/browse", url, page.next)}>Next page →</a>
            </p>
          )}
        </>
      ),
    });
  };
}
