/**
 * Password-login throttling that holds under concurrency. {@linkcode LoginThrottle.admit} is
 * synchronous: it checks the client's attempts and the global hashing cap, and records the
 * attempt, before any password hash runs — so simultaneous guesses cannot all slip past the
 * limit while the first hashes are still being computed. Limits are per client (the address
 * resolved through the trusted proxies; an IPv6 /64 counts as one client); there is no global
 * failure window one attacker could fill to lock everyone out. The only global bound is on
 * hashing work: at most `concurrentHashes` PBKDF2 runs at once, beyond which a login is answered
 * 429 with a one-second Retry-After — a cap on CPU, not a lockout.
 * @module
 */

/** Limits of {@linkcode LoginThrottle}. */
export interface LoginLimits {
  /** Attempts one client may make within the window (a success clears its count); default 5. */
  perClient: number;
  /** Window length in seconds; default 900. */
  windowSeconds: number;
  /** Password hashes computed at once from all clients; default 2. */
  concurrentHashes: number;
}

/** Seconds a login refused for lack of a hashing slot is asked to wait. */
export const HASH_BUSY_RETRY_SECONDS = 1;

/** The answer of {@linkcode LoginThrottle.admit}. */
export type Admission =
  | {
    ok: true;
    /** Frees the hashing slot; `success` also clears the client's attempts. Idempotent. */
    finish(success: boolean): void;
  }
  | { ok: false; reason: "client" | "busy"; retryAfter: number };

/**
 * Most clients remembered (memory bound); beyond it, clients with no attempt in the window are
 * forgotten, then the longest-known ones.
 */
const MAX_CLIENTS = 10_000;

/** Counts login attempts per client in a sliding window and caps concurrent hashing. */
export class LoginThrottle {
  /** The limits in force. */
  readonly limits: LoginLimits;
  #attempts = new Map<string, number[]>();
  #hashing = 0;

  /** Creates a throttle; see {@linkcode LoginLimits} for the defaults. */
  constructor(limits: Partial<LoginLimits> = {}) {
    this.limits = { perClient: 5, windowSeconds: 900, concurrentHashes: 2, ...limits };
  }

  /** Password hashes running now. */
  get hashing(): number {
    return this.#hashing;
  }

  #recent(client: string, now: number): number[] {
    const since = now - this.limits.windowSeconds * 1000;
    const times = (this.#attempts.get(client) ?? []).filter((t) => t > since);
    if (times.length) this.#attempts.set(client, times);
    else this.#attempts.delete(client);
    return times;
  }

  /** Seconds `client` must wait before its next attempt; 0 when it may try now. */
  retryAfter(client: string, now: Date): number {
    const t = now.getTime();
    const times = this.#recent(client, t);
    if (times.length < this.limits.perClient) return 0;
    const oldest = times[times.length - this.limits.perClient];
    return Math.max(1, Math.ceil((oldest + this.limits.windowSeconds * 1000 - t) / 1000));
  }

  /**
   * Admits one login attempt of `client` — counting it and taking a hashing slot — or says why
   * not. Call `finish` once the password was checked.
   */
  admit(client: string, now: Date): Admission {
    const wait = this.retryAfter(client, now);
    if (wait > 0) return { ok: false, reason: "client", retryAfter: wait };
    if (this.#hashing >= this.limits.concurrentHashes) {
      return { ok: false, reason: "busy", retryAfter: HASH_BUSY_RETRY_SECONDS };
    }
    const t = now.getTime();
    this.#attempts.set(client, [...this.#recent(client, t), t]);
    this.#hashing++;
    this.#forgetIdle(t);
    let finished = false;
    return {
      ok: true,
      finish: (success) => {
        if (finished) return;
        finished = true;
        this.#hashing--;
        if (success) this.#attempts.delete(client);
      },
    };
  }

  #forgetIdle(now: number): void {
    if (this.#attempts.size <= MAX_CLIENTS) return;
    for (const client of [...this.#attempts.keys()]) this.#recent(client, now);
    // Still too many (a wide distributed guess): forget the longest-known clients first.
    for (const client of this.#attempts.keys()) {
      if (this.#attempts.size <= MAX_CLIENTS) break;
      this.#attempts.delete(client);
    }
  }
}
