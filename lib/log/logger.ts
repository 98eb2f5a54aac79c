/** Structured logging: one JSON object per line, so SLURM log files can be grepped and parsed. */

/** Severity of a log line, lowest first. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A logger bound to one service and a set of fields repeated on every line. */
export interface Logger {
  /** Logs a debugging detail. */
  debug(message: string, fields?: Record<string, unknown>): void;
  /** Logs normal progress. */
  info(message: string, fields?: Record<string, unknown>): void;
  /** Logs a recoverable problem. */
  warn(message: string, fields?: Record<string, unknown>): void;
  /** Logs a failure. */
  error(message: string, fields?: Record<string, unknown>): void;
  /** Returns a logger that adds `fields` to every line. */
  child(fields: Record<string, unknown>): Logger;
}

/** Options of {@linkcode createLogger}. */
export interface LoggerOptions {
  /** Receives each finished line (without newline); defaults to stderr. */
  sink?: (line: string) => void;
  /** Lines below this level are dropped; defaults to `LOG_LEVEL` semantics decided by the caller, else "info". */
  level?: LogLevel;
  /** Clock for the `time` field; injectable for tests. */
  now?: () => Date;
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Serialises values JSON cannot carry by itself (bigint, Error, Date). */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { ...value, name: value.name, message: value.message };
  }
  return value;
}

/** Creates a structured logger for `service`; each call writes `{time, level, service, message, ...fields}`. */
export function createLogger(service: string, options: LoggerOptions = {}): Logger {
  const sink = options.sink ?? writeStderr;
  const min = RANK[options.level ?? "info"];
  const now = options.now ?? (() => new Date());
  const make = (bound: Record<string, unknown>): Logger => {
    const emit = (level: LogLevel, message: string, fields?: Record<string, unknown>) => {
      if (RANK[level] < min) return;
      const record = { time: now().toISOString(), level, service, message, ...bound, ...fields };
      sink(JSON.stringify(record, replacer));
    };
    return {
      debug: (m, f) => emit("debug", m, f),
      info: (m, f) => emit("info", m, f),
      warn: (m, f) => emit("warn", m, f),
      error: (m, f) => emit("error", m, f),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}
