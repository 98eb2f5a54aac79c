/** The simulator's controllable clock: real time by default, faster with `speed`, or paused and advanced by hand. */

/** Options for {@link createSimClock}. */
export interface SimClockOptions {
  /** Simulated time at creation, Unix ms (default: the real time now). */
  startMs?: number;
  /** Simulated ms per real ms while running (default 1). */
  speed?: number;
  /** Start paused: time only moves through `advance`/`set` (default false). */
  paused?: boolean;
  /** Source of real time, Unix ms (default `Date.now`); injectable for tests. */
  realNow?: () => number;
}

/** A controllable clock; `now()` returns simulated Unix ms. */
export interface SimClock {
  /** Simulated Unix time in ms. */
  now(): number;
  /** Moves simulated time forward by `ms` (works paused or running) and notifies listeners. */
  advance(ms: number): void;
  /** Sets simulated time (never backwards) and notifies listeners. */
  set(ms: number): void;
  /** Stops time. */
  pause(): void;
  /** Restarts time from where it stopped. */
  resume(): void;
  /** Changes the speed multiplier from now on. */
  setSpeed(speed: number): void;
  /** Whether time is stopped. */
  readonly paused: boolean;
  /** Current speed multiplier. */
  readonly speed: number;
  /** Registers a listener called after every `advance`/`set`; returns an unsubscribe function. */
  onJump(listener: () => void): () => void;
}

/** Creates a simulator clock. */
export function createSimClock(options: SimClockOptions = {}): SimClock {
  const realNow = options.realNow ?? Date.now;
  let speed = options.speed ?? 1;
  let paused = options.paused ?? false;
  let anchorSim = options.startMs ?? realNow();
  let anchorReal = realNow();
  const listeners = new Set<() => void>();

  function now(): number {
    if (paused) return anchorSim;
    return anchorSim + Math.floor((realNow() - anchorReal) * speed);
  }
  function rebase(): void {
    anchorSim = now();
    anchorReal = realNow();
  }
  function notify(): void {
    for (const l of listeners) l();
  }
  return {
    now,
    advance(ms: number) {
      if (ms < 0) throw new RangeError("the clock never goes backwards");
      rebase();
      anchorSim += ms;
      notify();
    },
    set(ms: number) {
      rebase();
      if (ms < anchorSim) throw new RangeError("the clock never goes backwards");
      anchorSim = ms;
      notify();
    },
    pause() {
      rebase();
      paused = true;
    },
    resume() {
      anchorReal = realNow();
      paused = false;
    },
    setSpeed(s: number) {
      rebase();
      speed = s;
    },
    get paused() {
      return paused;
    },
    get speed() {
      return speed;
    },
    onJump(listener: () => void) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
