/**
 * RabbitMQ topology for "jobs ready" notifications (optional: the `backfill_jobs` table is the
 * truth; a notification only wakes workers early). Publishers send to a durable fanout exchange;
 * each worker process consumes from its own exclusive auto-delete queue bound to it.
 */
import { z } from "zod";

/** The exchange notifications are published to. */
export const JOBS_EXCHANGE = "kalshi.backfill.jobs";

/** A "jobs ready" notification: the JSON body published to {@linkcode JOBS_EXCHANGE}. */
export interface JobsReady {
  /** How many jobs the batch added (a non-negative integer). */
  count: number;
  /** Job kinds in the batch. */
  kinds: string[];
  /** When it was published (ISO 8601). */
  at: string;
}

/** Validates a received notification body. */
export const jobsReadySchema = z.object({
  count: z.number().int().nonnegative(),
  kinds: z.array(z.string()),
  at: z.string(),
}) satisfies z.ZodType<JobsReady>;
