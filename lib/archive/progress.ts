/** Progress of a long export or verify: done/total days, rows, rate and an ETA. @module */
import { formatDuration } from "../runtime/mod.ts";

/** One progress report. */
export interface Progress {
  /** Days finished (written, skipped or failed). */
  done: number;
  /** Days planned. */
  total: number;
  /** Rows handled so far. */
  rows: number;
  /** Milliseconds since the work started. */
  elapsedMs: number;
  /** Estimated milliseconds left (from the pace so far); null before the first day ends. */
  etaMs: number | null;
  /** What is being worked on, e.g. `ticks 2026-12-01`. */
  current: string;
}

/** Tracks progress and derives rate and ETA; `clock` is injected (tests). */
export class ProgressMeter {
  #done = 0;
  #rows = 0;
  readonly #start: number;
  readonly #total: number;
  readonly #clock: () => number;

  /** Starts a meter over `total` days. */
  constructor(total: number, clock: () => number = Date.now) {
    this.#total = total;
    this.#clock = clock;
    this.#start = clock();
  }

  /** Marks one day finished with `rows` rows. */
  step(rows: number): void {
    this.#done++;
    this.#rows += rows;
  }

  /** The current report, working on `current`. */
  report(current: string): Progress {
    const elapsedMs = this.#clock() - this.#start;
    const left = this.#total - this.#done;
    const etaMs = this.#done === 0 ? null : Math.round((elapsedMs / this.#done) * left);
    return { done: this.#done, total: this.#total, rows: this.#rows, elapsedMs, etaMs, current };
  }
}

/** One line for a terminal: `12/40 days, 1.2M rows, 350k rows/s, ETA 1m20s — ticks 2026-12-01`. */
export function formatProgress(p: Progress): string {
  const rate = p.elapsedMs > 0 ? (p.rows / p.elapsedMs) * 1000 : 0;
  const eta = p.etaMs === null ? "ETA -" : `ETA ${formatDuration(p.etaMs)}`;
  return `${p.done}/${p.total} days, ${compact(p.rows)} rows, ${compact(rate)} rows/s, ${eta}` +
    (p.current ? ` — ${p.current}` : "");
}

function compact(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
