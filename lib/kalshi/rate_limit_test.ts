import fc from "fast-check";
import { assertEquals, assertOk, assertRejects, assertThrows } from "../testing/assert.ts";
import { createRateLimiter, processRateLimiter } from "./rate_limit.ts";
import { fakeClock } from "./testing/fake_clock.ts";

for (const [rate, burst] of [[20, 1], [5, 3], [7, 1]] as const) {
  Deno.test(`a limiter at ${rate}/s with burst ${burst} never lets more than burst + rate×t through in t seconds`, async () => {
    const { fake, clock } = fakeClock(1_000_000);
    const limiter = createRateLimiter({ ratePerSecond: rate, burst, clock });
    const grantedAt: number[] = [];
    const total = rate * 4;
    const all = Array.from({ length: total }, () =>
      limiter.acquire().then(() => {
        grantedAt.push(fake.now);
      }));
    await fake.tickAsync(10_000);
    await Promise.all(all);
    assertEquals(grantedAt.length, total);
    assertWindowBound(grantedAt, rate, burst);
    // And it does not starve: the last grant comes within one interval of the ideal schedule.
    const ideal = ((total - burst) / rate) * 1000;
    assertOk(grantedAt[total - 1] - 1_000_000 <= ideal + 1000 / rate);
  });
}

Deno.test("a limiter grants requests in arrival order", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const limiter = createRateLimiter({ ratePerSecond: 2, clock });
  const order: number[] = [];
  const all = [0, 1, 2, 3].map((n) => limiter.acquire().then(() => order.push(n)));
  await fake.tickAsync(5_000);
  await Promise.all(all);
  assertEquals(order, [0, 1, 2, 3]);
});

Deno.test("an aborted wait rejects without consuming the next caller's turn", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const limiter = createRateLimiter({ ratePerSecond: 1, clock });
  await limiter.acquire();
  const controller = new AbortController();
  const waiting = limiter.acquire(controller.signal);
  const next = limiter.acquire();
  controller.abort(new Error("stop"));
  await assertRejects(waiting, Error);
  await fake.tickAsync(1_000);
  await next;
  assertEquals(fake.now, 1_001_000);
});

/** Every window [grantedAt[i], grantedAt[j]] holds at most burst + rate × its length grants. */
function assertWindowBound(grantedAt: number[], rate: number, burst: number): void {
  for (let i = 0; i < grantedAt.length; i++) {
    for (let j = i; j < grantedAt.length; j++) {
      const windowSeconds = (grantedAt[j] - grantedAt[i]) / 1000;
      const count = j - i + 1;
      assertOk(
        count <= burst + rate * windowSeconds + 1e-9,
        `${count} grants within ${windowSeconds}s exceed ${burst} + ${rate}/s`,
      );
    }
  }
}

Deno.test("budget left unused while idle is kept up to the burst and spent at once", async () => {
  const { fake, clock } = fakeClock(1_000_000);
  const limiter = createRateLimiter({ ratePerSecond: 20, burst: 20, clock });
  assertEquals(limiter.burst, 20);
  // Drain the full bucket, then stay idle for 0.5 s: 10 tokens come back, not 20 and not 1.
  for (let i = 0; i < 20; i++) await limiter.acquire();
  assertEquals(fake.now, 1_000_000);
  await fake.tickAsync(500);
  const grantedAt: number[] = [];
  const all = Array.from({ length: 12 }, () =>
    limiter.acquire().then(() => {
      grantedAt.push(fake.now - 1_000_500);
    }));
  await fake.tickAsync(1_000);
  await Promise.all(all);
  assertEquals(grantedAt, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 50, 100]);
  // A long idle spell refills to the capacity and no further.
  await fake.tickAsync(60_000);
  const after: number[] = [];
  const more = Array.from({ length: 21 }, () =>
    limiter.acquire().then(() => {
      after.push(fake.now);
    }));
  await fake.tickAsync(1_000);
  await Promise.all(more);
  assertEquals(after.filter((t) => t === after[0]).length, 20);
  assertEquals(after[20] - after[0], 50);
});

Deno.test("for any arrival pattern with idle spells, grants never exceed burst + rate×t and are not later than an ideal bucket allows", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 50 }),
      fc.double({ min: 0, max: 3, noNaN: true }),
      fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3_000 })), {
        minLength: 1,
        maxLength: 60,
      }),
      async (rate, burstSeconds, gaps) => {
        const { fake, clock } = fakeClock(1_000_000);
        const burst = Math.max(1, rate * burstSeconds);
        const limiter = createRateLimiter({ ratePerSecond: rate, burst, clock });
        const start = fake.now;
        const arrivals: number[] = [];
        let at = 0;
        for (const gap of gaps) arrivals.push(at += gap);
        const grantedAt: number[] = new Array(arrivals.length);
        const all = arrivals.map((arrival, i) =>
          new Promise<void>((resolve, reject) => {
            fake.setTimeout(() => {
              limiter.acquire().then(() => {
                grantedAt[i] = fake.now - start;
                resolve();
              }, reject);
            }, arrival);
          })
        );
        await fake.tickAsync(at + (arrivals.length / rate) * 1000 + 1_000);
        await Promise.all(all);
        assertWindowBound(grantedAt, rate, burst);
        // Reference bucket in exact arithmetic: FIFO, starts full, refills at `rate`, holds `burst`.
        let tokens = burst;
        let updated = 0;
        let previous = 0;
        for (let i = 0; i < arrivals.length; i++) {
          let t = Math.max(arrivals[i], previous);
          tokens = Math.min(burst, tokens + ((t - updated) * rate) / 1000);
          if (tokens < 1) {
            t += ((1 - tokens) * 1000) / rate;
            tokens = 1;
          }
          tokens -= 1;
          updated = t;
          previous = t;
          // Sleeps are whole milliseconds. With room for a second token the rounding is carried
          // over (one wait's rounding, plus a float re-check); a bucket of a single token drops
          // it, so each grant may fall up to 1 ms further behind.
          const slack = burst >= 2 ? 2 : 2 + i;
          assertOk(
            grantedAt[i] <= t + slack,
            `request ${i} granted at ${grantedAt[i]} ms, an ideal bucket grants it at ${t} ms`,
          );
        }
      },
    ),
    { numRuns: 60 },
  );
});

Deno.test("a limiter refuses a rate or burst that is not a finite number", () => {
  assertThrows(() => createRateLimiter({ ratePerSecond: 0 }), RangeError);
  assertThrows(() => createRateLimiter({ ratePerSecond: 10, burst: Number.NaN }), RangeError);
  assertThrows(() => createRateLimiter({ ratePerSecond: 10, burst: Infinity }), RangeError);
});

Deno.test("the process-wide limiter is fixed by its first caller, burst included", () => {
  const first = processRateLimiter({ ratePerSecond: 20, burst: 20 });
  const second = processRateLimiter({ ratePerSecond: 5, burst: 1 });
  assertEquals(second, first);
  assertEquals([second.ratePerSecond, second.burst], [20, 20]);
});
