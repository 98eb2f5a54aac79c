/** `/predictions`: predictions beside market prices and outcomes, Brier score and calibration. */
import { CalibrationChart } from "../components/charts.tsx";
import { decimal, dollars, time } from "../components/format.ts";
import type { Interval, PairedDifference } from "@kalshi-data/lib/predictions";
import {
  loadPredictions,
  PORTAL_BOOTSTRAP,
  type PredictionScores,
  type PredictionsPage,
} from "../data/predictions.ts";
import type { PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { predictionParams } from "../route_params.ts";

const interval = (ci: Interval) => ci ? `[${decimal(ci[0])}, ${decimal(ci[1])}]` : "";

/** The paired difference, said in words: which side the interval falls on. */
function verdict(diff: PairedDifference | null | undefined): string {
  const ci = diff?.brierCi;
  if (!ci) return "";
  if (ci[1] < 0) return "the model did better than the market price";
  if (ci[0] > 0) return "the market price did better than the model";
  return "no clear difference (the interval contains 0)";
}

function Scores({ page }: { page: PredictionsPage }) {
  const s = page.scores!;
  const [model, price] = s.comparison.lines;
  const diff = model.vsReference;
  return (
    <>
      <section class="cards">
        <div class="card">
          <h2>Brier score</h2>
          <p class="big" data-testid="brier">{decimal(s.model.brier)}</p>
          <p data-testid="brier-ci">95% interval {interval(model.brierCi)}</p>
          <p>
            Market price as a forecast, on the same {s.comparison.n} predictions:{" "}
            {decimal(s.marketPrice.brier)}{" "}
            {interval(price.brierCi)}. Lower is better; 0.25 is a coin flip.
          </p>
          <p data-testid="brier-diff">
            Model − market price: {decimal(diff?.brier)} {interval(diff?.brierCi ?? null)}:{" "}
            {verdict(diff)}.
          </p>
        </div>
        <div class="card">
          <h2>Log loss</h2>
          <p class="big">{decimal(s.model.logLoss)}</p>
          <p>95% interval {interval(model.logLossCi)}</p>
          <p>
            Market price: {decimal(s.marketPrice.logLoss)}{" "}
            {interval(price.logLossCi)}; model − market price: {decimal(diff?.logLoss)}{" "}
            {interval(diff?.logLossCi ?? null)}.
          </p>
          <p>Base rate of yes: {decimal(s.model.baseRate, 3)} over {s.comparison.n} scored.</p>
        </div>
        <div class="card">
          <h2>Calibration</h2>
          <CalibrationChart bins={s.model.calibration} />
        </div>
      </section>
      <p class="note">
        Intervals: 95% bootstrap over predictions ({PORTAL_BOOTSTRAP.resamples} resamples, seed{" "}
        {PORTAL_BOOTSTRAP.seed}); the difference is paired, on the same resamples.
      </p>
      {s.unpricedTotal > 0 && <Unpriced scores={s} />}
    </>
  );
}

/** Resolved predictions without a recorded market price: left out of both scores, listed. */
function Unpriced({ scores }: { scores: PredictionScores }) {
  const total = scores.unpricedTotal;
  return (
    <section class="unpriced" data-testid="unpriced">
      <h2>Not scored: {total} resolved without a market price</h2>
      <p>
        These predictions have no recorded market price at prediction time, so neither the model nor
        the market price is scored on them (both lines use the same predictions).
      </p>
      <ul>
        {scores.unpriced.map((u) => (
          <li>
            <a href={`/markets/${encodeURIComponent(u.market_ticker)}`}>{u.market_ticker}</a>{" "}
            predicted {time(u.predicted_at)}
          </li>
        ))}
      </ul>
      {total > scores.unpriced.length && <p>… and {total - scores.unpriced.length} more.</p>}
    </section>
  );
}

function PredictionsView(
  { page, model, nextUrl }: { page: PredictionsPage; model?: string; nextUrl?: string },
) {
  if (page.models.length === 0) {
    return (
      <>
        <h1>Predictions</h1>
        <section class="empty-state">
          <p>No prediction is stored yet.</p>
          <p>
            The optional analytics service (<code>rag_service</code>) writes probability forecasts
            into the <code>predictions</code>{" "}
            table. Once markets it forecast settle, this page scores them with the Brier score and
            log loss and draws a calibration chart, using the same scoring code as the service's own
            evaluation (<code>lib/predictions/scoring.ts</code>).
          </p>
        </section>
      </>
    );
  }
  return (
    <>
      <h1>Predictions{model ? ` of ${model}` : ""}</h1>
      <nav class="models">
        Models: <a href="/predictions">all</a>
        {page.models.map((m) => (
          <>
            {" · "}
            <a href={`/predictions?model=${encodeURIComponent(m.model)}`}>
              {m.model} ({m.resolved}/{m.predictions} resolved)
            </a>
          </>
        ))}
      </nav>
      {page.scores ? <Scores page={page} /> : (
        <p class="empty">
          None of these predictions has a settled market yet, so none is scored.
        </p>
      )}
      <table class="data predictions">
        <thead>
          <tr>
            <th>Predicted</th>
            <th>Market</th>
            <th>Model</th>
            <th class="num">P(yes)</th>
            <th class="num">Price then</th>
            <th class="num">Last price</th>
            <th>Status</th>
            <th>Outcome</th>
          </tr>
        </thead>
        <tbody>
          {page.items.map((p) => (
            <tr>
              <td>{time(p.predicted_at)}</td>
              <td>
                <a href={`/markets/${encodeURIComponent(p.market_ticker)}`}>{p.market_ticker}</a>
              </td>
              <td>{p.model}</td>
              <td class="num">{p.probability}</td>
              <td class="num">{dollars(p.market_price)}</td>
              <td class="num">{dollars(p.last_price)}</td>
              <td>{p.status ?? "unknown market"}</td>
              <td>{p.outcome ?? p.result ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {nextUrl && (
        <p class="pager">
          <a rel="next" href={nextUrl}>Older →</a>
        </p>
      )}
    </>
  );
}

/** The next page's URL. */
export function olderUrl(path: string, url: URL, before: string): string {
  const params = new URLSearchParams(url.searchParams);
  params.set("before", before);
  return `${path}?${params}`;
}

/** GET `/predictions`. */
export function predictionsPage(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const url = new URL(c.req.url);
    const query = predictionParams(url);
    const page = await loadPredictions(deps.sql, query);
    return renderPage(c, deps, {
      title: "Predictions",
      body: (
        <PredictionsView
          page={page}
          model={query.model}
          nextUrl={page.next ? olderUrl("/predictions", url, page.next) : undefined}
        />
      ),
    });
  };
}
