/**
 * Publishes "jobs ready" notifications to RabbitMQ after a batch of new backfill jobs. Optional
 * and best effort: the `backfill_jobs` table is the truth, so a failed publish is logged and
 * forgotten (workers poll the table anyway). The connection is opened on first use and reopened
 * on the next publish after any failure; one publish never waits longer than its deadline.
 * @module
 */
import { Buffer } from "node:buffer";
import amqp from "amqplib";
import type { Logger } from "../log/mod.ts";
import { JOBS_EXCHANGE, type JobsReady } from "./topology.ts";

/** Publishes notifications; never throws. */
export interface JobsPublisher {
  /** Sends one notification; resolves false when it could not be sent. */
  publish(ready: Omit<JobsReady, "at"> & { at?: string }): Promise<boolean>;
  /** Closes the connection (if any). */
  close(): Promise<void>;
  /** Notifications sent and failed so far. */
  readonly stats: { sent: number; failed: number };
}

/** Options of {@linkcode createJobsPublisher}. */
export interface PublisherOptions {
  /** Where failures are logged. */
  logger: Logger;
  /** Deadline of one publish in ms, connecting and the broker's confirm included (default 5000). */
  timeoutMs?: number;
  /** Clock for the `at` field (tests). */
  now?: () => Date;
  /** Exchange to publish to (default {@linkcode JOBS_EXCHANGE}); tests use their own. */
  exchange?: string;
}

interface Link {
  connection: amqp.ChannelModel;
  channel: amqp.ConfirmChannel;
}

/**
 * Creates a publisher for `url`; without a URL every publish is a no-op that resolves false.
 */
export function createJobsPublisher(
  url: string | URL | undefined,
  options: PublisherOptions,
): JobsPublisher {
  const stats = { sent: 0, failed: 0 };
  const now = options.now ?? (() => new Date());
  const exchange = options.exchange ?? JOBS_EXCHANGE;
  let link: Promise<Link> | null = null;

  const drop = (current: Promise<Link> | null) => {
    if (link !== current) return;
    link = null;
    current?.then((l) => l.connection.close()).catch(() => {});
  };

  const open = (): Promise<Link> => {
    if (link) return link;
    const attempt = (async () => {
      const connection = await amqp.connect(String(url), { timeout: options.timeoutMs ?? 5000 });
      connection.on("error", () => {});
      connection.on("close", () => drop(attempt));
      const channel = await connection.createConfirmChannel();
      channel.on("error", () => {});
      channel.on("close", () => drop(attempt));
      await channel.assertExchange(exchange, "fanout", { durable: true });
      return { connection, channel };
    })();
    link = attempt;
    return attempt;
  };

  return {
    stats,
    async publish(ready) {
      if (url === undefined) return false;
      const message: JobsReady = {
        count: ready.count,
        kinds: ready.kinds,
        at: ready.at ?? now().toISOString(),
      };
      const current = open();
      const limit = options.timeoutMs ?? 5000;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        // A broker that stops answering on an open connection would otherwise hold the
        // scheduler forever waiting for the confirm: the whole publish has one deadline.
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`no confirm from the broker within ${limit} ms`)),
            limit,
          );
        });
        await Promise.race([
          deadline,
          current.then(({ channel }) =>
            new Promise<void>((resolve, reject) => {
              channel.publish(
                exchange,
                "",
                Buffer.from(JSON.stringify(message)),
                { contentType: "application/json" },
                (error) => (error ? reject(error) : resolve()),
              );
            })
          ),
        ]);
        stats.sent++;
        return true;
      } catch (error) {
        stats.failed++;
        options.logger.warn("jobs-ready notification not published (workers will poll)", {
          error: (error as Error).message,
          count: ready.count,
        });
        drop(current);
        return false;
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      const current = link;
      link = null;
      if (!current) return;
      try {
        const { connection } = await current;
        await connection.close();
      } catch {
        // Already closed or never opened.
      }
    },
  };
}
