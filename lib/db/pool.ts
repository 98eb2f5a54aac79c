/**
 * One postgres.js connection pool per process, built from a DATABASE_URL.
 *
 * Value mapping (the rest of the code relies on it): `numeric` arrives as a decimal string
 * (never a float), `bigint` as a decimal string, `timestamptz` as a `Date`, `jsonb` parsed.
 * TLS follows libpq's `sslmode` (URL parameter or PGSSLMODE) with the CA file from `sslrootcert`
 * (URL parameter or PGSSLROOTCERT), so managed PostgreSQL (e.g. Azure) works.
 *
 * Every option postgres.js would otherwise look up in `PG*` environment variables is passed
 * explicitly, so the only variables it still reads are `PGAPPNAME` and `PGTARGETSESSIONATTRS`
 * (run with `--allow-env=PGAPPNAME,PGTARGETSESSIONATTRS,...`).
 *
 * Sockets are opened with TCP_NODELAY, as libpq does: postgres.js sends some messages in two
 * writes (COPY data then CopyDone), and with Nagle's algorithm on the second waits for the
 * server's delayed ACK (~40 ms per COPY on Linux).
 * @module
 */
import net from "node:net";
import postgres from "postgres";
import { guardPostgresClosedSocketWrites } from "./postgres_guard.ts";

let guarded = false;

/** The pool (also the tagged-template query function) every lib/db module takes. */
export type Sql = postgres.Sql;

/**
 * Anything that runs queries: the pool or a transaction (`sql.begin((tx) => …)`) alike. Functions
 * that only query take this, so a caller passes its transaction without a cast.
 */
export type Queryable = postgres.ISql;

/** A libpq TLS mode. */
export type SslMode = "disable" | "allow" | "prefer" | "require" | "verify-ca" | "verify-full";

const SSL_MODES: readonly SslMode[] = [
  "disable",
  "allow",
  "prefer",
  "require",
  "verify-ca",
  "verify-full",
];

/** A DATABASE_URL that cannot be used, with the reason; the password is never included. */
export class DatabaseUrlError extends Error {
  /** The URL with its password masked. */
  readonly url: string;
  /** Creates the error for `url` (masked here) and a human reason. */
  constructor(url: string, reason: string) {
    const masked = maskDatabaseUrl(url);
    super(`invalid database URL ${masked}: ${reason}`);
    this.name = "DatabaseUrlError";
    this.url = masked;
  }
}

/**
 * A server NOTICE (or WARNING) message: its fields by name as the server sent them (`severity`,
 * `code`, `message`, and `detail`, `hint`, `where`, … when present).
 */
export interface DatabaseNotice {
  /** NOTICE, WARNING, INFO, DEBUG or LOG, never translated (`severity_local` is). */
  severity?: string;
  /** SQLSTATE code, e.g. "42P07". */
  code?: string;
  /** The primary message. */
  message?: string;
  /** Optional detail. */
  detail?: string;
  /** Optional hint. */
  hint?: string;
  /** Any other field of the message. */
  [field: string]: string | undefined;
}

/** Options of {@linkcode createPool}. */
export interface PoolOptions {
  /** Maximum connections in the pool; default 10. */
  max?: number;
  /** Reported as `application_name` in pg_stat_activity; default "kalshi-data". */
  applicationName?: string;
  /** Seconds an idle connection stays open; default 30. */
  idleTimeoutSeconds?: number;
  /** Seconds to wait for a connection; default 30. */
  connectTimeoutSeconds?: number;
  /**
   * libpq variables consulted when the URL lacks them: PGSSLMODE, PGSSLROOTCERT.
   * Defaults to the process environment, read only where permission was granted.
   */
  env?: Record<string, string | undefined>;
  /** Reads the CA file named by sslrootcert; defaults to Deno.readTextFileSync. */
  readCaFile?: (path: string) => string;
  /** Receives server NOTICE messages; by default they are dropped. */
  onNotice?: (notice: DatabaseNotice) => void;
}

/** Connection settings resolved from a URL, before postgres.js sees them. */
export interface ConnectionSettings {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslMode: SslMode;
  sslRootCert: string | undefined;
  /** Remaining query parameters, sent as server run-time parameters (e.g. `options`). */
  parameters: Record<string, string>;
}

/** Replaces the password of a postgres URL with `***` so it can be logged. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "<unparseable url>";
  }
}

function envFromProcess(): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const variable of ["PGSSLMODE", "PGSSLROOTCERT"]) {
    if (Deno.permissions.querySync({ name: "env", variable }).state === "granted") {
      out[variable] = Deno.env.get(variable);
    }
  }
  return out;
}

/** Parses a `postgres://` / `postgresql://` URL into explicit connection settings. */
export function parseDatabaseUrl(
  url: string,
  env: Record<string, string | undefined> = {},
): ConnectionSettings {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(url, "not a URL");
  }
  if (parsed.protocol !== "postgres:" && parsed.protocol !== "postgresql:") {
    throw new DatabaseUrlError(url, `scheme must be postgres:// or postgresql://`);
  }
  if (!parsed.hostname) throw new DatabaseUrlError(url, "host is missing");
  const parameters: Record<string, string> = {};
  for (const [key, value] of parsed.searchParams) parameters[key] = value;
  const sslModeText = parameters.sslmode ?? env.PGSSLMODE ?? "disable";
  if (!SSL_MODES.includes(sslModeText as SslMode)) {
    throw new DatabaseUrlError(url, `sslmode must be one of ${SSL_MODES.join(", ")}`);
  }
  const sslRootCert = parameters.sslrootcert ?? env.PGSSLROOTCERT;
  delete parameters.sslmode;
  delete parameters.sslrootcert;
  const port = parsed.port ? Number(parsed.port) : 5432;
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  const user = decodeURIComponent(parsed.username) || "postgres";
  // IPv6 literals come bracketed from URL.hostname; net.connect wants them bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  return {
    host,
    port,
    user,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    database: database || user,
    sslMode: sslModeText as SslMode,
    sslRootCert: sslRootCert || undefined,
    parameters,
  };
}

/**
 * Maps libpq's sslmode to postgres.js's `ssl` option. `require` without a CA encrypts without
 * verifying (libpq semantics); with a CA file it verifies the chain, like libpq does.
 */
export function tlsOptionsFor(
  settings: Pick<ConnectionSettings, "sslMode" | "sslRootCert" | "host">,
  readCaFile: (path: string) => string,
): boolean | "prefer" | Record<string, unknown> {
  const systemRoots = settings.sslRootCert === "system";
  const ca = settings.sslRootCert && !systemRoots ? readCaFile(settings.sslRootCert) : undefined;
  const skipHostname = { checkServerIdentity: () => undefined };
  switch (settings.sslMode) {
    case "disable":
      return false;
    case "allow":
    case "prefer":
      return "prefer";
    case "require":
      return ca ? { ca, rejectUnauthorized: true, ...skipHostname } : { rejectUnauthorized: false };
    case "verify-ca":
      return { ...(ca ? { ca } : {}), rejectUnauthorized: true, ...skipHostname };
    case "verify-full":
      // SNI takes names only; for an IP host the certificate is still checked against the IP.
      return {
        ...(ca ? { ca } : {}),
        rejectUnauthorized: true,
        ...(net.isIP(settings.host) ? {} : { servername: settings.host }),
      };
  }
}

/**
 * Opens a TCP connection to `host:port` with Nagle's algorithm off, for postgres.js's `socket`
 * option. The socket is returned while still connecting, so everything else stays postgres.js's
 * own: its writes queue until the connection is up, its `connect_timeout` timer (started as soon
 * as the socket exists) covers the TCP connect, and a refused or failed connect reaches it as the
 * socket's `error` and `close` events, which return the connection to the pool for retry. `host`
 * and `port` are set on the socket as postgres.js does on its own (TLS SNI and error messages read
 * them).
 */
function connectNoDelay(host: string, port: number): net.Socket {
  const socket = net.connect({ host, port, noDelay: true });
  return Object.assign(socket, { host, port });
}

function backoffSeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(3 ** retries / 100, 20);
}

/**
 * Opens a connection pool for `databaseUrl`. Connections are made lazily on first query; call
 * `await sql.end()` on shutdown.
 */
export function createPool(databaseUrl: string, options: PoolOptions = {}): Sql {
  if (!guarded) {
    // postgres@3.4.9 can throw from a timer after a connection drops; see postgres_guard.ts.
    guardPostgresClosedSocketWrites();
    guarded = true;
  }
  const env = options.env ?? envFromProcess();
  const settings = parseDatabaseUrl(databaseUrl, env);
  const readCaFile = options.readCaFile ?? ((path: string) => Deno.readTextFileSync(path));
  const password = settings.password ?? "";
  return postgres({
    host: settings.host,
    port: settings.port,
    user: settings.user,
    // A function keeps postgres.js from falling back to PGPASSWORD.
    pass: () => password,
    database: settings.database,
    ssl: tlsOptionsFor(settings, readCaFile),
    max: options.max ?? 10,
    idle_timeout: options.idleTimeoutSeconds ?? 30,
    connect_timeout: options.connectTimeoutSeconds ?? 30,
    max_lifetime: 60 * (30 + Math.random() * 30),
    backoff: backoffSeconds,
    prepare: true,
    debug: false,
    fetch_types: true,
    publications: "alltables",
    sslnegotiation: null,
    max_pipeline: 100,
    keep_alive: 60,
    target_session_attrs: undefined,
    onnotice: options.onNotice ?? (() => {}),
    // Returned still connecting; see connectNoDelay. (A factory that resolves only once connected
    // would leave a failed connection stranded: postgres.js 3.4.9 never returns it to the pool.)
    socket: () => connectNoDelay(settings.host, settings.port),
    connection: {
      application_name: options.applicationName ?? "kalshi-data",
      ...settings.parameters,
    },
  } as postgres.Options<Record<string, never>>);
}
