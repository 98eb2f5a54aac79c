/**
 * Readiness: whether a running service is doing its job, as opposed to liveness (the process
 * answers). A service registers named checks; `/readyz` answers 200 when every check passes and
 * 503 with the failing checks' reasons otherwise. Each evaluation also sets `service_ready` and
 * `service_readiness_check{check}` so Prometheus alerts see the same verdict.
 * @module
 */
import type { Metrics } from "./metrics.ts";

/** The verdict of one check. */
export interface CheckResult {
  /** True when the service does this part of its job. */
  ok: boolean;
  /** Why not (or a short state when ok), e.g. "no frame for 6m12s (limit 5m)". */
  reason?: string;
  /** Numbers behind the verdict, for machines. */
  detail?: Record<string, unknown>;
}

/** A readiness check; may query a database (bounded by the evaluation's timeout). */
export type ReadinessCheck = () => CheckResult | Promise<CheckResult>;

/** One check in a report. */
export interface CheckReport extends CheckResult {
  /** The check's name. */
  name: string;
}

/** The outcome of evaluating every check. */
export interface ReadinessReport {
  /** True when every check passed (and the service is not stopping). */
  ready: boolean;
  /** Each check, in registration order. */
  checks: CheckReport[];
}

/** A service's set of readiness checks. */
export interface Readiness {
  /** Registers (or replaces) the check `name`. */
  add(name: string, check: ReadinessCheck): void;
  /** Marks the service as stopping: every later evaluation is not ready. */
  stopping(): void;
  /** Runs every check (each bounded by the timeout) and updates the metrics. */
  evaluate(): Promise<ReadinessReport>;
}

/** Options of {@linkcode createReadiness}. */
export interface ReadinessOptions {
  /** Where `service_ready` and `service_readiness_check` are set. */
  metrics?: Metrics;
  /** A check that takes longer fails with "timed out" (default 5000 ms). */
  timeoutMs?: number;
}

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, reason: `check timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    const result = await Promise.race([Promise.resolve().then(check), timedOut]);
    return { name, ...result };
  } catch (error) {
    return { name, ok: false, reason: `check failed: ${(error as Error)?.message ?? error}` };
  } finally {
    clearTimeout(timer);
  }
}

/** Creates an empty set of checks (ready until a check says otherwise). */
export function createReadiness(options: ReadinessOptions = {}): Readiness {
  const checks = new Map<string, ReadinessCheck>();
  const timeoutMs = options.timeoutMs ?? 5000;
  const ready = options.metrics?.gauge("service_ready", "1 when every readiness check passes");
  const perCheck = options.metrics?.gauge(
    "service_readiness_check",
    "1 when the named readiness check passes, 0 when it fails",
  );
  let stopping = false;
  return {
    add(name, check) {
      checks.set(name, check);
    },
    stopping() {
      stopping = true;
      ready?.set(0);
    },
    async evaluate() {
      const reports = await Promise.all(
        [...checks].map(([name, check]) => runCheck(name, check, timeoutMs)),
      );
      if (stopping) reports.push({ name: "stopping", ok: false, reason: "service is stopping" });
      for (const r of reports) perCheck?.set(r.ok ? 1 : 0, { check: r.name });
      const report = { ready: reports.every((r) => r.ok), checks: reports };
      ready?.set(report.ready ? 1 : 0);
      return report;
    },
  };
}

/** "6m12s"-style duration for reasons a person reads. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/**
 * A check that fails when the time since `lastMs()` exceeds `limitMs`; before any event, the
 * time since `sinceMs` (the service's start) counts instead, so a service that never succeeds
 * also turns unready after the limit.
 */
export function ageCheck(
  what: string,
  options: {
    now: () => number;
    lastMs: () => number | undefined;
    sinceMs: number;
    limitMs: number;
  },
): ReadinessCheck {
  return () => {
    const last = options.lastMs();
    const age = options.now() - (last ?? options.sinceMs);
    const detail = { age_ms: age, limit_ms: options.limitMs, last: last ?? null };
    if (age <= options.limitMs) return { ok: true, detail };
    const when = last === undefined
      ? `none since start ${formatDuration(age)} ago`
      : `${formatDuration(age)} ago`;
    return {
      ok: false,
      reason: `${what}: ${when} (limit ${formatDuration(options.limitMs)})`,
      detail,
    };
  };
}
