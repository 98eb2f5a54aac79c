/** `/markets/{ticker}/trades`: a market's trades, newest first, paged, with a CSV download. */
import { count, dollars } from "../../../components/format.ts";
import { Empty } from "../../../components/tables.tsx";
import { marketExists } from "../../../data/candles.ts";
import { loadTrades, type TradeRow } from "../../../data/trades.ts";
import type { PortalDeps, PortalHandler } from "../../../deps.ts";
import { parsePath, tickerSchema } from "../../../params.ts";
import { errorResponse, renderPage } from "../../../render.tsx";
import { tradeParams } from "../../../route_params.ts";
import { olderTradesUrl } from "../../api/markets/[ticker]/trades.ts";

function TradeTable({ trades }: { trades: TradeRow[] }) {
  return (
    <table class="data trades">
      <thead>
        <tr>
          <th>Time (UTC)</th>
          <th class="num">Yes price</th>
          <th class="num">No price</th>
          <th class="num">Size</th>
          <th>Taker side</th>
          <th>Source</th>
        </tr>
      </thead>
      <tbody>
        {trades.map((t) => (
          <tr data-trade-id={t.trade_id}>
            <td>{t.created_time.replace("T", " ").replace("Z", "")}</td>
            <td class="num">{dollars(t.yes_price)}</td>
            <td class="num">{dollars(t.no_price)}</td>
            <td class="num">{count(t.count)}</td>
            <td>{t.taker_side ?? "—"}</td>
            <td>{t.source}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CsvForm({ ticker }: { ticker: string }) {
  return (
    <form
      method="get"
      action={`/api/markets/${encodeURIComponent(ticker)}/trades`}
      class="inline trades-csv"
    >
      <input type="hidden" name="format" value="csv" />
      <label>
        from <input type="date" name="from" />
      </label>
      <label>
        to <input type="date" name="to" />
      </label>
      <button type="submit">Trades CSV</button>
      <span class="muted">(default: every stored trade)</span>
    </form>
  );
}

/** GET `/markets/{ticker}/trades`. */
export function tradesPage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const ticker = parsePath("ticker", c.req.param("ticker"), tickerSchema);
    const url = new URL(c.req.url);
    const p = tradeParams(url, { page: true });
    const [exists, page] = await Promise.all([
      marketExists(deps.sql, ticker),
      loadTrades(deps.sql, ticker, p),
    ]);
    if (!exists) {
      return errorResponse(c, deps, {
        status: 404,
        title: "Unknown market",
        message: `No market ${ticker} is stored.`,
      });
    }
    const market = `/markets/${encodeURIComponent(ticker)}`;
    return renderPage(c, deps, {
      title: `Trades of ${ticker}`,
      body: (
        <>
          <p class="crumbs">
            <a href={market}>{ticker}</a>
          </p>
          <h1>Trades of {ticker}</h1>
          <CsvForm ticker={ticker} />
          <div id="trades" data-count={page.trades.length}>
            {page.trades.length === 0
              ? <Empty>No trade of this market is stored{p.before ? " before these" : ""}.</Empty>
              : <TradeTable trades={page.trades} />}
          </div>
          {page.next && (
            <p class="pager">
              <a rel="next" href={olderTradesUrl(url, page.next)}>Older trades →</a>
            </p>
          )}
        </>
      ),
    });
  };
}
