/** `/browse`: series, events and markets behind one search box, filters and keyset pages. */
import { count, time } from "../components/format.ts";
import { Empty, MarketTable } from "../components/tables.tsx";
import {
  browse,
  browseChoices,
  type BrowsePage,
  type BrowseQuery,
  exactTicker,
  MARKET_SORTS,
  MARKET_STATUSES,
  type MarketSort,
} from "../data/browse.ts";
import { loadSparklines } from "../data/sparklines.ts";
import type { PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { browseParams } from "../route_params.ts";

/** The URL of the next page: the same filters with the cursor (ticker, and sort key) moved. */
export function nextPageUrl(
  path: string,
  url: URL,
  cursor: { after: string; afterKey?: string | null },
): string {
  const params = new URLSearchParams(url.searchParams);
  params.set("after", cursor.after);
  if (cursor.afterKey !== undefined) params.set("after_key", cursor.afterKey ?? "null");
  return `${path}?${params}`;
}

/** The next page's cursor of `page`, or undefined on the last page. */
export function pageCursor(page: BrowsePage) {
  if (!page.next) return undefined;
  return { after: page.next, afterKey: page.kind === "markets" ? page.next_key : undefined };
}

/** The same list sorted by `sort` (first page); the current sort flips its direction. */
function sortUrl(url: URL, query: BrowseQuery, sort: MarketSort): string {
  const params = new URLSearchParams(url.searchParams);
  for (const name of ["after", "after_key", "order"]) params.delete(name);
  params.set("sort", sort);
  const current = query.sort === sort ? query.order : undefined;
  params.set("order", current === "desc" ? "asc" : current === "asc" ? "desc" : defaultOrder(sort));
  return `/browse?${params}`;
}

function defaultOrder(sort: MarketSort): "asc" | "desc" {
  return sort === "close_time" ? "asc" : "desc";
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

type Choices = { categories: string[]; frequencies: string[] };

function MultiSelect(
  { name, label, values, chosen }: {
    name: string;
    label: string;
    values: string[];
    chosen: string[] | undefined;
  },
) {
  return (
    <label>
      {label}{" "}
      <select name={name} multiple size={Math.min(4, Math.max(2, values.length))}>
        {values.map((v) => <option key={v} value={v} selected={chosen?.includes(v)}>{v}</option>)}
      </select>
    </label>
  );
}

function MarketFilters({ query, choices }: { query: BrowseQuery; choices: Choices }) {
  return (
    <>
      <label>
        Status{" "}
        <select name="status">
          <option value="">any</option>
          {MARKET_STATUSES.map((s) => (
            <option key={s} value={s} selected={query.status === s}>{s}</option>
          ))}
        </select>
      </label>
      <MultiSelect
        name="frequency"
        label="Frequency"
        values={choices.frequencies}
        chosen={query.frequencies}
      />
      {query.closesWithin
        ? (
          <label>
            Closes within (hours){" "}
            <input type="number" name="closes_within" min="1" value={query.closesWithin} />
          </label>
        )
        : (
          <>
            <label>
              Closes after{" "}
              <input type="date" name="closes_after" value={dateInput(query.closesAfter)} />
            </label>
            <label>
              Closes before{" "}
              <input type="date" name="closes_before" value={dateInput(query.closesBefore)} />
            </label>
            <label>
              or within (hours) <input type="number" name="closes_within" min="1" />
            </label>
          </>
        )}
      {query.sort && <input type="hidden" name="sort" value={query.sort} />}
      {query.sort && <input type="hidden" name="order" value={query.order} />}
    </>
  );
}

function Filters({ query, choices }: { query: BrowseQuery; choices: Choices }) {
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
      <MultiSelect
        name="category"
        label="Category"
        values={choices.categories}
        chosen={query.categories}
      />
      {query.kind === "markets" && <MarketFilters query={query} choices={choices} />}
      {query.series && <input type="hidden" name="series" value={query.series} />}
      {query.event && <input type="hidden" name="event" value={query.event} />}
      <button type="submit">Apply</button>
    </form>
  );
}

const SORT_LABELS: Record<MarketSort, string> = {
  volume: "Volume",
  volume_24h: "24h volume",
  open_interest: "Open interest",
  close_time: "Close time",
  change: "Change",
};

function SortLinks({ url, query }: { url: URL; query: BrowseQuery }) {
  return (
    <p class="sorts">
      Sort by: {MARKET_SORTS.map((s) => (
        <>
          <a
            href={sortUrl(url, query, s)}
            data-sort={s}
            aria-current={query.sort === s ? "true" : undefined}
          >
            {SORT_LABELS[s]}
            {query.sort === s ? (query.order === "asc" ? " ↑" : " ↓") : ""}
          </a>
          {" "}
        </>
      ))}
    </p>
  );
}

function Results({ page, sparklines }: { page: BrowsePage; sparklines: Map<string, string[]> }) {
  if (page.items.length === 0) return <Empty>Nothing matches these filters.</Empty>;
  if (page.kind === "markets") return <MarketTable markets={page.items} sparklines={sparklines} />;
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
    const query = browseParams(url, deps.now());
    if (query.q && !query.after) {
      const exact = await exactTicker(deps.sql, query.q);
      if (exact) return c.redirect(exactUrl(exact.kind, exact.ticker), 302);
    }
    const [page, choices] = await Promise.all([
      browse(deps.sql, query),
      browseChoices(deps.sql),
    ]);
    const sparklines = page.kind === "markets"
      ? await loadSparklines(deps.sql, page.items.map((m) => m.ticker))
      : new Map<string, string[]>();
    const scope = query.series
      ? ` of series ${query.series}`
      : query.event
      ? ` of ${query.event}`
      : "";
    const cursor = pageCursor(page);
    return renderPage(c, deps, {
      title: "Browse",
      q: query.q,
      body: (
        <>
          <h1>Browse {query.kind}{scope}</h1>
          <Filters query={query} choices={choices} />
          {query.kind === "markets" && <SortLinks url={url} query={query} />}
          <div id="results" data-count={page.items.length}>
            <Results page={page} sparklines={sparklines} />
          </div>
          {cursor && (
            <p class="pager">
              <a rel="next" href={nextPageUrl("/browse", url, cursor)}>Next page →</a>
            </p>
          )}
        </>
      ),
    });
  };
}
