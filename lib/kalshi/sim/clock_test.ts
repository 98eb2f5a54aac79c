import { throws as assertThrows } from "node:assert/strict";
import { assertEquals } from "../../testing/assert.ts";
import { createSimClock } from "./clock.ts";

Deno.test("the clock follows injected real time at its speed, pauses, resumes and never goes back", () => {
  let real = 1_000;
  const clock = createSimClock({ startMs: 50_000, speed: 60, realNow: () => real });
  assertEquals(clock.now(), 50_000);
  real += 1_000;
  assertEquals(clock.now(), 110_000);
  clock.pause();
  real += 5_000;
  assertEquals(clock.now(), 110_000);
  clock.advance(500);
  assertEquals(clock.now(), 110_500);
  clock.resume();
  clock.setSpeed(1);
  real += 10;
  assertEquals(clock.now(), 110_510);
  assertThrows(() => clock.set(0));
  assertThrows(() => clock.advance(-1));
});

Deno.test("clock jumps notify listeners until they unsubscribe", () => {
  const clock = createSimClock({ startMs: 0, paused: true });
  const seen: number[] = [];
  const off = clock.onJump(() => seen.push(clock.now()));
  clock.advance(10);
  clock.set(100);
  off();
  clock.advance(1);
  assertEquals(seen, [10, 100]);
});
