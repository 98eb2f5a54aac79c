/** The `kalshi` command line: reads Kalshi (any file a user hands it), writes nothing. */
import { defineCommand } from "../config/mod.ts";
import { kalshiSettings } from "../kalshi/settings.ts";

/** `kalshi <validate|markets|events|candles> …`. */
export const kalshiCliCommand = defineCommand({
  name: "kalshi",
  summary:
    "Explores and validates Kalshi payloads: validate, markets, events, candles (each has --help).",
  usage: "<validate|markets|events|candles> [options]",
  settings: kalshiSettings,
  // `validate` reads whatever files the user names; nothing is ever written.
  extraFlags: ["--allow-read"],
  ownArguments: true,
});
