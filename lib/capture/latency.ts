/** A small log-bucketed histogram of latencies (ms) for p50/p99 without keeping every sample. */

const BUCKETS_PER_DOUBLING = 8;
const MAX_BUCKET = 8 * 40; // up to 2^40 ms

/** Records latencies and answers quantiles within ~9% relative error. */
export class LatencyHistogram {
  #counts = new Float64Array(MAX_BUCKET + 1);
  /** Number of samples recorded. */
  count = 0;
  /** Sum of samples, ms. */
  sum = 0;

  /** Records one latency in ms (negative values count as 0). */
  record(ms: number): void {
    const v = Math.max(0, ms);
    const bucket = v < 1
      ? 0
      : Math.min(MAX_BUCKET, 1 + Math.floor(Math.log2(v) * BUCKETS_PER_DOUBLING));
    this.#counts[bucket]++;
    this.count++;
    this.sum += v;
  }

  /** The latency below which a fraction `q` (0…1) of samples fall (bucket upper bound), or 0. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let b = 0; b <= MAX_BUCKET; b++) {
      seen += this.#counts[b];
      if (seen >= target) return b === 0 ? 1 : 2 ** (b / BUCKETS_PER_DOUBLING);
    }
    return 2 ** (MAX_BUCKET / BUCKETS_PER_DOUBLING);
  }
}
