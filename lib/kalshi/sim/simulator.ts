/**
 * The Kalshi simulator: a seeded world behind a web-standard handler serving Kalshi's REST API under
 * `/trade-api/v2` and its WebSocket at `/trade-api/ws/v2`, plus control routes under `/_sim/`.
 */
import { z } from "zod";
import type { OrderbookLevels } from "../orderbook.ts";
import { type AuthVerifier, createAuthVerifier } from "./auth.ts";
import { bookAt } from "./book.ts";
import { createSimClock, type SimClock } from "./clock.ts";
import { Engine } from "./engine.ts";
import {
  type FaultConfig,
  FaultConfigSchema,
  RateLimiter,
  RestFaults,
  TOO_MANY_REQUESTS_BODY,
} from "./faults.ts";
import { createGroundTruth, type GroundTruth, type GroundTruthOptions } from "./ground_truth.ts";
import { MarketView } from "./objects.ts";
import { errorResponse, json, RestApi } from "./rest.ts";
import { createWorld, type World } from "./world.ts";
import { WsHub } from "./ws.ts";

/** REST prefix, as on Kalshi. */
export const REST_PREFIX = "/trade-api/v2";
/** WebSocket path, as on Kalshi. */
export const WS_PATH = "/trade-api/ws/v2";

/** Options for {@link createSimulator}. */
export interface SimulatorOptions {
  /** World seed (default 1). */
  seed?: number;
  /** Number of markets (default 200). */
  markets?: number;
  /** A clock to use; otherwise one is built from startMs/speed/paused. */
  clock?: SimClock;
  /** Simulated start time, Unix ms (default: real now). */
  startMs?: number;
  /** Clock speed multiplier (default 1). */
  speed?: number;
  /** Start with the clock paused (default false): nothing changes until `clock.advance`. */
  paused?: boolean;
  /** World anchor, Unix ms (default: the clock's start time, floored to the minute). */
  epochMs?: number;
  /** Settled history depth, days (default 14). */
  historyDays?: number;
  /** How far ahead future markets open, days (default 2). */
  futureDays?: number;
  /** Historical cutoff lag, days (default 7). */
  cutoffLagDays?: number;
  /** Fraction (0..0.9, default 0) of events served as multivariate combo (`KXMVE…`) events. */
  comboShare?: number;
  /** Check KALSHI-ACCESS-* signatures against this key (off when omitted). */
  auth?: { publicKeyPem: string; keyId?: string; maxSkewMs?: number; requireForRest?: boolean };
  /** Requests per second allowed (429 beyond); off when omitted. */
  rateLimit?: number | { perSecond: number; burstSeconds?: number };
  /** Initial fault switches (all off by default). */
  faults?: FaultConfig;
  /** Ground-truth recorder or its options (default: in memory). */
  groundTruth?: GroundTruth | GroundTruthOptions;
  /** How often the engine emits while the clock runs, real ms (default 100; 0 = only on clock jumps / pump()). */
  pumpIntervalMs?: number;
  /** WebSocket keep-alive: server ping interval, seconds (default 10; 0 disables). */
  pingSeconds?: number;
  /** Real time source for the rate limiter and signature skew (default Date.now). */
  realNow?: () => number;
  /** Delay used for slow-response faults (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

/** A running simulator (not yet listening). */
export interface Simulator {
  /** Web-standard handler: REST, WebSocket upgrade and `/_sim/` control routes. */
  handler: (req: Request) => Response | Promise<Response>;
  /** The seeded world: series, events, markets and their paths. */
  world: World;
  /** The simulated clock. */
  clock: SimClock;
  /** The ground-truth recorder. */
  groundTruth: GroundTruth;
  /** Current fault switches; `setFaults` replaces them. */
  readonly faults: FaultConfig;
  /** Replaces the fault switches. */
  setFaults(config: FaultConfig): void;
  /** Emits everything due up to the clock's now (also runs on a timer and on clock jumps). */
  pump(): void;
  /** Drops every open WebSocket now (fault). */
  dropSockets(): void;
  /**
   * Ground truth: the order book of a market at instant `ms` (after every delta stamped ≤ ms),
   * both sides ascending in exact units; null for a ticker the world does not have.
   */
  bookAt(ticker: string, ms: number): OrderbookLevels | null;
  /** Number of open WebSocket connections. */
  readonly connections: number;
  /** Stops the pump and closes every socket. */
  close(): void;
}

const ClockCommandSchema = z.strictObject({
  advance_ms: z.number().int().min(0).optional(),
  pause: z.boolean().optional(),
  speed: z.number().positive().optional(),
});

function isGroundTruth(x: unknown): x is GroundTruth {
  return typeof x === "object" && x !== null && "record" in x && "records" in x;
}

function rateLimiterOf(options: SimulatorOptions, realNow: () => number): RateLimiter | null {
  if (options.rateLimit === undefined) return null;
  return typeof options.rateLimit === "number"
    ? new RateLimiter(options.rateLimit, 1, realNow)
    : new RateLimiter(options.rateLimit.perSecond, options.rateLimit.burstSeconds ?? 1, realNow);
}

function verifierOf(options: SimulatorOptions, realNow: () => number): AuthVerifier | null {
  return options.auth
    ? createAuthVerifier(options.auth.publicKeyPem, {
      keyId: options.auth.keyId,
      maxSkewMs: options.auth.maxSkewMs,
      realNow,
    })
    : null;
}

/** The first issue of a failed parse, as a 400 response. */
function badRequest(error: z.ZodError, fallback: string): Response {
  return errorResponse(400, "bad_request", error.issues[0]?.message ?? fallback);
}

/** The simulator's parts and state, and its three kinds of route: REST, WebSocket, `/_sim/`. */
class SimCore {
  readonly seed: number;
  readonly clock: SimClock;
  readonly world: World;
  readonly groundTruth: GroundTruth;
  readonly hub: WsHub;
  faults: FaultConfig = {};
  readonly #options: SimulatorOptions;
  readonly #rest: RestApi;
  readonly #engine: Engine;
  readonly #restFaults: RestFaults;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #rateLimiter: RateLimiter | null;
  readonly #verifier: AuthVerifier | null;

  constructor(options: SimulatorOptions) {
    this.#options = options;
    this.seed = (options.seed ?? 1) >>> 0;
    this.clock = options.clock ??
      createSimClock({ startMs: options.startMs, speed: options.speed, paused: options.paused });
    this.world = createWorld({
      seed: this.seed,
      markets: options.markets,
      epochMs: options.epochMs ?? this.clock.now(),
      historyDays: options.historyDays,
      futureDays: options.futureDays,
      cutoffLagDays: options.cutoffLagDays,
      comboShare: options.comboShare,
    });
    this.groundTruth = isGroundTruth(options.groundTruth)
      ? options.groundTruth
      : createGroundTruth(options.groundTruth);
    const view = new MarketView(this.world);
    const now = () => this.clock.now();
    this.#rest = new RestApi(view, now);
    this.#engine = new Engine(view, this.clock.now());
    const engine = this.#engine;
    this.hub = new WsHub(view, this.groundTruth, now, this.seed, () => engine.lastMs);
    this.#restFaults = new RestFaults(this.seed);
    const realNow = options.realNow ?? Date.now;
    this.#sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.setFaults(options.faults ?? {});
    this.#rateLimiter = rateLimiterOf(options, realNow);
    this.#verifier = verifierOf(options, realNow);
  }

  setFaults(c: FaultConfig): void {
    this.faults = { ...c };
    this.#restFaults.config = this.faults;
    this.hub.faults = this.faults;
  }

  pump(): void {
    const { groundTruth, hub } = this;
    const emissions = this.#engine.pump(
      this.clock.now(),
      groundTruth.enabled || hub.connections > 0,
      hub.bookMarkets(),
    );
    if (emissions.length === 0) return;
    if (groundTruth.enabled) {
      for (const e of emissions) if (e.kind === "emit") groundTruth.record(e);
    }
    hub.broadcast(emissions);
    groundTruth.flush();
  }

  handle(req: Request): Response | Promise<Response> {
    const url = new URL(req.url);
    if (url.pathname === WS_PATH) return this.#handleWs(req, url);
    if (url.pathname === REST_PREFIX || url.pathname.startsWith(REST_PREFIX + "/")) {
      return this.#handleRest(req, url);
    }
    if (url.pathname.startsWith("/_sim/")) return this.#handleControl(req, url);
    return errorResponse(404, "not_found", "not found");
  }

  #recordRest(req: URL, method: string, status: number, body: string, fault?: string): void {
    const groundTruth = this.groundTruth;
    if (!groundTruth.enabled) return;
    groundTruth.record({
      kind: "rest",
      time_ms: this.clock.now(),
      method,
      path: req.pathname,
      query: req.search,
      status,
      ...(fault ? { fault } : {}),
      ...(groundTruth.restBodies ? { body } : {}),
    });
  }

  async #handleRest(req: Request, url: URL): Promise<Response> {
    const finish = async (res: Response, fault?: string): Promise<Response> => {
      const body = await res.text();
      this.#recordRest(url, req.method, res.status, body, fault);
      return new Response(body, { status: res.status, headers: res.headers });
    };
    const rejected = await this.#restFault(req, url);
    if (rejected) return finish(rejected.response, rejected.fault);
    if (req.method !== "GET") {
      return finish(errorResponse(405, "method_not_allowed", "method not allowed"));
    }
    return finish(this.#rest.handle(url.pathname.slice(REST_PREFIX.length), url.searchParams));
  }

  /** The rate limit, an injected fault or a failed signature, if one answers this request. */
  async #restFault(req: Request, url: URL): Promise<{ response: Response; fault: string } | null> {
    if (this.#rateLimiter && !this.#rateLimiter.take()) {
      return { response: json(TOO_MANY_REQUESTS_BODY, 429), fault: "rate_limited" };
    }
    const f = this.#restFaults.next();
    if (f.delayMs > 0) await this.#sleep(f.delayMs);
    if (f.kind === "server_error") {
      return {
        response: errorResponse(f.status, "internal_server_error", "internal server error"),
        fault: "server_error",
      };
    }
    if (f.kind === "rate_limit_storm") {
      return { response: json(TOO_MANY_REQUESTS_BODY, 429), fault: "rate_limit_storm" };
    }
    const verifier = this.#verifier;
    if (
      verifier &&
      (this.#options.auth?.requireForRest || req.headers.has("KALSHI-ACCESS-SIGNATURE"))
    ) {
      const failure = verifier.check(req.headers, req.method, url.pathname);
      if (failure) {
        return {
          response: errorResponse(401, "authentication_error", failure.replace("_", " ")),
          fault: "auth",
        };
      }
    }
    return null;
  }

  #handleWs(req: Request, url: URL): Response {
    if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return errorResponse(400, "bad_request", "expected a WebSocket upgrade");
    }
    let authed = false;
    if (this.#verifier) {
      if (this.#verifier.check(req.headers, "GET", url.pathname) !== null) {
        return json({ code: "token_authentication_failure" }, 401);
      }
      authed = true;
    }
    const pingSeconds = this.#options.pingSeconds ?? 10;
    const { socket, response } = Deno.upgradeWebSocket(
      req,
      pingSeconds > 0 ? { idleTimeout: pingSeconds } : {},
    );
    const hub = this.hub;
    let id = 0;
    socket.onopen = () => {
      id = hub.open(socket, authed);
    };
    socket.onmessage = (ev) => {
      if (id) hub.command(id, typeof ev.data === "string" ? ev.data : "");
    };
    socket.onclose = () => {
      if (id) hub.close(id, "closed");
    };
    socket.onerror = () => {
      if (id) hub.close(id, "error");
    };
    return response;
  }

  async #handleControl(req: Request, url: URL): Promise<Response> {
    const path = url.pathname.slice("/_sim".length);
    if (path === "/ground-truth") return this.#groundTruthRoute(url);
    if (path === "/faults") return await this.#faultsRoute(req);
    if (path === "/clock") return await this.#clockRoute(req);
    if (path === "/drop-sockets" && req.method === "POST") {
      this.hub.dropAll();
      return json({ dropped: true });
    }
    if (path === "/status") return this.#statusRoute();
    return errorResponse(404, "not_found", "not found");
  }

  #groundTruthRoute(url: URL): Response {
    const kind = url.searchParams.get("kind") as "emit" | "ws" | "rest" | null;
    const since = Number(url.searchParams.get("since") ?? "0");
    const recs = this.groundTruth.records(kind ?? undefined).slice(since);
    return new Response(recs.map((r) => JSON.stringify(r) + "\n").join(""), {
      headers: {
        "content-type": "application/x-ndjson",
        "x-sim-truncated": String(this.groundTruth.truncated),
      },
    });
  }

  async #faultsRoute(req: Request): Promise<Response> {
    if (req.method === "POST" || req.method === "PUT") {
      const parsed = FaultConfigSchema.safeParse(await req.json().catch(() => null));
      if (!parsed.success) return badRequest(parsed.error, "bad faults");
      this.setFaults(parsed.data);
    }
    return json(this.faults);
  }

  async #clockRoute(req: Request): Promise<Response> {
    const clock = this.clock;
    if (req.method === "POST") {
      const parsed = ClockCommandSchema.safeParse(await req.json().catch(() => null));
      if (!parsed.success) return badRequest(parsed.error, "bad clock command");
      const body = parsed.data;
      if (body.pause === true) clock.pause();
      if (body.pause === false) clock.resume();
      if (typeof body.speed === "number") clock.setSpeed(body.speed);
      if (typeof body.advance_ms === "number") clock.advance(body.advance_ms);
    }
    return json({ now_ms: clock.now(), paused: clock.paused, speed: clock.speed });
  }

  #statusRoute(): Response {
    const world = this.world;
    return json({
      seed: this.seed,
      markets: world.marketCount,
      events: world.eventCount,
      series: world.series.length,
      now_ms: this.clock.now(),
      emitted: this.#engine.count,
      connections: this.hub.connections,
    });
  }
}

/** Creates a simulator; serve `handler` with Deno.serve (see {@link serveSimulator}). */
export function createSimulator(options: SimulatorOptions = {}): Simulator {
  const core = new SimCore(options);
  const pump = () => core.pump();
  const unJump = core.clock.onJump(pump);
  const interval = options.pumpIntervalMs ?? 100;
  const timer = interval > 0 ? setInterval(pump, interval) : undefined;
  return {
    handler(req: Request) {
      return core.handle(req);
    },
    world: core.world,
    clock: core.clock,
    groundTruth: core.groundTruth,
    get faults() {
      return core.faults;
    },
    setFaults: (c: FaultConfig) => core.setFaults(c),
    pump,
    dropSockets: () => core.hub.dropAll(),
    bookAt(ticker: string, ms: number) {
      const m = core.world.marketByTicker.get(ticker);
      return m === undefined ? null : bookAt(core.world, m, ms);
    },
    get connections() {
      return core.hub.connections;
    },
    close() {
      if (timer !== undefined) clearInterval(timer);
      unJump();
      core.hub.closeAll();
      core.groundTruth.close();
    },
  };
}

/** A simulator listening on 127.0.0.1. */
export interface ServedSimulator {
  /** Base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** `KALSHI_REST_URL`: `http://127.0.0.1:PORT/trade-api/v2`. */
  restUrl: string;
  /** `ws://127.0.0.1:PORT/trade-api/ws/v2`. */
  wsUrl: string;
  /** The port it listens on (127.0.0.1). */
  port: number;
  /** The simulator behind the server. */
  sim: Simulator;
  /** Stops listening and closes the simulator. */
  close(): Promise<void>;
}

/** Starts a simulator with Deno.serve (port 0 = a free port). */
export function serveSimulator(
  options: SimulatorOptions & { port?: number; hostname?: string; signal?: AbortSignal } = {},
): ServedSimulator {
  const sim = createSimulator(options);
  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve({
    port: options.port ?? 0,
    hostname,
    onListen: () => {},
    signal: options.signal,
  }, sim.handler);
  const port = server.addr.port;
  const url = `http://${hostname}:${port}`;
  let closed = false;
  return {
    url,
    restUrl: `${url}${REST_PREFIX}`,
    wsUrl: `ws://${hostname}:${port}${WS_PATH}`,
    port,
    sim,
    async close() {
      if (closed) return;
      closed = true;
      sim.close();
      await server.shutdown();
    },
  };
}
