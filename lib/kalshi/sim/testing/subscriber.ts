/**
 * A raw WebSocket subscriber for simulator tests: sends commands, records every text frame in
 * order; handshake headers (Kalshi's signed upgrade) optional.
 * @module
 */
/** Deno's WebSocket accepts handshake headers; the DOM typings in our lib list do not say so. */
const HeaderWebSocket = WebSocket as unknown as new (
  url: string,
  options: { headers: Record<string, string> },
) => WebSocket;

/** A test subscriber: records every text frame it receives, in order. */
export class Subscriber {
  frames: string[] = [];
  closed = false;
  #ws: WebSocket;
  #opened: Promise<void>;
  constructor(url: string, headers?: Record<string, string>) {
    this.#ws = headers ? new HeaderWebSocket(url, { headers }) : new WebSocket(url);
    this.#opened = new Promise((resolve, reject) => {
      this.#ws.onopen = () => resolve();
      this.#ws.onerror = () => reject(new Error("socket error before open"));
    });
    this.#ws.onmessage = (e) => this.frames.push(String(e.data));
    this.#ws.onclose = () => {
      this.closed = true;
    };
  }
  opened(): Promise<void> {
    return this.#opened;
  }
  send(cmd: unknown): void {
    this.#ws.send(JSON.stringify(cmd));
  }
  json(): Record<string, unknown>[] {
    return this.frames.flatMap((f) => {
      try {
        return [JSON.parse(f)];
      } catch {
        return [];
      }
    });
  }
  async close(): Promise<void> {
    if (this.closed) return;
    const done = new Promise<void>((r) => {
      const prev = this.#ws.onclose;
      this.#ws.onclose = (e) => {
        (prev as ((e: CloseEvent) => void) | null)?.(e);
        r();
      };
    });
    this.#ws.close();
    await done;
  }
}
