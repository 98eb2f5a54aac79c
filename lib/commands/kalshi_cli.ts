/** The `kalshi` command line: reads Kalshi (any file a user hands it), writes nothing. */
import { type Command, defineCommand, type Setting } from "../config/mod.ts";
import { kalshiSettings } from "../kalshi/mod.ts";
import { databaseUrl, POSTGRES_LIBRARY_ENV } from "./shared.ts";

/** `kalshi <validate|markets|events|candles|book> …`. */
export const kalshiCliCommand: Command<
  typeof kalshiSettings & { databaseUrl: Setting<URL | undefined> }
> = defineCommand({
  name: "kalshi",
  summary: "Explores and validates Kalshi payloads: validate, markets, events, candles; book " +
    "prints a stored order book (each has --help).",
  usage: "<validate|markets|events|candles|book> [options]",
  settings: {
    ...kalshiSettings,
    databaseUrl: {
      ...databaseUrl,
      schema: databaseUrl.schema.optional(),
      help: "PostgreSQL URL `kalshi book` reads order books from (no embedded default: only " +
        "`book` connects, and only to this host)",
    },
  },
  // `validate` reads whatever files the user names; nothing is ever written.
  extraFlags: ["--allow-read"],
  extraEnv: POSTGRES_LIBRARY_ENV,
  ownArguments: true,
});
