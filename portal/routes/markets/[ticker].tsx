/**
 * `/markets/{ticker}?at=`: chart, prices, the order book at `at` (default now), recent ticks,
 * lifecycle, capture gaps, rules, raw payload.
 */
import { Island } from "../../components/island.tsx";
import { count, dollars, time } from "../../components/format.ts";
import { OrderBookSection } from "../../components/orderbook.tsx";
import { Empty } from "../../components/tables.tsx";
import { loadMarket, type MarketDetail } from "../../data/market.ts";
import type { PortalDeps, PortalHandler } from "../../deps.ts";
import { CandleChart } from "../../islands/candle_chart.tsx";
import { parsePath, tickerSchema } from "../../params.ts";
import { errorResponse, renderPage } from "../../render.tsx";
import { orderbookParams } from "../../route_params.ts";
import { type BookAt, bookAt } from "@kalshi-data/lib/orderbook";

function Downloads({ ticker, d }: { ticker: string; d: MarketDetail }) {
  const base = `/api/markets/${encodeURIComponent(ticker)}`;
  return (
    <section class="downloads">
      <h2>Download CSV</h2>
      <form method="get" action={`${base}/candles`} class="inline">
        <input type="hidden" name="format" value="csv" />
        <label>
          Candles{" "}
          <select name="period">
            {([1, 60, 1440] as const).map((p) => (
              <option value={p} selected={p === d.defaultPeriod}>
                {p === 1 ? "1 minute" : p === 60 ? "1 hour" : "1 day"}
              </option>
            ))}
          </select>
        </label>
        <label>
          from <input type="date" name="from" />
        </label>
        <label>
          to <input type="date" name="to" />
        </label>
        <button type="submit">Candles CSV</button>
      </form>
      <form method="get" action={`${base}/ticks`} class="inline">
        <input type="hidden" name="format" value="csv" />
        <label>
          Ticks from <input type="date" name="from" />
        </label>
        <label>
          to <input type="date" name="to" />
        </label>
        <button type="submit">Ticks CSV</button>
        <span class="muted">(default: the last 24 hours)</span>
      </form>
      <p>
        <a href={`/markets/${encodeURIComponent(ticker)}/trades`}>Trades</a>{" "}
        (table, paged, with a CSV download)
      </p>
    </section>
  );
}

type Props = { d: MarketDetail };
type BookProps = { at: Date; book: BookAt };

/** Breadcrumb to the event, title and subtitle. */
function Heading({ d }: Props) {
  const m = d.market;
  return (
    <>
      <p class="crumbs">
        {d.event
          ? (
            <a href={`/events/${encodeURIComponent(d.event.event_ticker)}`}>
              {d.event.title ?? d.event.event_ticker}
            </a>
          )
          : <span>{m.event_ticker}</span>}
      </p>
      <h1>{m.title ?? m.ticker}</h1>
      {typeof m.yes_sub_title === "string" && m.yes_sub_title && (
        <p class="muted">{m.yes_sub_title}</p>
      )}
    </>
  );
}

function Facts({ d }: Props) {
  const m = d.market;
  const price = (k: string) => dollars(m[k] as string | null);
  return (
    <dl class="facts">
      <dt>Ticker</dt>
      <dd>
        <code data-testid="market-ticker">{m.ticker}</code>
      </dd>
      <dt>Status</dt>
      <dd>
        <span class={`status status-${m.status}`}>{m.status}</span>
        {m.result ? ` — result ${m.result}` : ""}
      </dd>
      <dt>Last / bid / ask</dt>
      <dd>{price("last_price")} / {price("yes_bid")} / {price("yes_ask")}</dd>
      <dt>Volume / open interest</dt>
      <dd>
        {count(m.volume as string | null)} / {count(m.open_interest as string | null)}
      </dd>
      <dt>Opens / closes</dt>
      <dd>{time(m.open_time)} → {time(m.close_time)}</dd>
    </dl>
  );
}

function Chart({ d }: Props) {
  const m = d.market;
  return (
    <section>
      <h2>Chart</h2>
      <Island
        name="CandleChart"
        component={CandleChart}
        props={{
          ticker: m.ticker,
          period: d.defaultPeriod,
          available: d.coverage.filter((c) => c.first).map((c) => c.period),
        }}
      />
    </section>
  );
}

function RecentTicks({ d }: Props) {
  return (
    <section>
      <h2>Recent ticks</h2>
      {d.ticks.length === 0
        ? <Empty>No tick captured for this market.</Empty>
        : (
          <table class="data">
            <thead>
              <tr>
                <th>Time</th>
                <th class="num">Price</th>
                <th class="num">Bid</th>
                <th class="num">Ask</th>
                <th class="num">Volume</th>
                <th class="num">Open interest</th>
              </tr>
            </thead>
            <tbody>
              {d.ticks.map((t) => (
                <tr>
                  <td>{t.ts.toISOString().replace("T", " ").slice(0, 19)}</td>
                  <td class="num">{dollars(t.price)}</td>
                  <td class="num">{dollars(t.yes_bid)}</td>
                  <td class="num">{dollars(t.yes_ask)}</td>
                  <td class="num">{count(t.volume)}</td>
                  <td class="num">{count(t.open_interest)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
    </section>
  );
}

function Lifecycle({ d }: Props) {
  return (
    <section>
      <h2>Lifecycle</h2>
      {d.lifecycle.length === 0
        ? <Empty>No lifecycle message recorded.</Empty>
        : (
          <ol class="timeline">
            {d.lifecycle.map((l) => (
              <li>
                <strong>{l.event_type ?? l.message_type}</strong>{" "}
                {time(l.event_ts ?? l.received_at)}
              </li>
            ))}
          </ol>
        )}
    </section>
  );
}

function CaptureGaps({ d }: Props) {
  return (
    <section>
      <h2>Capture gaps</h2>
      {d.gaps.length === 0
        ? <Empty>No capture gap recorded during this market's life.</Empty>
        : (
          <ul class="plain">
            {d.gaps.map((g) => (
              <li>
                {g.channel}: {time(g.gap_start)} → {time(g.gap_end)} ({g.reason},{" "}
                {g.filled_at ? `filled ${time(g.filled_at)}` : "open"})
              </li>
            ))}
          </ul>
        )}
    </section>
  );
}

function Rules({ d }: Props) {
  const m = d.market;
  return (
    <section>
      <h2>Rules</h2>
      {m.rules_primary ? <p class="rules">{m.rules_primary}</p> : <Empty>No rules text.</Empty>}
      {m.rules_secondary && <p class="rules">{m.rules_secondary}</p>}
    </section>
  );
}

function RawPayload({ d }: Props) {
  return (
    <section>
      <details>
        <summary>Raw payload</summary>
        <pre class="raw">{JSON.stringify(d.market.raw, null, 2)}</pre>
      </details>
    </section>
  );
}

function MarketView({ d, at, book }: Props & BookProps) {
  return (
    <>
      <Heading d={d} />
      <Facts d={d} />
      <Chart d={d} />
      <OrderBookSection ticker={d.market.ticker} at={at} result={book} />
      <Downloads ticker={d.market.ticker} d={d} />
      <RecentTicks d={d} />
      <Lifecycle d={d} />
      <CaptureGaps d={d} />
      <Rules d={d} />
      <RawPayload d={d} />
    </>
  );
}

/** GET `/markets/{ticker}`. */
export function marketPage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const { at } = orderbookParams(new URL(c.req.url), deps.now());
    const detail = await loadMarket(deps.sql, ticker, { now: deps.now() });
    if (!detail) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown market",
        message: `No market ${ticker} is stored.`,
      });
    }
    // Most markets have no stored book: the page statement said so, which saves a round trip.
    const book: BookAt = detail.hasOrderbook
      ? await bookAt(deps.sql, ticker, at)
      : { status: "unknown_market", ticker };
    return renderPage(c, deps, {
      title: detail.market.title ?? ticker,
      body: <MarketView d={detail} at={at} book={book} />,
    });
  };
}
