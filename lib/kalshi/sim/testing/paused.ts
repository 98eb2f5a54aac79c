/**
 * The simulator as tests and benchmarks use it: in-process, paused (time moves only through
 * `sim.clock.advance`), no pump or pings, ground truth in memory without REST bodies. One place
 * for those defaults; a caller overrides any of them.
 * @module
 */
import { type ServedSimulator, serveSimulator, type SimulatorOptions } from "../simulator.ts";

/** The fixed "now" of backfill tests: a paused clock keeps the world still while workers read it. */
export const BACKFILL_NOW: number = Date.UTC(2026, 9, 14, 15, 30);

/** A served, paused simulator on 127.0.0.1 (a free port). */
export function pausedSimulator(options: SimulatorOptions = {}): ServedSimulator {
  return serveSimulator({
    paused: true,
    pumpIntervalMs: 0,
    pingSeconds: 0,
    groundTruth: { memory: true, restBodies: false },
    ...options,
  });
}

/**
 * A paused simulator at {@linkcode BACKFILL_NOW} with three days of history (one of them behind
 * the historical cutoff) and a day ahead: what backfill tests and benchmarks read.
 */
export function backfillSimulator(
  markets: number,
  options: SimulatorOptions = {},
): ServedSimulator {
  return pausedSimulator({
    markets,
    startMs: BACKFILL_NOW,
    historyDays: 3,
    futureDays: 1,
    cutoffLagDays: 1,
    ...options,
  });
}
