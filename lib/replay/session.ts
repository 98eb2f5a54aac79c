/**
 * One client's replay: its commands are answered at once; its replay time starts when its
 * subscribe commands have been quiet for `quietMs` (so every channel subscribed by then sees the
 * window from its start), then the window's messages go out in exchange-time order, paced by an
 * injected clock: `speed` 1 = real time, X = X times faster, 0 = as fast as the client reads.
 * @module
 */
import type { Clock } from "../kalshi/mod.ts";
import type { Logger } from "../log/mod.ts";
import { snapshotMsg } from "./orderbook_message.ts";
import { ReplaySubscriptions } from "./protocol.ts";
import { mergeByTime, type ReplaySource, type ReplayWindow } from "./source.ts";

/** How a session replays. */
export interface ReplaySessionOptions {
  /** Where the stored messages come from. */
  source: ReplaySource;
  /** The span (and markets) replayed. */
  window: ReplayWindow;
  /** Replay seconds per clock second; 0 = no pacing (bounded by the socket's send buffer). */
  speed: number;
  /** Quiet moment after the last command before replay time starts, ms. */
  quietMs: number;
  /** Paces the replay and times the quiet moment. */
  clock: Clock;
  /** Where errors of the replay go. */
  logger: Logger;
}

/** The part of a WebSocket a session uses. */
export interface ReplaySocket {
  /** Sends one text frame. */
  send(data: string): void;
  /** The WebSocket ready state; frames are sent only while it is 1 (open). */
  readonly readyState: number;
  /** Bytes queued and not yet sent (an unpaced replay waits while it is high). */
  readonly bufferedAmount: number;
}

/** Above this many unsent bytes an unpaced replay waits for the client to read. */
const SEND_BUFFER_HIGH = 1 << 20;

/** A running replay for one connection. */
export class ReplaySession {
  readonly #subs: ReplaySubscriptions;
  readonly #stop = new AbortController();
  #quiet: AbortController | null = null;
  #startedAtMs: number | null = null;
  #positionMs: number;
  /** Time of the last message delivered (window start − 1 ms before any): books are rebuilt here. */
  #deliveredMs: number;
  /** Book requests still being answered; the pump waits for them so no delta overtakes a book. */
  #books: Promise<void> = Promise.resolve();
  #booksPending = 0;
  #finished = false;

  /** A session answering on `socket`; feed it frames with `command`, end it with `close`. */
  constructor(
    private readonly socket: ReplaySocket,
    private readonly options: ReplaySessionOptions,
  ) {
    this.#subs = new ReplaySubscriptions((frame) => {
      if (socket.readyState === 1) socket.send(frame);
    }, { onBooks: (sid, tickers) => this.#wantBooks(sid, tickers) });
    this.#positionMs = options.window.fromMs;
    this.#deliveredMs = options.window.fromMs - 1;
  }

  /** Replay time: where this client's window has got to (window start until it starts). */
  get positionMs(): number {
    return this.#positionMs;
  }

  /** Whether every message of the window has been sent. */
  get finished(): boolean {
    return this.#finished;
  }

  /** Handles one client frame; before the start, (re)arms the quiet-moment timer. */
  command(text: string): void {
    this.#subs.command(text);
    if (this.#startedAtMs !== null) return;
    this.#quiet?.abort();
    const quiet = this.#quiet = new AbortController();
    this.options.clock.sleep(this.options.quietMs, quiet.signal).then(
      () => {
        if (this.#startedAtMs === null && this.#subs.size > 0 && !this.#stop.signal.aborted) {
          this.#start();
        }
      },
      () => {},
    );
  }

  /** Stops the replay (the socket closed). */
  close(): void {
    this.#quiet?.abort();
    this.#stop.abort();
  }

  #start(): void {
    this.#startedAtMs = this.options.clock.now();
    this.#pump().catch((error) => {
      if (this.#stop.signal.aborted) return;
      this.options.logger.error("replay stopped by an error", {
        error: error instanceof Error ? error.message : String(error),
      });
    });
  }

  async #pump(): Promise<void> {
    const { source, window } = this.options;
    const signal = this.#stop.signal;
    for await (const batch of mergeByTime(source.messages(window))) {
      for (const m of batch) {
        if (signal.aborted) return;
        const due = this.#pace(m.timeMs, signal);
        if (due) await due;
        if (this.#booksPending > 0) await this.#books;
        this.#positionMs = Math.max(this.#positionMs, m.timeMs);
        this.#deliveredMs = m.timeMs;
        this.#subs.deliver(m);
      }
    }
    this.#positionMs = window.toMs;
    this.#finished = true;
  }

  /** Queues the books of `tickers` for subscription `sid`, rebuilt at the replay's instant. */
  #wantBooks(sid: number, tickers: string[]): void {
    const book = this.options.source.book;
    if (!book) return;
    this.#booksPending++;
    this.#books = this.#books.then(async () => {
      try {
        for (const ticker of tickers) {
          if (this.#stop.signal.aborted) return;
          const atMs = this.#deliveredMs;
          const levels = await book.call(this.options.source, ticker, atMs);
          const msg = levels === null ? null : snapshotMsg(ticker, levels);
          this.#subs.sendBook(sid, ticker, { msg, atMs });
        }
      } catch (error) {
        this.options.logger.error("order book not rebuilt", {
          error: error instanceof Error ? error.message : String(error),
          tickers,
        });
      } finally {
        this.#booksPending--;
      }
    });
  }

  /**
   * Waits until the client has read enough (a slow client is never buffered for without bound),
   * then, at speed > 0, until `timeMs` is due.
   */
  #pace(timeMs: number, signal: AbortSignal): Promise<void> | void {
    if (this.socket.bufferedAmount > SEND_BUFFER_HIGH) {
      return this.#drained(signal).then(() => this.#due(timeMs, signal));
    }
    return this.#due(timeMs, signal);
  }

  /** At speed > 0, waits on the injected clock until `timeMs` is due. */
  #due(timeMs: number, signal: AbortSignal): Promise<void> | void {
    const { speed, clock, window } = this.options;
    if (speed > 0) {
      const wait = this.#startedAtMs! + (timeMs - window.fromMs) / speed - clock.now();
      if (wait > 0) return clock.sleep(wait, signal);
    }
  }

  /** Waits (in real time: it is the client's reading, not replay time) for the buffer to drain. */
  async #drained(signal: AbortSignal): Promise<void> {
    while (this.socket.bufferedAmount > SEND_BUFFER_HIGH / 4 && !signal.aborted) {
      if (this.socket.readyState !== 1) return;
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  }
}
