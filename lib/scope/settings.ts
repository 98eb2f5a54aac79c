/** The scope's settings (SCOPE_* variables), shared by every command that discovers or captures. */
import { z } from "zod";
import { listValue, setting } from "../config/mod.ts";
import { createScope, expandStatuses, type Scope } from "./scope.ts";

const statusList = z.string().transform((text, ctx) => {
  const words = text.split(",").map((s) => s.trim()).filter(Boolean);
  const { statuses, unknown } = expandStatuses(words);
  if (unknown.length > 0) {
    ctx.addIssue({ code: "custom", message: `unknown status ${unknown.join(", ")}` });
    return z.NEVER;
  }
  return statuses;
});

const booleanText = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) =>
  v === "true" || v === "1" || v === "yes"
);

/** The five scope settings, to spread into a command's `settings`. */
export const scopeSettings = {
  scopeSeries: setting({
    env: "SCOPE_SERIES",
    flag: "scope-series",
    schema: listValue(),
    default: "",
    help: "comma-separated series tickers to capture (empty: every series)",
    expected: "comma-separated series tickers, e.g. KXBTC,KXFED",
  }),
  scopeCategories: setting({
    env: "SCOPE_CATEGORIES",
    flag: "scope-categories",
    schema: listValue(),
    default: "",
    help: "comma-separated categories to capture, exact (empty: every category)",
    expected: "comma-separated category names, e.g. Economics,Crypto",
  }),
  scopeFrequencies: setting({
    env: "SCOPE_FREQUENCIES",
    flag: "scope-frequencies",
    schema: listValue(),
    default: "",
    help: "comma-separated strike periods: series frequency or event strike_period, e.g. " +
      "hourly,daily (empty: all)",
    expected: "comma-separated frequencies, e.g. hourly,daily",
  }),
  scopeStatuses: setting({
    env: "SCOPE_STATUSES",
    flag: "scope-statuses",
    schema: statusList,
    default: "",
    help: "market statuses captured when first seen: initialized, active, inactive, closed, " +
      "determined, disputed, amended, finalized, or groups unopened/open/paused/closed/settled " +
      "(empty: all)",
    expected: "comma-separated market statuses or status groups",
  }),
  scopeIncludeCombos: setting({
    env: "SCOPE_INCLUDE_COMBOS",
    flag: "scope-include-combos",
    schema: booleanText,
    default: "true",
    help: "capture multivariate (combo, KXMVE…) markets too",
    expected: "true or false",
  }),
};

/** The parsed values of {@linkcode scopeSettings}. */
export interface ScopeConfig {
  /** Series tickers to ingest (empty: every series). */
  scopeSeries: string[];
  /** Categories to ingest (empty: every category). */
  scopeCategories: string[];
  /** Series frequencies to ingest (empty: every frequency). */
  scopeFrequencies: string[];
  /** Market statuses to ingest. */
  scopeStatuses: Scope["statuses"];
  /** Whether multivariate (combo) markets are ingested. */
  scopeIncludeCombos: boolean;
}

/** Builds the {@linkcode Scope} from a loaded configuration. */
export function scopeFromConfig(config: ScopeConfig): Scope {
  return createScope({
    series: config.scopeSeries,
    categories: config.scopeCategories,
    frequencies: config.scopeFrequencies,
    statuses: config.scopeStatuses,
    includeCombos: config.scopeIncludeCombos,
  });
}
