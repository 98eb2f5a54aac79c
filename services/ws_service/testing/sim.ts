/** Shared set-up of the ws_service tests: a paused simulator, a seeded markets table, truth queries. */
import { generateKeyPairSync } from "node:crypto";
import type { Sql } from "@kalshi-data/lib/db";
import { type Clock, type KalshiCredentials, systemClock } from "@kalshi-data/lib/kalshi";
import {
  type EmitRecord,
  marketExists,
  marketStatus,
  type ServedSimulator,
  visibleCloseMs,
  type WsRecord,
} from "@kalshi-data/lib/kalshi/sim";
import { pausedSimulator } from "../../../lib/kalshi/sim/testing/paused.ts";

/** Simulated start (fixed, so runs are reproducible). */
export const START = Date.UTC(2026, 10, 25, 12, 0, 0);

/**
 * A paused simulator of `markets` markets; time moves only through `sim.clock.advance`. With
 * `auth` it verifies signed handshakes (the order-book channel requires one).
 */
export function startSim(
  markets: number,
  seed = 7,
  options: { auth?: { publicKeyPem: string; keyId: string; maxSkewMs?: number } } = {},
): ServedSimulator {
  return pausedSimulator({
    seed,
    markets,
    startMs: START,
    historyDays: 1,
    futureDays: 1,
    groundTruth: { memory: true },
    ...(options.auth ? { auth: options.auth } : {}),
  });
}

/**
 * A fresh Ed25519 key: the simulator's `auth` option and the client's credentials. The timestamp
 * check is off: the client signs with the simulator's (paused) clock.
 */
export function testCredentials(): {
  auth: { publicKeyPem: string; keyId: string; maxSkewMs: number };
  credentials: KalshiCredentials;
} {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const publicKeyPem = publicKey.export({ type: "spki", format: "pem" }).toString();
  return {
    auth: { publicKeyPem, keyId: "key-1", maxSkewMs: 0 },
    credentials: { keyId: "key-1", privateKey },
  };
}

/** The client clock: the simulator's time, real sleeps. */
export function simClock(served: ServedSimulator): Clock {
  return { now: () => served.sim.clock.now(), sleep: systemClock.sleep };
}

/** Inserts every market that exists now, as discovery would have. */
export async function seedMarkets(sql: Sql, served: ServedSimulator): Promise<number> {
  const w = served.sim.world;
  const now = served.sim.clock.now();
  const rows = [];
  for (let m = 0; m < w.marketCount; m++) {
    if (!marketExists(w, m, now)) continue;
    const e = w.marketEvent[m];
    rows.push({
      ticker: w.marketTickers[m],
      event_ticker: w.eventTickers[e],
      status: marketStatus(w, m, now),
      open_time: new Date(w.eventOpenMs[e]),
      close_time: new Date(visibleCloseMs(w, e, now)),
      raw: {},
    });
  }
  if (rows.length > 0) await sql`INSERT INTO markets ${sql(rows)}`;
  return rows.length;
}

/** Data frames the simulator sent (type, emission), in order. */
export function sentFrames(
  served: ServedSimulator,
): { type: string; emit: EmitRecord; rec: WsRecord }[] {
  const emits = new Map<number, EmitRecord>();
  for (const r of served.sim.groundTruth.records("emit")) {
    emits.set((r as EmitRecord).n, r as EmitRecord);
  }
  const out = [];
  for (const r of served.sim.groundTruth.records("ws") as WsRecord[]) {
    if (r.kind !== "ws_send" || r.n === undefined) continue;
    const emit = emits.get(r.n)!;
    out.push({ type: emit.type, emit, rec: r });
  }
  return out;
}
