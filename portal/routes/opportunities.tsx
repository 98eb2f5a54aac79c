/**
 * `/opportunities`: active mutually exclusive events whose YES prices sum away from 1 by more
 * than a threshold (default 0.05), with the size available at the asks, sortable, each linked to
 * its event page.
 */
import { count, dollars, time } from "../components/format.ts";
import { Empty } from "../components/tables.tsx";
import type { KeysetCursor } from "../data/keyset.ts";
import {
  loadOpportunities,
  OPPORTUNITY_SORTS,
  type OpportunitySort,
} from "../data/opportunities.ts";
import type { PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { opportunityParams } from "../route_params.ts";

/** The URL of the page after `next`: the same threshold and sort. */
export function opportunitiesNextUrl(path: string, url: URL, next: KeysetCursor): string {
  const params = new URLSearchParams(url.searchParams);
  params.set("after", next.id);
  params.set("after_key", next.key ?? "null");
  return `${path}?${params}`;
}

const LABELS: Record<OpportunitySort, string> = {
  gap: "Distance from 1",
  ask_sum: "Sum of asks",
  mid_sum: "Sum of midpoints",
  ask_size: "Size at asks",
  markets: "Markets",
};

function sortUrl(url: URL, current: { sort: string; order: string }, sort: string): string {
  const params = new URLSearchParams(url.searchParams);
  for (const name of ["after", "after_key"]) params.delete(name);
  params.set("sort", sort);
  params.set("order", current.sort === sort && current.order === "desc" ? "asc" : "desc");
  return `/opportunities?${params}`;
}

/** GET `/opportunities`. */
export function opportunitiesPage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = opportunityParams(url);
    const page = await loadOpportunities(deps.sql, query);
    const header = (s: OpportunitySort) => (
      <th class="num">
        <a href={sortUrl(url, query, s)} data-sort={s}>
          {LABELS[s]}
          {query.sort === s ? (query.order === "asc" ? " ↑" : " ↓") : ""}
        </a>
      </th>
    );
    return renderPage(c, deps, {
      title: "Opportunities",
      body: (
        <>
          <h1>Opportunities</h1>
          <p class="muted">
            Active mutually exclusive events (every market active with a best ask) whose YES best
            asks or bid/ask midpoints sum away from 1 by more than the threshold. Size at asks is
            the least size offered at those asks: complete sets buyable at once.
          </p>
          <form class="filters" method="get" action="/opportunities">
            <label>
              Threshold <input type="text" name="threshold" value={query.threshold} size={6} />
            </label>
            <input type="hidden" name="sort" value={query.sort} />
            <input type="hidden" name="order" value={query.order} />
            <button type="submit">Apply</button>
          </form>
          <div id="opportunities" data-count={page.items.length}>
            {page.items.length === 0
              ? <Empty>No event is off by more than {query.threshold}.</Empty>
              : (
                <table class="data opportunities">
                  <thead>
                    <tr>
                      <th>Event</th>
                      <th>Title</th>
                      {OPPORTUNITY_SORTS.map(header)}
                      <th>First close</th>
                    </tr>
                  </thead>
                  <tbody>
                    {page.items.map((o) => (
                      <tr data-event={o.event_ticker}>
                        <td>
                          <a href={`/events/${encodeURIComponent(o.event_ticker)}`}>
                            {o.event_ticker}
                          </a>
                        </td>
                        <td>{o.title ?? "—"}</td>
                        <td class="num">{dollars(o.gap)}</td>
                        <td class="num">{dollars(o.ask_sum)}</td>
                        <td class="num">{dollars(o.mid_sum)}</td>
                        <td class="num">{count(o.ask_size)}</td>
                        <td class="num">{count(o.markets)}</td>
                        <td>{time(o.close_time)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
          </div>
          {page.next && (
            <p class="pager">
              <a rel="next" href={opportunitiesNextUrl("/opportunities", url, page.next)}>
                Next page →
              </a>
            </p>
          )}
        </>
      ),
    });
  };
}
