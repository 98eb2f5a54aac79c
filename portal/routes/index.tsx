/** `/`: the overview an operator opens first — what is stored and whether ingestion is healthy. */
import { BarChart } from "../components/charts.tsx";
import { count, time } from "../components/format.ts";
import { Empty } from "../components/tables.tsx";
import { loadOverview, type Overview } from "../data/overview.ts";
import type { PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { noParams } from "../route_params.ts";

/** Loads the overview, reusing a result younger than `ttlMs` (the page is polled by operators). */
export function overviewLoader(deps: PortalDeps, ttlMs = 10_000): () => Promise<Overview> {
  let cached: { at: number; value: Promise<Overview> } | undefined;
  return () => {
    const now = deps.now();
    if (!cached || now.getTime() - cached.at >= ttlMs || now.getTime() < cached.at) {
      const value = loadOverview(deps.sql, { now });
      cached = { at: now.getTime(), value };
      value.catch(() => (cached = undefined));
    }
    return cached.value;
  };
}

type Props = { o: Overview };

function CountCards({ o }: Props) {
  return (
    <section class="cards">
      <div class="card">
        <h2>Series</h2>
        <p class="big" data-testid="series-count">{count(o.counts.series)}</p>
      </div>
      <div class="card">
        <h2>Events</h2>
        <p class="big" data-testid="event-count">{count(o.counts.events)}</p>
      </div>
      <div class="card">
        <h2>Markets</h2>
        <p class="big" data-testid="market-count">{count(o.counts.markets)}</p>
        <ul class="plain">
          {o.counts.marketsByStatus.map((s) => (
            <li>
              <a href={`/browse?status=${encodeURIComponent(s.status)}`}>{s.status}</a>:{" "}
              {count(s.count)}
            </li>
          ))}
        </ul>
      </div>
      <div class="card">
        <h2>Stored rows</h2>
        <ul class="plain">
          {o.stored.map((s) => (
            <li>
              {s.table}: {s.estimated ? "≈ " : ""}
              {count(s.rows)}
            </li>
          ))}
        </ul>
      </div>
    </section>
  );
}

function TickRate({ o }: Props) {
  return (
    <section>
      <h2>Ticks per minute, last {o.tickRate.hours} hours</h2>
      <p>{count(o.tickRate.total)} ticks in the window.</p>
      <BarChart
        title={`Ticks per minute over the last ${o.tickRate.hours} hours`}
        values={o.tickRate.perMinute.map((m) => ({
          label: time(m.minute),
          value: m.ticks,
        }))}
      />
    </section>
  );
}

function BackfillCard({ o }: Props) {
  return (
    <div class="card">
      <h2>Backfill queue</h2>
      {o.backfill.byState.length === 0 ? <Empty>No backfill job yet.</Empty> : (
        <ul class="plain">
          {o.backfill.byState.map((s) => <li key={s.state}>{s.state}: {count(s.count)}</li>)}
        </ul>
      )}
      {o.backfill.oldestPending && (
        <p>
          Oldest pending: <code>{o.backfill.oldestPending.job_key}</code> since{" "}
          {time(o.backfill.oldestPending.created_at)} ({o.backfill.oldestPending.attempts} attempts)
        </p>
      )}
      {o.backfill.recentErrors.length > 0 && (
        <ul class="plain errors">
          {o.backfill.recentErrors.map((e) => (
            <li>
              <code>{e.job_key}</code>: {e.last_error}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ResumePointsCard({ o }: Props) {
  return (
    <div class="card">
      <h2>Resume points</h2>
      {o.resumePoints.length === 0
        ? <Empty>No discovery sync recorded yet.</Empty>
        : (
          <ul class="plain">
            {o.resumePoints.map((r) => (
              <li>
                {r.key}
                {r.scope ? ` [${r.scope}]` : ""}: {time(r.updated_at)}
              </li>
            ))}
          </ul>
        )}
    </div>
  );
}

function WebSocketCard({ o }: Props) {
  return (
    <div class="card">
      <h2>WebSocket</h2>
      {o.websocket.sessions.length === 0
        ? <Empty>No capture session recorded.</Empty>
        : (
          <ul class="plain">
            {o.websocket.sessions.map((s) => (
              <li>
                <span class={s.live ? "status status-active" : "status status-closed"}>
                  {s.live ? "live" : "silent"}
                </span>{" "}
                {s.scope}: connected {time(String(s.value.connectedAt ?? ""))}, last message{" "}
                {time(String(s.value.lastMessageAt ?? s.value.connectedAt ?? ""))}
              </li>
            ))}
          </ul>
        )}
    </div>
  );
}

function DeadLettersCard({ o }: Props) {
  return (
    <div class="card">
      <h2>Dead letters</h2>
      <p class="big" data-testid="dead-letters">{count(o.deadLetters.total)}</p>
      <p>{count(o.deadLetters.lastDay)} in the last 24 hours.</p>
      <ul class="plain errors">
        {o.deadLetters.recent.map((d) => (
          <li>
            {time(d.received_at)} <code>{d.source}</code>: {d.error}
          </li>
        ))}
      </ul>
    </div>
  );
}

function CaptureGaps({ o }: Props) {
  return (
    <section>
      <h2>Capture gaps</h2>
      <p>{o.gaps.open} open of {o.gaps.total} recorded.</p>
      {o.gaps.recent.length > 0 && (
        <table class="data">
          <thead>
            <tr>
              <th>Channel</th>
              <th>From</th>
              <th>To</th>
              <th>Reason</th>
              <th>Markets</th>
              <th>Filled</th>
            </tr>
          </thead>
          <tbody>
            {o.gaps.recent.map((g) => (
              <tr>
                <td>{g.channel}</td>
                <td>{time(g.gap_start)}</td>
                <td>{time(g.gap_end)}</td>
                <td>{g.reason}</td>
                <td>{g.market_tickers ? g.market_tickers.length : "all"}</td>
                <td>{g.filled_at ? time(g.filled_at) : "open"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function OverviewView({ o }: Props) {
  return (
    <>
      <h1>Ingest health</h1>
      <p class="muted">As of {time(o.generatedAt)}.</p>
      <CountCards o={o} />
      <TickRate o={o} />
      <section class="cards">
        <BackfillCard o={o} />
        <ResumePointsCard o={o} />
        <WebSocketCard o={o} />
        <DeadLettersCard o={o} />
      </section>
      <CaptureGaps o={o} />
    </>
  );
}

/** GET `/`. */
export function overviewPage(deps: PortalDeps, load = overviewLoader(deps)): PortalHandler {
  return async (c) => {
    noParams(new URL(c.req.url));
    const o = await load();
    return renderPage(c, deps, { title: "Overview", body: <OverviewView o={o} /> });
  };
}
