/**
 * Commands sent on the socket and the replies that settle them: a command id per command, each
 * pending command resolved by its `subscribed` / `ok` / `unsubscribed` reply or rejected by its
 * `error` reply, by its timeout, or by the loss of the connection it was sent on.
 */
import type { Clock } from "./clock.ts";
import { KalshiWsCommandError } from "./errors.ts";
import type { WsMessage } from "./schemas/ws.ts";

/** Message types that answer a command. */
export const REPLY_TYPES: ReadonlySet<string> = new Set([
  "subscribed",
  "unsubscribed",
  "ok",
  "error",
]);

/** Settings of {@linkcode WsCommands}. */
export interface WsCommandsOptions {
  /** Times the replies: a command not answered within `timeoutMs` of this clock fails. */
  clock: Clock;
  /** How long a command may wait for its reply, in ms. */
  timeoutMs: number;
}

interface Pending {
  name: string;
  resolve: (message: WsMessage) => void;
  reject: (error: Error) => void;
  /** Cancels the timeout. */
  timer: AbortController;
}

/**
 * The commands waiting for a reply on the current connection.
 *
 * @example
 * ```ts
 * import { systemClock } from "./clock.ts";
 * import { WsCommands } from "./ws_commands.ts";
 * const commands = new WsCommands({ clock: systemClock, timeoutMs: 15_000 });
 * const sent: string[] = [];
 * const reply = commands.send((text) => sent.push(text), "unsubscribe", { sids: [1] });
 * commands.settle({ type: "unsubscribed", id: 1, sid: 1, seq: null, raw: {} });
 * await reply;
 * console.log(sent[0]); // {"id":1,"cmd":"unsubscribe","params":{"sids":[1]}}
 * ```
 */
export class WsCommands {
  readonly #clock: Clock;
  readonly #timeoutMs: number;
  #nextId = 1;
  #pending = new Map<number, Pending>();

  /** Tracks commands timed by `options.clock`. */
  constructor(options: WsCommandsOptions) {
    this.#clock = options.clock;
    this.#timeoutMs = options.timeoutMs;
  }

  /** Commands waiting for their reply. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Sends `{ id, cmd, params }` through `transmit` under the next command id; resolves with the
   * reply, rejects with KalshiWsCommandError on an `error` reply or with an Error on timeout.
   */
  send(
    transmit: (text: string) => void,
    name: string,
    params?: Record<string, unknown>,
  ): Promise<WsMessage> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = new AbortController();
      this.#pending.set(id, { name, resolve, reject, timer });
      this.#clock.sleep(this.#timeoutMs, timer.signal).then(() => {
        if (!this.#pending.delete(id)) return;
        reject(
          new Error(`Kalshi WebSocket ${name} (id ${id}) got no reply in ${this.#timeoutMs} ms`),
        );
      }, () => {});
      try {
        transmit(
          JSON.stringify(params === undefined ? { id, cmd: name } : { id, cmd: name, params }),
        );
      } catch (error) {
        this.#take(id);
        reject(error);
      }
    });
  }

  /**
   * Sends `{ id, cmd, params }` under the next command id without waiting for a reply (a command
   * whose answer is data, such as `get_snapshot`); a reply that still comes settles nothing.
   */
  post(transmit: (text: string) => void, name: string, params: Record<string, unknown>): void {
    transmit(JSON.stringify({ id: this.#nextId++, cmd: name, params }));
  }

  /**
   * Settles the command `message` answers; false when it answers none (not a reply, no id, or
   * an id no command is waiting on, such as a reply that came after its timeout).
   */
  settle(message: WsMessage): boolean {
    if (!REPLY_TYPES.has(message.type) || message.id === null) return false;
    const waiting = this.#take(message.id);
    if (waiting === undefined) return false;
    if (message.type === "error") {
      waiting.reject(new KalshiWsCommandError(waiting.name, message.code, message.message));
    } else waiting.resolve(message);
    return true;
  }

  /** The connection went: every pending command fails, naming `reason`. */
  rejectAll(reason: string): void {
    for (const id of [...this.#pending.keys()]) {
      const waiting = this.#take(id)!;
      waiting.reject(new Error(`connection lost before reply to ${waiting.name}: ${reason}`));
    }
  }

  #take(id: number): Pending | undefined {
    const waiting = this.#pending.get(id);
    if (waiting === undefined) return undefined;
    this.#pending.delete(id);
    waiting.timer.abort();
    return waiting;
  }
}
