/**
 * RabbitMQ topology for "jobs ready" notifications (optional: the `backfill_jobs` table is the
 * truth; a notification only wakes workers early). Publishers send to a durable fanout exchange;
 * each worker process consumes from its own exclusive auto-delete queue bound to it.
 */
import { z } from "zod";

/** The exchange notifications are published to. */
export const JOBS_EXCHANGE = "kalshi.backfill.jobs";

/** A notification body (JSON). */
export const JobsReady = z.object({
  /** How many jobs the batch added. */
  count: z.number().int().nonnegative(),
  /** Job kinds in the batch. */
  kinds: z.array(z.string()),
  /** When it was published (ISO 8601). */
  at: z.string(),
});

/** A "jobs ready" notification. */
export type JobsReady = z.infer<typeof JobsReady>;
