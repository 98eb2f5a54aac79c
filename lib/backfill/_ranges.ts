/** Inclusive integer ranges (Unix seconds): aligned chunking and subtraction. */

/** Whole Unix seconds (floored) of a Date, Unix ms or RFC 3339 string. */
export function unixSeconds(value: string | Date | number): number {
  const ms = value instanceof Date
    ? value.getTime()
    : typeof value === "number"
    ? value
    : Date.parse(value);
  return Math.floor(ms / 1000);
}

/** `[start, end]`, both inclusive. */
export type Range = readonly [start: number, end: number];

/**
 * Splits `[from, to]` at multiples of `chunk` (and at `extraCuts`), so the same span always
 * yields the same pieces whatever pass schedules it.
 */
export function alignedChunks(
  from: number,
  to: number,
  chunk: number,
  extraCuts: readonly number[] = [],
): Range[] {
  if (to < from) return [];
  const cuts = new Set<number>();
  for (let k = Math.floor(from / chunk) + 1; k * chunk <= to; k++) cuts.add(k * chunk);
  for (const c of extraCuts) if (c > from && c <= to) cuts.add(c);
  const starts = [from, ...[...cuts].sort((a, b) => a - b)];
  return starts.map((s, i) => [s, i + 1 < starts.length ? starts[i + 1] - 1 : to] as const);
}

/** Sorts and merges overlapping or adjacent ranges. */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].filter(([a, b]) => b >= a).sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = out.at(-1);
    if (last && a <= last[1] + 1) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/** The parts of `range` no range of `covers` covers. */
export function subtractRanges(range: Range, covers: readonly Range[]): Range[] {
  const out: Range[] = [];
  let cursor = range[0];
  for (const [a, b] of mergeRanges(covers)) {
    if (b < cursor) continue;
    if (a > range[1]) break;
    if (a > cursor) out.push([cursor, Math.min(a - 1, range[1])]);
    cursor = Math.max(cursor, b + 1);
    if (cursor > range[1]) break;
  }
  if (cursor <= range[1]) out.push([cursor, range[1]]);
  return out;
}
