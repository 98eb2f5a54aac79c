/**
 * The one polling wait of the test suite: waits (yielding) until a condition holds. The bound is a
 * failure deadline only — a stuck run fails with what it waited for instead of hanging — never a
 * performance threshold.
 * @module
 */

/** Options of {@linkcode until}. */
export interface UntilOptions {
  /** Give up after this many ms (default 120 000). */
  limitMs?: number;
  /** Poll every this many ms (default 10). */
  everyMs?: number;
  /** Called on giving up; its text is added to the error (e.g. a log tail). */
  diagnose?: () => Promise<string> | string;
}

/** Resolves once `check()` is true; throws "gave up waiting for <what>" after the limit. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  options: UntilOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.limitMs ?? 120_000);
  while (!(await check())) {
    if (Date.now() > deadline) {
      const more = options.diagnose ? `\n${await options.diagnose()}` : "";
      throw new Error(`gave up waiting for ${what}${more}`);
    }
    await new Promise((r) => setTimeout(r, options.everyMs ?? 10));
  }
}
