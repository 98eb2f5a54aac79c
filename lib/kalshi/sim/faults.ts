/**
 * Switchable fault injection (5xx bursts, 429 storms, slow responses, socket faults, dropped
 * order-book deltas) and the 429 rate limiter.
 */
import { z } from "zod";
import { mulberry32 } from "./prng.ts";

/** Fault switches; every field is optional and can be changed while running. Probabilities are 0…1. */
export interface FaultConfig {
  /** Each REST request starts a burst of `burst` (default 3) 5xx answers with this probability. */
  serverErrors?: { probability: number; burst?: number; status?: number };
  /** Each REST request starts a storm of `burst` (default 10) 429 answers with this probability. */
  rateLimitStorm?: { probability: number; burst?: number };
  /** Each REST request is delayed by `delayMs` with this probability. */
  slowResponses?: { probability: number; delayMs: number };
  /** Each channel frame sent closes its socket right after with this probability, or every `everyFrames` frames. */
  dropSockets?: { probability?: number; everyFrames?: number };
  /** A malformed frame is sent before a channel frame with this probability. */
  malformedMessages?: { probability: number };
  /** A frame of an unknown `type` is sent before a channel frame with this probability. */
  unknownTypeMessages?: { probability: number };
  /** While true, sockets stay open but no channel frame is sent (an open, silent connection). */
  silentSockets?: boolean;
  /**
   * Order-book deltas are not sent (their `seq` is still used, so the client sees a gap): the next
   * `next` deltas from when the switch is set, and then each with this probability.
   */
  dropOrderbookDeltas?: { probability?: number; next?: number };
}

const probability = z.number().min(0).max(1);

/**
 * Zod schema of fault switches (`--faults` JSON and `POST /_sim/faults`); the simulator's own,
 * not on its face.
 */
export const FaultConfigSchema: z.ZodType<FaultConfig> = z.strictObject({
  serverErrors: z.strictObject({
    probability,
    burst: z.number().int().min(1).optional(),
    status: z.number().int().min(500).max(599).optional(),
  }).optional(),
  rateLimitStorm: z.strictObject({ probability, burst: z.number().int().min(1).optional() })
    .optional(),
  slowResponses: z.strictObject({ probability, delayMs: z.number().int().min(0) }).optional(),
  dropSockets: z.strictObject({
    probability: probability.optional(),
    everyFrames: z.number().int().min(1).optional(),
  })
    .optional(),
  malformedMessages: z.strictObject({ probability }).optional(),
  unknownTypeMessages: z.strictObject({ probability }).optional(),
  silentSockets: z.boolean().optional(),
  dropOrderbookDeltas: z.strictObject({
    probability: probability.optional(),
    next: z.number().int().min(0).max(1_000_000_000).optional(),
  }).optional(),
});

/** Kalshi's 429 body as observed live. */
export const TOO_MANY_REQUESTS_BODY = {
  error: { code: "too_many_requests", message: "too many requests" },
};

/** What the REST fault stage decided for one request. */
export type RestFault =
  | { kind: "none"; delayMs: number }
  | { kind: "server_error"; status: number; delayMs: number }
  | { kind: "rate_limit_storm"; delayMs: number };

/** Deterministic REST fault decisions (one seeded PRNG stream in request order). */
export class RestFaults {
  config: FaultConfig = {};
  #rng: () => number;
  #errorsLeft = 0;
  #stormLeft = 0;
  constructor(seed: number) {
    this.#rng = mulberry32(seed ^ 0x5eed_fa17);
  }
  /** Decides the fate of the next request. */
  next(): RestFault {
    const c = this.config;
    // Switching a fault off also ends a burst in progress.
    if (!c.serverErrors) this.#errorsLeft = 0;
    if (!c.rateLimitStorm) this.#stormLeft = 0;
    const slow = c.slowResponses && this.#rng() < c.slowResponses.probability
      ? c.slowResponses.delayMs
      : 0;
    if (this.#errorsLeft === 0 && c.serverErrors && this.#rng() < c.serverErrors.probability) {
      this.#errorsLeft = c.serverErrors.burst ?? 3;
    }
    if (this.#errorsLeft > 0) {
      this.#errorsLeft--;
      return { kind: "server_error", status: c.serverErrors?.status ?? 503, delayMs: slow };
    }
    if (this.#stormLeft === 0 && c.rateLimitStorm && this.#rng() < c.rateLimitStorm.probability) {
      this.#stormLeft = c.rateLimitStorm.burst ?? 10;
    }
    if (this.#stormLeft > 0) {
      this.#stormLeft--;
      return { kind: "rate_limit_storm", delayMs: slow };
    }
    return { kind: "none", delayMs: slow };
  }
}

/** A token bucket: `perSecond` refill, `burstSeconds` of capacity; uses real (not simulated) time. */
export class RateLimiter {
  #tokens: number;
  #last: number;
  constructor(
    readonly perSecond: number,
    readonly burstSeconds = 1,
    private realNow: () => number = Date.now,
  ) {
    this.#tokens = this.capacity;
    this.#last = realNow();
  }
  get capacity(): number {
    return Math.max(1, this.perSecond * this.burstSeconds);
  }
  /** Takes one token; false when the bucket is empty (answer 429). */
  take(): boolean {
    const now = this.realNow();
    this.#tokens = Math.min(
      this.capacity,
      this.#tokens + (now - this.#last) * this.perSecond / 1000,
    );
    this.#last = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
