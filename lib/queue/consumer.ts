/**
 * Consumes "jobs ready" notifications to wake backfill workers early. The job table stays the
 * truth: a lost notification costs one poll interval, so the consumer never blocks work. It
 * reconnects with capped backoff when the broker is unreachable or drops the connection, and
 * acknowledges a message only after the wake-up it caused has committed (`onReady` resolved).
 * @module
 */
// @ts-types="./_amqplib.d.ts"
import amqp from "amqplib";
import type { Logger } from "../log/mod.ts";
import { backoffDelay } from "../runtime/mod.ts";
import { JOBS_EXCHANGE, type JobsReady, jobsReadySchema } from "./topology.ts";

/** Options of {@linkcode startJobsConsumer}. */
export interface JobsConsumerOptions {
  /** Broker URL (amqp:// or amqps://); a `heartbeat` of 10 s is added when absent. */
  url: string | URL;
  /** Called for each valid notification; the message is acknowledged when it resolves. */
  onReady: (notice: JobsReady) => Promise<void>;
  /** Stops the consumer (and closes the connection). */
  signal: AbortSignal;
  /** Where connection problems and bad messages are logged. */
  logger: Logger;
  /** Unacknowledged messages at a time (default 4). */
  prefetch?: number;
  /** Delay before reconnect attempt `n` (0-based); default 500 ms doubling up to 30 s. */
  reconnectDelayMs?: (attempt: number) => number;
  /** Injected wait (tests); must reject or resolve early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called whenever the connection state changes. */
  onStateChange?: (connected: boolean) => void;
}

/** A running consumer. */
export interface JobsConsumer {
  /** Whether a channel is consuming right now. */
  readonly connected: boolean;
  /** How many times a connection was established. */
  readonly connections: number;
  /** Resolves when the consumer stopped (after the signal fired). */
  readonly done: Promise<void>;
}

function defaultDelay(attempt: number): number {
  return backoffDelay(attempt, { baseMs: 500, maxMs: 30_000, jitter: false });
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

function withHeartbeat(url: string | URL): string {
  const parsed = new URL(String(url));
  if (!parsed.searchParams.has("heartbeat")) parsed.searchParams.set("heartbeat", "10");
  return parsed.toString();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Starts consuming: a durable fanout exchange ({@linkcode JOBS_EXCHANGE}), a server-named
 * exclusive auto-delete queue bound to it, `prefetch` unacknowledged messages. Malformed
 * messages are logged and dropped. Never throws; connection trouble is logged and retried.
 */
export function startJobsConsumer(options: JobsConsumerOptions): JobsConsumer {
  const { logger, signal } = options;
  const delay = options.reconnectDelayMs ?? defaultDelay;
  const sleep = options.sleep ?? defaultSleep;
  const url = withHeartbeat(options.url);
  let connected = false;
  let connections = 0;
  const setConnected = (value: boolean) => {
    if (connected === value) return;
    connected = value;
    options.onStateChange?.(value);
  };

  async function session(): Promise<void> {
    const model = await amqp.connect(url);
    const lost = Promise.withResolvers<string>();
    model.on("error", (error: unknown) => lost.resolve(`connection error: ${describe(error)}`));
    model.on("close", () => lost.resolve("connection closed"));
    const onAbort = () => lost.resolve("stopping");
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      const channel = await model.createChannel();
      channel.on("error", (error: unknown) => lost.resolve(`channel error: ${describe(error)}`));
      channel.on("close", () => lost.resolve("channel closed"));
      await channel.assertExchange(JOBS_EXCHANGE, "fanout", { durable: true });
      const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
      await channel.bindQueue(queue, JOBS_EXCHANGE, "");
      await channel.prefetch(options.prefetch ?? 4);
      await channel.consume(queue, (message) => {
        if (message === null) {
          lost.resolve("consumer cancelled by the broker");
          return;
        }
        const ack = () => {
          try {
            channel.ack(message);
          } catch { /* channel gone: the message dies with the exclusive queue */ }
        };
        let body: unknown;
        try {
          body = JSON.parse(new TextDecoder().decode(message.content));
        } catch {
          body = undefined;
        }
        const parsed = jobsReadySchema.safeParse(body);
        if (!parsed.success) {
          logger.warn("malformed jobs-ready notification dropped", {
            excerpt: new TextDecoder().decode(message.content.subarray(0, 200)),
          });
          ack();
          return;
        }
        options.onReady(parsed.data).then(ack, (error) => {
          logger.warn("wake-up after notification failed", { error: describe(error) });
          ack();
        });
      });
      connections++;
      setConnected(true);
      logger.info("broker connected; waiting for job notifications", { queue });
      const reason = await lost.promise;
      setConnected(false);
      if (!signal.aborted) logger.warn("broker connection lost; polling continues", { reason });
    } finally {
      signal.removeEventListener("abort", onAbort);
      setConnected(false);
      await model.close().catch(() => {});
    }
  }

  const done = (async () => {
    for (let attempt = 0; !signal.aborted;) {
      const before = connections;
      try {
        await session();
      } catch (error) {
        setConnected(false);
        if (signal.aborted) break;
        logger.warn("broker unreachable; polling the job table meanwhile", {
          error: describe(error),
          retry_in_ms: delay(attempt),
        });
      }
      if (signal.aborted) break;
      attempt = connections > before ? 0 : attempt + 1;
      await sleep(delay(attempt), signal);
    }
  })();

  return {
    get connected() {
      return connected;
    },
    get connections() {
      return connections;
    },
    done,
  };
}
