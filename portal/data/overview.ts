/**
 * The ingest-health overview: what is stored, how fast ticks arrive, the backfill queue, resume
 * points, WebSocket sessions, capture gaps and dead letters. Big tables are counted from the
 * planner's statistics (exact counts only when small), and the tick rate reads only the last
 * hours (partition pruning on `ts`), so the page stays cheap on billions of rows.
 * @module
 */
import type { Sql } from "@kalshi-data/lib/db";

/** Tables whose size is estimated above this many rows instead of counted. */
const EXACT_COUNT_LIMIT = 200_000;

/** The overview's data. */
export interface Overview {
  generatedAt: Date;
  counts: {
    series: number;
    events: number;
    marketsByStatus: { status: string; count: number }[];
    markets: number;
  };
  stored: { table: string; rows: number; estimated: boolean }[];
  tickRate: { hours: number; perMinute: { minute: Date; ticks: number }[]; total: number };
  backfill: {
    byState: { state: string; count: number }[];
    oldestPending: {
      id: string;
      kind: string;
      job_key: string;
      created_at: Date;
      run_after: Date;
      attempts: number;
    } | null;
    recentErrors: {
      id: string;
      kind: string;
      job_key: string;
      last_error: string;
      updated_at: Date;
    }[];
  };
  resumePoints: { key: string; scope: string; value: unknown; updated_at: Date }[];
  websocket: {
    sessions: { scope: string; value: Record<string, unknown>; updated_at: Date; live: boolean }[];
  };
  gaps: {
    open: number;
    total: number;
    recent: {
      id: string;
      channel: string;
      market_tickers: string[] | null;
      gap_start: Date;
      gap_end: Date;
      reason: string;
      filled_at: Date | null;
    }[];
  };
  deadLetters: {
    total: number;
    lastDay: number;
    recent: { id: string; source: string; error: string; received_at: Date }[];
  };
}

/** Options of {@linkcode loadOverview}. */
export interface OverviewOptions {
  /** The current time (injected so tests are deterministic). */
  now: Date;
  /** Hours of tick rate to chart; default 6. */
  hours?: number;
  /** A WebSocket session counts as live when its last message is this recent; default 120 s. */
  liveSeconds?: number;
}

async function tableRows(sql: Sql, table: "ticks" | "candles" | "trades" | "market_lifecycle") {
  // reltuples is -1 for a never-analysed table; partitions are summed for ticks.
  const [estimate] = await sql<{ rows: string }[]>`
    SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS rows
    FROM pg_class c
    WHERE c.oid = to_regclass(${"public." + table})
       OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = to_regclass(${
    "public." + table
  }))`;
  const estimated = Number(estimate.rows);
  if (estimated > EXACT_COUNT_LIMIT) return { table, rows: estimated, estimated: true };
  const [exact] = await sql.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM public.${table}`);
  return { table, rows: Number(exact.n), estimated: false };
}

/** Loads the overview. */
export async function loadOverview(sql: Sql, options: OverviewOptions): Promise<Overview> {
  const now = options.now;
  const hours = options.hours ?? 6;
  const liveSeconds = options.liveSeconds ?? 120;
  const since = new Date(now.getTime() - hours * 3600_000);
  const [
    [series],
    [events],
    marketsByStatus,
    stored,
    tickRows,
    byState,
    oldest,
    recentErrors,
    resume,
    gapCounts,
    gaps,
    deadCounts,
    dead,
  ] = await Promise.all([
    sql<{ n: number }[]>`SELECT count(*)::int AS n FROM series`,
    sql<{ n: number }[]>`SELECT count(*)::int AS n FROM events`,
    sql<{ status: string; count: number }[]>`
      SELECT status, count(*)::int AS count FROM markets GROUP BY status ORDER BY status`,
    Promise.all(
      (["ticks", "candles", "trades", "market_lifecycle"] as const).map((t) => tableRows(sql, t)),
    ),
    sql<{ minute: Date; ticks: number }[]>`
      SELECT date_trunc('minute', ts) AS minute, count(*)::int AS ticks
      FROM ticks WHERE ts >= ${since} AND ts < ${now}
      GROUP BY 1 ORDER BY 1`,
    sql<{ state: string; count: number }[]>`
      SELECT state, count(*)::int AS count FROM backfill_jobs GROUP BY state ORDER BY state`,
    sql<NonNullable<Overview["backfill"]["oldestPending"]>[]>`
      SELECT id::text, kind, job_key, created_at, run_after, attempts FROM backfill_jobs
      WHERE state = 'pending' ORDER BY id LIMIT 1`,
    sql<Overview["backfill"]["recentErrors"]>`
      SELECT id::text, kind, job_key, left(last_error, 300) AS last_error, updated_at
      FROM backfill_jobs WHERE state IN ('dead', 'pending', 'running') AND last_error IS NOT NULL
      ORDER BY updated_at DESC LIMIT 5`,
    sql<Overview["resumePoints"]>`
      SELECT key, scope, value, updated_at FROM ingest_state
      WHERE key IN ('discovery.series_synced', 'discovery.events_synced',
                    'discovery.markets_synced', 'historical.cutoff', 'ws.session',
                    'coverage.audited_through')
      ORDER BY key, scope LIMIT 100`,
    sql<{ open: number; total: number }[]>`
      SELECT count(*) FILTER (WHERE filled_at IS NULL)::int AS open, count(*)::int AS total
      FROM capture_gaps`,
    sql<Overview["gaps"]["recent"]>`
      SELECT id::text, channel, market_tickers, gap_start, gap_end, reason, filled_at
      FROM capture_gaps ORDER BY gap_start DESC LIMIT 10`,
    sql<{ total: number; last_day: number }[]>`
      SELECT (SELECT count(*)::int FROM dead_letters) AS total,
             (SELECT count(*)::int FROM dead_letters
              WHERE received_at >= ${new Date(now.getTime() - 86400_000)}) AS last_day`,
    sql<Overview["deadLetters"]["recent"]>`
      SELECT id::text, source, left(error, 300) AS error, received_at
      FROM dead_letters ORDER BY received_at DESC LIMIT 5`,
  ]);
  const perMinute = fillMinutes(tickRows, since, now);
  const sessions = resume.filter((r) => r.key === "ws.session").map((r) => {
    const value = (r.value ?? {}) as Record<string, unknown>;
    const last = Date.parse(String(value.lastMessageAt ?? value.connectedAt ?? ""));
    const live = Number.isFinite(last) && now.getTime() - last <= liveSeconds * 1000;
    return { scope: r.scope, value, updated_at: r.updated_at, live };
  });
  return {
    generatedAt: now,
    counts: {
      series: series.n,
      events: events.n,
      marketsByStatus,
      markets: marketsByStatus.reduce((sum, r) => sum + r.count, 0),
    },
    stored,
    tickRate: { hours, perMinute, total: perMinute.reduce((sum, m) => sum + m.ticks, 0) },
    backfill: { byState, oldestPending: oldest[0] ?? null, recentErrors },
    resumePoints: resume.filter((r) => r.key !== "ws.session"),
    websocket: { sessions },
    gaps: { open: gapCounts[0].open, total: gapCounts[0].total, recent: gaps },
    deadLetters: { total: deadCounts[0].total, lastDay: deadCounts[0].last_day, recent: dead },
  };
}

/** Every minute of [since, now), zero where no tick arrived. */
function fillMinutes(rows: { minute: Date; ticks: number }[], since: Date, now: Date) {
  const byMinute = new Map(rows.map((r) => [r.minute.getTime(), r.ticks]));
  const out: { minute: Date; ticks: number }[] = [];
  const start = Math.floor(since.getTime() / 60_000) * 60_000;
  for (let t = start; t < now.getTime(); t += 60_000) {
    out.push({ minute: new Date(t), ticks: byMinute.get(t) ?? 0 });
  }
  return out;
}
