/**
 * The on-disk spool: batches the database could not take yet, as append-only NDJSON segment
 * files (`segment-000000000001.ndjson`, one batch per line) in a folder, replayed oldest first.
 * A segment is deleted once every batch in it was written; a replay interrupted by a crash
 * starts the segment again and the batch ids in `ingested_batches` skip what already landed.
 *
 * Partial writes: an append that fails part-way (disk full) leaves a torn line at the end of its
 * segment, and the next append goes to a new segment, so no later batch ever joins the torn line.
 * At replay a torn line becomes a recorded capture gap (reason `spool_torn`) between the batches
 * around it. Each append is flushed to disk (fsync) unless the caller relaxes it. A lock file
 * keeps a second process from using the same folder.
 */
import { join } from "node:path";
import type { CaptureBatch } from "./batch.ts";

/** Options of {@linkcode openSpool}. */
export interface SpoolOptions {
  /** Start a new segment once the current one reaches this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /** Called for a line that cannot be read back (e.g. cut short by a crash mid-append). */
  onCorruptLine?: (segment: string, line: number, error: string) => void;
  /** Flush every append to disk with fsync (default true). */
  fsync?: boolean;
  /** Writes bytes at the end of a file (tests inject short writes); default: append + fsync. */
  appendFile?: (path: string, data: Uint8Array, fsync: boolean) => Promise<void>;
  /** Current time in ms, for the end of a torn tail's gap (default Date.now). */
  now?: () => number;
}

/** Another live process (or another spool in this one) holds the spool folder. */
export class SpoolLockedError extends Error {
  /** Creates the error. */
  constructor(dir: string) {
    super(
      `the spool folder ${dir} is in use by another ws_service (its lock file .lock is held): two ` +
        "instances must not share a spool; give each its own WS_SPOOL_DIR (and WS_INSTANCE), " +
        "or stop the other one",
    );
    this.name = "SpoolLockedError";
  }
}

/** The spool of one folder. */
export interface Spool {
  /** The folder. */
  readonly dir: string;
  /** Bytes in segment files not yet fully replayed. */
  readonly bytes: number;
  /** Whether nothing is waiting. */
  readonly empty: boolean;
  /** Appends batches, in order, after everything already spooled. */
  append(batches: readonly CaptureBatch[]): Promise<void>;
  /** The oldest spooled batch, or null when empty (the same one until {@linkcode ack}). */
  peek(): Promise<CaptureBatch | null>;
  /** Marks the batch returned by {@linkcode peek} as written. */
  ack(): Promise<void>;
  /** Releases the folder's lock file. */
  close(): Promise<void>;
}

const SEGMENT = /^segment-(\d{12})\.ndjson$/;
const LOCK = ".lock";

function segmentName(n: number): string {
  return `segment-${String(n).padStart(12, "0")}.ndjson`;
}

const encoder = new TextEncoder();

/** Appends `data` to `path` and, with `fsync`, flushes it to disk before resolving. */
async function appendAndSync(path: string, data: Uint8Array, fsync: boolean): Promise<void> {
  using file = await Deno.open(path, { append: true, create: true });
  let written = 0;
  while (written < data.length) written += await file.write(data.subarray(written));
  if (fsync) await file.syncData();
}

/**
 * Takes the folder's lock: an exclusive advisory lock (flock) on `.lock`, held while the spool is
 * open and released by the kernel when the process dies, so a crash never leaves a stale lock.
 */
async function acquireLock(dir: string): Promise<Deno.FsFile> {
  const file = await Deno.open(join(dir, LOCK), { create: true, write: true });
  if (await file.tryLock(true)) return file;
  file.close();
  throw new SpoolLockedError(dir);
}

/** A segment read back: its batches, and the line of a torn record if there was one. */
interface ReadSegment {
  batches: CaptureBatch[];
  tornLine: number | null;
}

async function readSegment(
  path: string,
  name: string,
  onCorrupt: SpoolOptions["onCorruptLine"],
): Promise<ReadSegment> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { batches: [], tornLine: null };
    throw error;
  }
  const lines = text.split("\n");
  const batches: CaptureBatch[] = [];
  let tornLine: number | null = null;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    try {
      batches.push(JSON.parse(lines[i]) as CaptureBatch);
    } catch (error) {
      onCorrupt?.(name, i + 1, (error as Error).message);
      tornLine = i + 1;
    }
  }
  return { batches, tornLine };
}

/** The time a batch covers from (its first receive, else its lowest exchange time). */
function batchStartMs(b: CaptureBatch): number | null {
  return b.firstReceivedMs ?? b.minExchangeMs;
}

/** The time a batch covers until (its highest exchange or first receive time). */
function batchEndMs(b: CaptureBatch): number | null {
  const times = [b.maxExchangeMs, b.firstReceivedMs].filter((t) => t !== null) as number[];
  return times.length === 0 ? null : Math.max(...times);
}

/**
 * The batch that records a torn record as a capture gap: from the batch before it to the batch
 * after it (or `nowMs` when none follows). Its id is fixed by the record's place, so a replay
 * interrupted after writing it does not write it twice.
 */
function tornGapBatch(
  torn: { segment: string; line: number; afterMs: number | null },
  nextMs: number,
): CaptureBatch {
  const start = Math.min(torn.afterMs ?? nextMs, nextMs);
  return {
    id: `spool-torn:${torn.segment}:${torn.line}`,
    sessionId: "spool",
    ticks: [],
    trades: [],
    lifecycle: [],
    deadLetters: [],
    gaps: [{
      channel: "all",
      marketTickers: null,
      startMs: start,
      endMs: Math.max(start, nextMs),
      reason: "spool_torn",
      detail: { segment: torn.segment, line: torn.line },
    }],
    maxExchangeMs: null,
    minExchangeMs: null,
    firstReceivedMs: null,
  };
}

/** Opens (creating if needed) the spool in `dir` and finds the segments left by earlier runs. */
export async function openSpool(dir: string, options: SpoolOptions = {}): Promise<Spool> {
  await Deno.mkdir(dir, { recursive: true });
  const lock = await acquireLock(dir);
  const segments: { n: number; bytes: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile ? SEGMENT.exec(entry.name) : null;
    if (match === null) continue;
    const info = await Deno.stat(join(dir, entry.name));
    segments.push({ n: Number(match[1]), bytes: info.size });
  }
  segments.sort((a, b) => a.n - b.n);
  return new SegmentSpool(dir, lock, segments, options);
}

/** The spool over a folder of numbered segments. */
class SegmentSpool implements Spool {
  readonly dir: string;
  #lock: Deno.FsFile;
  #options: SpoolOptions;
  #segments: { n: number; bytes: number }[];
  #nextSegment: number;
  #bytes: number;
  /** Never append to a segment left by an earlier run (its tail may be torn), nor after a failure. */
  #writing: { n: number; bytes: number } | null = null;
  #reading: { n: number; batches: CaptureBatch[] } | null = null;
  /** A torn record waiting for the batch after it, to bound its gap. */
  #torn: { segment: string; line: number; afterMs: number | null } | null = null;
  #lastEndMs: number | null = null;
  /** One operation at a time: a read must never see half of an append to the same segment. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    dir: string,
    lock: Deno.FsFile,
    segments: { n: number; bytes: number }[],
    options: SpoolOptions,
  ) {
    this.dir = dir;
    this.#lock = lock;
    this.#segments = segments;
    this.#options = options;
    this.#nextSegment = (segments.at(-1)?.n ?? 0) + 1;
    this.#bytes = segments.reduce((sum, seg) => sum + seg.bytes, 0);
  }

  get bytes(): number {
    return this.#bytes;
  }

  get empty(): boolean {
    return this.#segments.length === 0 &&
      (this.#reading === null || this.#reading.batches.length === 0);
  }

  append(batches: readonly CaptureBatch[]): Promise<void> {
    return this.#exclusive(() => this.#append(batches));
  }

  peek(): Promise<CaptureBatch | null> {
    return this.#exclusive(async () => {
      await this.#load();
      return this.#reading?.batches[0] ?? null;
    });
  }

  ack(): Promise<void> {
    return this.#exclusive(async () => {
      const done = this.#reading?.batches.shift();
      if (done) this.#lastEndMs = batchEndMs(done) ?? this.#lastEndMs;
      await this.#load();
    });
  }

  close(): Promise<void> {
    return this.#exclusive(async () => {
      try {
        await this.#lock.unlock();
        this.#lock.close();
      } catch { /* already closed */ }
    });
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #load(): Promise<void> {
    while (this.#reading === null || this.#reading.batches.length === 0) {
      if (this.#reading !== null) await this.#dropSegment(this.#reading.n);
      const oldest = this.#segments[0];
      if (oldest === undefined) return this.#closeTornTail();
      if (this.#writing !== null && this.#writing.n === oldest.n) this.#writing = null;
      const name = segmentName(oldest.n);
      const read = await readSegment(join(this.dir, name), name, this.#options.onCorruptLine);
      const batches = read.batches;
      const first = batches[0];
      if (this.#torn !== null && first !== undefined) {
        batches.unshift(tornGapBatch(this.#torn, batchStartMs(first) ?? this.#now()));
        this.#torn = null;
      }
      if (read.tornLine !== null) {
        const before = batches.at(-1);
        const afterMs = before === undefined ? this.#lastEndMs : batchEndMs(before);
        this.#torn = { segment: name, line: read.tornLine, afterMs };
      }
      this.#reading = { n: oldest.n, batches };
    }
  }

  /** A torn record with nothing after it: its gap ends now. */
  #closeTornTail(): void {
    if (this.#torn === null) return;
    this.#reading = { n: -1, batches: [tornGapBatch(this.#torn, this.#now())] };
    this.#torn = null;
  }

  async #dropSegment(n: number, options: { keepReading?: boolean } = {}): Promise<void> {
    if (!options.keepReading) this.#reading = null;
    if (n < 0) return;
    await Deno.remove(join(this.dir, segmentName(n))).catch(() => {});
    const done = this.#segments.findIndex((seg) => seg.n === n);
    if (done >= 0) this.#bytes -= this.#segments.splice(done, 1)[0].bytes;
  }

  #now(): number {
    return (this.#options.now ?? Date.now)();
  }

  async #append(batches: readonly CaptureBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const data = encoder.encode(batches.map((b) => JSON.stringify(b) + "\n").join(""));
    const segmentBytes = this.#options.segmentBytes ?? 64 * 1024 * 1024;
    if (this.#writing === null || this.#writing.bytes >= segmentBytes) {
      this.#writing = { n: this.#nextSegment++, bytes: 0 };
      this.#segments.push(this.#writing);
    }
    const writing = this.#writing;
    const path = join(this.dir, segmentName(writing.n));
    try {
      await (this.#options.appendFile ?? appendAndSync)(path, data, this.#options.fsync ?? true);
    } catch (error) {
      // Part of it may be on disk: count what is, and never append to this segment again.
      const size = await Deno.stat(path).then((i) => i.size, () => 0);
      this.#bytes += size - writing.bytes;
      writing.bytes = size;
      this.#writing = null;
      if (size === 0) await this.#dropSegment(writing.n, { keepReading: true });
      throw error;
    }
    writing.bytes += data.length;
    this.#bytes += data.length;
  }
}

/** What a spool folder holds, as {@linkcode measureSpool} sees it. */
export interface SpoolUsage {
  /** Segment files waiting to be replayed. */
  segments: number;
  /** Their total size. */
  bytes: number;
}

/**
 * Measures the spool in `dir` without opening it (nothing is created or changed); null when the
 * folder does not exist here or may not be read.
 */
export async function measureSpool(dir: string): Promise<SpoolUsage | null> {
  const usage: SpoolUsage = { segments: 0, bytes: 0 };
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile || !SEGMENT.test(entry.name)) continue;
      usage.segments++;
      usage.bytes += (await Deno.stat(join(dir, entry.name))).size;
    }
  } catch (error) {
    const unreadable = error instanceof Deno.errors.NotFound ||
      error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable;
    if (unreadable) return null;
    throw error;
  }
  return usage;
}
