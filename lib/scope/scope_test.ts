import { assertEquals, assertOk } from "../testing/assert.ts";
import { ConfigError, defineCommand, loadConfig } from "../config/mod.ts";
import { assertThrows } from "../testing/assert.ts";
import {
  createScope,
  eventInScope,
  EVERYTHING,
  expandStatuses,
  marketInScope,
  scopeFromConfig,
  scopeSettings,
  seriesInScope,
} from "./mod.ts";

const series = { ticker: "KXBTC", category: "Crypto", categories: ["Crypto"], frequency: "hourly" };
const event = { eventTicker: "KXBTC-26NOV2517", seriesTicker: "KXBTC", strikePeriod: "" };
const market = { ticker: "KXBTC-26NOV2517-T100", eventTicker: "KXBTC-26NOV2517", status: "active" };
const combo = {
  ticker: "KXMVESPORTS-26NOV25-ABC",
  eventTicker: "KXMVESPORTS-26NOV25",
  status: "active",
  mveCollectionTicker: "KXMVESPORTS",
};

Deno.test("the default scope captures every market, combos included", () => {
  assertOk(marketInScope(EVERYTHING, market));
  assertOk(marketInScope(EVERYTHING, combo));
  assertOk(seriesInScope(EVERYTHING, series));
});

Deno.test("excluding combos drops multivariate markets and series only", () => {
  const scope = createScope({ includeCombos: false });
  assertOk(!marketInScope(scope, combo));
  assertOk(marketInScope(scope, market));
  assertOk(!seriesInScope(scope, { ticker: "KXMVESPORTS" }));
});

Deno.test("a series filter matches the event's series, else the event ticker's prefix", () => {
  const scope = createScope({ series: ["KXBTC"] });
  assertOk(marketInScope(scope, market));
  assertOk(marketInScope(scope, market, event));
  assertOk(!marketInScope(scope, { ...market, eventTicker: "KXETH-26NOV2517" }));
  assertOk(!eventInScope(scope, { ...event, seriesTicker: "KXETH" }));
});

Deno.test("category and frequency filters need the series and are out of scope without it", () => {
  const scope = createScope({ categories: ["Crypto"], frequencies: ["Hourly"] });
  assertOk(marketInScope(scope, market, event, series));
  assertOk(!marketInScope(scope, market));
  assertOk(!marketInScope(scope, market, event, { ...series, frequency: "daily" }));
  assertOk(!marketInScope(scope, market, event, { ...series, category: "Sports", categories: [] }));
  assertOk(marketInScope(scope, market, { ...event, strikePeriod: "hourly" }, {
    ...series,
    frequency: "custom",
  }));
});

Deno.test("a status filter applies at discovery and is skipped with ignoreStatus", () => {
  const scope = createScope({ statuses: expandStatuses(["open"]).statuses });
  assertOk(marketInScope(scope, market));
  assertOk(!marketInScope(scope, { ...market, status: "finalized" }));
  assertOk(marketInScope(scope, { ...market, status: "finalized" }, undefined, undefined, {
    ignoreStatus: true,
  }));
});

Deno.test("status words expand groups and report unknown words", () => {
  assertEquals(expandStatuses(["settled", "active"]).statuses.sort(), ["active", "finalized"]);
  assertEquals(expandStatuses(["bogus"]).unknown, ["bogus"]);
});

const command = defineCommand({ name: "t", summary: "t", settings: scopeSettings });

Deno.test("SCOPE_* variables load into a scope, and a wrong status names the variable", () => {
  const config = loadConfig(command, {
    env: {
      SCOPE_SERIES: "KXBTC, KXETH",
      SCOPE_STATUSES: "open,closed",
      SCOPE_INCLUDE_COMBOS: "false",
    },
  });
  const scope = scopeFromConfig(config);
  assertEquals(scope.series, ["KXBTC", "KXETH"]);
  assertEquals(scope.includeCombos, false);
  assertOk(scope.statuses.includes("inactive") && scope.statuses.includes("determined"));
  const error = assertThrows(
    () => loadConfig(command, { env: { SCOPE_STATUSES: "opened" } }),
    ConfigError,
  );
  assertOk(error.variable.startsWith("SCOPE_STATUSES"), error.message);
});
