/**
 * The Kalshi simulator: a deterministic, seeded exchange serving Kalshi's REST API under
 * `/trade-api/v2` and its WebSocket at `/trade-api/ws/v2` on one port, in the current field format.
 *
 * - `createSimulator(options)` → `{ handler, world, clock, groundTruth, faults, setFaults, pump,
 *   dropSockets, connections, close }`; `serveSimulator(options)` listens on 127.0.0.1 (port 0 = free)
 *   → `{ url, restUrl, wsUrl, port, sim, close }`.
 * - Clock: `startMs`, `speed`, `paused` (or pass `clock: createSimClock(...)`). `clock.advance(ms)`
 *   emits everything due synchronously; a running clock is pumped every `pumpIntervalMs` (100).
 * - Faults: `setFaults({ serverErrors, rateLimitStorm, slowResponses, dropSockets, malformedMessages,
 *   unknownTypeMessages, silentSockets, dropOrderbookDeltas })` or `POST /_sim/faults`;
 *   `dropSockets()` or `POST /_sim/drop-sockets`.
 * - Order books: every market has a two-sided book (YES and NO bids) whose best levels are the
 *   ticker's bid/ask and sizes and which trades consume; `orderbook_delta` (auth, markets required)
 *   sends snapshots then deltas for watched markets only, honours `get_snapshot`; REST serves
 *   `/markets/{ticker}/orderbook` and `/markets/orderbooks`; `bookAt(ticker, ms)` is the ground truth.
 * - Ground truth: records `emit` (channel messages, gap-free `n`), `ws_open|ws_recv|ws_send|ws_fault|
 *   ws_close` (exact frames per connection, with `n`, `sid`, `seq`), `rest` (status, fault, body); in
 *   memory (`groundTruth.records(kind)`, `GET /_sim/ground-truth?kind=emit&since=N`) and/or NDJSON files
 *   `emitted.ndjson`, `ws.ndjson`, `rest.ndjson` in `groundTruth.dir`.
 * - Control: `GET|POST /_sim/clock` (`{advance_ms, pause, speed}`), `GET /_sim/status`.
 * @module
 */

export { createSimClock } from "./clock.ts";
export { simCommand } from "./command.ts";
export { type FaultConfig } from "./faults.ts";
export { type EmitRecord, type RestRecord, type WsRecord } from "./ground_truth.ts";
export {
  createSimulator,
  type ServedSimulator,
  serveSimulator,
  type SimulatorOptions,
} from "./simulator.ts";
export {
  createWorld,
  isComboMarket,
  isHistorical,
  marketExists,
  marketStatus,
  visibleCloseMs,
  type World,
} from "./world.ts";
export { type ComboLeg } from "./world.ts";
export { type GroundTruth } from "./ground_truth.ts";
export { type GroundTruthOptions } from "./ground_truth.ts";
export { type MarketStatus } from "./world.ts";
export { type SeriesInfo } from "./world.ts";
export { type SimClock } from "./clock.ts";
export { type SimClockOptions } from "./clock.ts";
export { type Simulator } from "./simulator.ts";
export { type WorldOptions } from "./world.ts";
export { type GroundTruthRecord } from "./ground_truth.ts";
