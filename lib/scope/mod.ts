/** The ingestion scope shared by discovery, scheduling and live capture, and its settings. @module */

export {
  createScope,
  eventInScope,
  eventTickerOfMarket,
  EVERYTHING,
  expandStatuses,
  isComboMarket,
  MARKET_STATUSES,
  marketInScope,
  type Scope,
  seriesInScope,
  seriesTickerOfEvent,
} from "./scope.ts";
export { scopeFromConfig, scopeSettings } from "./settings.ts";
export { type MarketScopeOptions } from "./scope.ts";
export { type MarketStatus } from "./scope.ts";
export { type ScopeConfig } from "./settings.ts";
export { type ScopeEvent } from "./scope.ts";
export { type ScopeMarket } from "./scope.ts";
export { type ScopeSeries } from "./scope.ts";
