/**
 * The on-disk spool: batches the database could not take yet, as append-only NDJSON segment
 * files (`segment-000000000001.ndjson`, one batch per line) in a folder, replayed oldest first.
 * A segment is deleted once every batch in it was written; a replay interrupted by a crash
 * starts the segment again and the batch ids in `ingested_batches` skip what already landed.
 */
import { join } from "node:path";
import type { CaptureBatch } from "./batch.ts";

/** Options of {@linkcode openSpool}. */
export interface SpoolOptions {
  /** Start a new segment once the current one reaches this many bytes (default 64 MiB). */
  segmentBytes?: number;
  /** Called for a line that cannot be read back (e.g. cut short by a crash mid-append). */
  onCorruptLine?: (segment: string, line: number, error: string) => void;
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
}

const SEGMENT = /^segment-(\d{12})\.ndjson$/;

function segmentName(n: number): string {
  return `segment-${String(n).padStart(12, "0")}.ndjson`;
}

const encoder = new TextEncoder();

/** Opens (creating if needed) the spool in `dir` and finds the segments left by earlier runs. */
export async function openSpool(dir: string, options: SpoolOptions = {}): Promise<Spool> {
  const segmentBytes = options.segmentBytes ?? 64 * 1024 * 1024;
  await Deno.mkdir(dir, { recursive: true });
  const segments: { n: number; bytes: number }[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const match = entry.isFile ? SEGMENT.exec(entry.name) : null;
    if (match === null) continue;
    const info = await Deno.stat(join(dir, entry.name));
    segments.push({ n: Number(match[1]), bytes: info.size });
  }
  segments.sort((a, b) => a.n - b.n);
  let nextSegment = (segments.at(-1)?.n ?? 0) + 1;
  // Never append to a segment left by an earlier run: its tail may be a torn line.
  let writing: { n: number; bytes: number } | null = null;
  let reading: { n: number; batches: CaptureBatch[] } | null = null;
  let bytes = segments.reduce((sum, s) => sum + s.bytes, 0);

  async function load(): Promise<void> {
    while (reading === null || reading.batches.length === 0) {
      if (reading !== null) {
        await Deno.remove(join(dir, segmentName(reading.n))).catch(() => {});
        const done = segments.findIndex((s) => s.n === reading!.n);
        if (done >= 0) bytes -= segments.splice(done, 1)[0].bytes;
        reading = null;
      }
      const oldest = segments[0];
      if (oldest === undefined) return;
      if (writing !== null && writing.n === oldest.n) writing = null; // rotate before reading
      const text = await Deno.readTextFile(join(dir, segmentName(oldest.n)));
      const batches: CaptureBatch[] = [];
      const lines = text.split("\n");
      for (let i = 0; i < lines.length; i++) {
        if (lines[i] === "") continue;
        try {
          batches.push(JSON.parse(lines[i]) as CaptureBatch);
        } catch (error) {
          options.onCorruptLine?.(segmentName(oldest.n), i + 1, (error as Error).message);
        }
      }
      reading = { n: oldest.n, batches };
    }
  }

  // One operation at a time: a read must never see half of an append to the same segment.
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = lock.then(fn, fn);
    lock = run.catch(() => {});
    return run;
  };

  return {
    dir,
    get bytes() {
      return bytes;
    },
    get empty() {
      return segments.length === 0 && (reading === null || reading.batches.length === 0);
    },
    append(batches) {
      return exclusive(() => appendNow(batches));
    },
    peek() {
      return exclusive(async () => {
        await load();
        return reading?.batches[0] ?? null;
      });
    },
    ack() {
      return exclusive(async () => {
        reading?.batches.shift();
        await load();
      });
    },
  };

  async function appendNow(batches: readonly CaptureBatch[]): Promise<void> {
    if (batches.length === 0) return;
    const data = encoder.encode(batches.map((b) => JSON.stringify(b) + "\n").join(""));
    if (writing === null || writing.bytes >= segmentBytes) {
      writing = { n: nextSegment++, bytes: 0 };
      segments.push(writing);
    }
    await Deno.writeFile(join(dir, segmentName(writing.n)), data, { append: true });
    writing.bytes += data.length;
    bytes += data.length;
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
