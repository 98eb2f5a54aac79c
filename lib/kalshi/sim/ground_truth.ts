/**
 * The ground-truth record: everything the simulator emitted on its channels, sent on each socket,
 * and served over REST, as NDJSON files in a folder and/or in memory (served at `/_sim/ground-truth`).
 */

/** A channel message the exchange emitted (before per-subscription sid/seq framing). */
export interface EmitRecord {
  /** An emission. */
  kind: "emit";
  /** Global emission number, 1-based, gap-free. */
  n: number;
  /** Simulated exchange time of the emission, Unix ms. */
  time_ms: number;
  /** The channel (`ticker`, `trade`, `market_lifecycle_v2`, …). */
  channel: string;
  /** The message type. */
  type: string;
  /** The market it concerns, if any. */
  market_ticker: string | null;
  /** The message body as emitted. */
  msg: Record<string, unknown>;
}

/** A WebSocket event on one connection. */
export interface WsRecord {
  /** What happened on the connection. */
  kind: "ws_open" | "ws_recv" | "ws_send" | "ws_fault" | "ws_close";
  /** Connection number, 1-based. */
  conn: number;
  /** Simulated time, Unix ms. */
  time_ms: number;
  /** Exact frame text (recv/send/fault). */
  frame?: string;
  /** Emission number carried by a data frame (ws_send of a channel message). */
  n?: number;
  /** Subscription id of a data frame. */
  sid?: number;
  /** Sequence number of a data frame. */
  seq?: number;
  /**
   * Fault name for ws_fault: "malformed", "unknown_type", "drop", or "drop_delta" (an order-book
   * delta not sent; its sid and seq are recorded, no frame).
   */
  fault?: string;
  /** Close reason (ws_close). */
  reason?: string;
}

/** A REST request served. */
export interface RestRecord {
  /** A REST request. */
  kind: "rest";
  /** Simulated time, Unix ms. */
  time_ms: number;
  /** HTTP method. */
  method: string;
  /** Request path. */
  path: string;
  /** Query string, without `?`. */
  query: string;
  /** HTTP status answered. */
  status: number;
  /** Fault that produced the answer, if any ("server_error", "rate_limit_storm", "rate_limited", "auth"). */
  fault?: string;
  /** Response body, when `restBodies` is on. */
  body?: string;
}

/** Any ground-truth record. */
export type GroundTruthRecord = EmitRecord | WsRecord | RestRecord;

/** Options for {@link createGroundTruth}. */
export interface GroundTruthOptions {
  /** Folder for `emitted.ndjson`, `ws.ndjson`, `rest.ndjson` (created if missing). */
  dir?: string;
  /** Keep records in memory (default true). */
  memory?: boolean;
  /** Stop keeping records in memory after this many (default 1,000,000); files are unaffected. */
  maxMemoryRecords?: number;
  /** Record REST response bodies (default true). */
  restBodies?: boolean;
}

/** The recorder. */
export interface GroundTruth {
  /** Whether REST response bodies are recorded. */
  readonly restBodies: boolean;
  /** Whether anything records at all (skip building records when false). */
  readonly enabled: boolean;
  /** Records one event. */
  record(rec: GroundTruthRecord): void;
  /** In-memory records, optionally of one kind prefix ("emit", "ws", "rest"). */
  records(kind?: "emit" | "ws" | "rest"): GroundTruthRecord[];
  /** Whether the memory cap was hit. */
  readonly truncated: boolean;
  /** Writes buffered lines to the files. */
  flush(): void;
  /** Flushes and closes the files. */
  close(): void;
}

const FILES = { emit: "emitted.ndjson", ws: "ws.ndjson", rest: "rest.ndjson" } as const;

function fileKind(r: GroundTruthRecord): keyof typeof FILES {
  return r.kind === "emit" ? "emit" : r.kind === "rest" ? "rest" : "ws";
}

/** Creates a ground-truth recorder. */
export function createGroundTruth(options: GroundTruthOptions = {}): GroundTruth {
  const memory = options.memory ?? true;
  const max = options.maxMemoryRecords ?? 1_000_000;
  const kept: GroundTruthRecord[] = [];
  let truncated = false;
  const buffers: Record<keyof typeof FILES, string[]> = { emit: [], ws: [], rest: [] };
  const dir = options.dir;
  if (dir) {
    Deno.mkdirSync(dir, { recursive: true });
    for (const f of Object.values(FILES)) Deno.writeTextFileSync(`${dir}/${f}`, "");
  }
  function flush(): void {
    if (!dir) return;
    for (const k of Object.keys(FILES) as Array<keyof typeof FILES>) {
      if (buffers[k].length === 0) continue;
      Deno.writeTextFileSync(`${dir}/${FILES[k]}`, buffers[k].join(""), { append: true });
      buffers[k] = [];
    }
  }
  return {
    restBodies: options.restBodies ?? true,
    enabled: memory || dir !== undefined,
    record(rec) {
      if (memory) {
        if (kept.length < max) kept.push(rec);
        else truncated = true;
      }
      if (dir) {
        const b = buffers[fileKind(rec)];
        b.push(JSON.stringify(rec) + "\n");
        if (b.length >= 5000) flush();
      }
    },
    records(kind) {
      if (!kind) return kept;
      return kept.filter((r) => fileKind(r) === kind);
    },
    get truncated() {
      return truncated;
    },
    flush,
    close: flush,
  };
}
