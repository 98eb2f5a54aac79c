/** Settings several commands share: database, broker, logging, metrics port and address. */
import { z } from "zod";
import {
  choiceValue,
  ipAddressValue,
  portValue,
  type Setting,
  setting,
  urlValue,
} from "../config/mod.ts";
import type { LogLevel } from "../log/mod.ts";

/**
 * Environment variables the pool still consults (createPool passes host, port, user and database
 * explicitly); granted (read-only) to every command that connects to PostgreSQL.
 */
export const POSTGRES_LIBRARY_ENV = [
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  "PGSSLMODE",
  "PGSSLROOTCERT",
] as const;

/** `DATABASE_URL`: required by the service itself; the launch step fills it in with the embedded default. */
export const databaseUrl: Setting<URL> = setting({
  env: "DATABASE_URL",
  flag: "database-url",
  schema: urlValue(["postgres:", "postgresql:"]),
  help: "PostgreSQL URL (postgres://user:password@host:5432/db?sslmode=require). " +
    "Unset under `deno task`: the embedded PostgreSQL in .data/postgres is used",
  expected: "a postgres:// URL",
  secret: true,
  access: "net",
});

/** `AMQP_URL`: RabbitMQ, optional everywhere (the job table is the truth). */
export const amqpUrl: Setting<URL | undefined> = setting({
  env: "AMQP_URL",
  flag: "amqp-url",
  schema: urlValue(["amqp:", "amqps:"]).optional(),
  help: "RabbitMQ URL for job notifications (optional; without it workers poll the job table)",
  expected: "an amqp:// or amqps:// URL",
  secret: true,
  access: "net",
});

/** `LOG_LEVEL`: the lowest level the JSON log on stderr writes. */
export const logLevel: Setting<LogLevel> = setting({
  env: "LOG_LEVEL",
  flag: "log-level",
  schema: choiceValue(["debug", "info", "warn", "error"]),
  default: "info",
  help: "lowest level written to the JSON log on stderr",
});

/** `METRICS_PORT`: /healthz and /metrics; optional. */
export const metricsPort: Setting<number | undefined> = setting({
  env: "METRICS_PORT",
  flag: "metrics-port",
  schema: portValue().optional(),
  help:
    "port serving /healthz (liveness), /readyz (readiness) and /metrics (Prometheus); unset serves none",
  access: "listen",
});

/**
 * `METRICS_HOST`: the address /healthz and /metrics listen on. Every interface by default for a
 * service run on its own (a scraper on another machine); `deno task start` sets it from
 * START_LISTEN_HOST (default 127.0.0.1), since a login node is shared.
 */
export const metricsHost: Setting<string> = setting({
  env: "METRICS_HOST",
  flag: "metrics-host",
  schema: ipAddressValue(),
  default: "0.0.0.0",
  help: "address /healthz and /metrics listen on: 0.0.0.0 every interface, 127.0.0.1 this " +
    "machine only (under `deno task start`: START_LISTEN_HOST, default 127.0.0.1)",
  expected: "an IP address such as 127.0.0.1 or 0.0.0.0",
  access: "host",
});

/** A shutdown deadline in milliseconds. */
export const shutdownMs: Setting<number> = setting({
  env: "SHUTDOWN_TIMEOUT_MS",
  flag: "shutdown-timeout-ms",
  schema: z.string().regex(/^\d+$/).transform(Number).pipe(z.number().int().min(100).max(600_000)),
  default: "10000",
  help: "how long a stop signal may take to flush buffers and release leases",
  expected: "milliseconds from 100 to 600000",
});
