import FakeTimers from "@sinonjs/fake-timers";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import type { Clock } from "./clock.ts";
import { createRateLimiter } from "./rate_limit.ts";

function fakeClock() {
  const fake = FakeTimers.createClock(1_000_000);
  const clock: Clock = {
    now: () => fake.now,
    sleep: (ms, signal) =>
      new Promise((resolve, reject) => {
        const id = fake.setTimeout(() => resolve(), ms);
        signal?.addEventListener("abort", () => {
          fake.clearTimeout(id);
          reject(signal.reason);
        }, { once: true });
      }),
  };
  return { fake, clock };
}

for (const [rate, burst] of [[20, 1], [5, 3], [7, 1]] as const) {
  Deno.test(`a limiter at ${rate}/s with burst ${burst} never lets more than burst + rate×t through in t seconds`, async () => {
    const { fake, clock } = fakeClock();
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
    // And it does not starve: the last grant comes within one interval of the ideal schedule.
    const ideal = ((total - burst) / rate) * 1000;
    assertOk(grantedAt[total - 1] - 1_000_000 <= ideal + 1000 / rate);
  });
}

Deno.test("a limiter grants requests in arrival order", async () => {
  const { fake, clock } = fakeClock();
  const limiter = createRateLimiter({ ratePerSecond: 2, clock });
  const order: number[] = [];
  const all = [0, 1, 2, 3].map((n) => limiter.acquire().then(() => order.push(n)));
  await fake.tickAsync(5_000);
  await Promise.all(all);
  assertEquals(order, [0, 1, 2, 3]);
});

Deno.test("an aborted wait rejects without consuming the next caller's turn", async () => {
  const { fake, clock } = fakeClock();
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
