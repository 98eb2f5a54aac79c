/** `deno task status`: one look at the capture's health, from the database alone. */
import { z } from "zod";
import {
  type Command,
  defineCommand,
  intValue,
  type Setting,
  setting,
  switchValue,
} from "../config/mod.ts";
import { databaseUrl, POSTGRES_LIBRARY_ENV } from "./shared.ts";
import { wsSpoolDir } from "./ws_service.ts";

/** `status`: reads the database (and the local spool folder) and prints what is stale. */
export const statusCommand: Command<{
  databaseUrl: Setting<URL>;
  json: Setting<boolean>;
  wsSilenceSeconds: Setting<number>;
  wsChannels: Setting<string[]>;
  maxPassAgeSeconds: Setting<number>;
  maxDueAgeSeconds: Setting<number>;
  deadWindowMinutes: Setting<number>;
  timeoutSeconds: Setting<number>;
  spoolDir: Setting<string>;
}> = defineCommand({
  name: "status",
  summary: "Prints the capture's health from the database alone (the services may run " +
    "elsewhere): the last message of each WebSocket channel, the last discovery pass, the " +
    "backfill backlog, recently dead jobs, open capture gaps, dead letters of the last day and " +
    "the local spool. Exit 0 healthy, 1 stale (each failing check is named, with by how much), " +
    "2 usage error, 3 cannot tell (database unreachable, too slow or without the schema).",
  settings: {
    databaseUrl,
    json: setting({
      env: "STATUS_JSON",
      flag: "json",
      type: "boolean",
      schema: switchValue(),
      help: "print one JSON object instead of the table",
    }),
    wsSilenceSeconds: setting({
      env: "STATUS_WS_SILENCE_SECONDS",
      flag: "ws-silence",
      schema: intValue(10, 86_400),
      default: "300",
      help: "a checked WebSocket channel is stale after this many seconds without a message " +
        "(only while markets are open)",
      expected: "seconds from 10 to 86400",
    }),
    wsChannels: setting({
      env: "STATUS_WS_CHANNELS",
      flag: "ws-channels",
      schema: z.string().transform((text) => text.split(",").map((s) => s.trim()).filter(Boolean))
        .pipe(z.array(z.string().regex(/^[a-z0-9_]{1,64}$/)).min(1)),
      default: "ticker",
      help: "channels the silence limit applies to (ticker, trade, market_lifecycle_v2, …); " +
        "every channel is shown",
      expected: "a comma-separated list of channel names (lower case, digits, '_')",
    }),
    maxPassAgeSeconds: setting({
      env: "STATUS_MAX_PASS_AGE_SECONDS",
      flag: "max-pass-age",
      schema: intValue(60, 7 * 86_400),
      default: "1800",
      help: "stale when the last discovery pass started longer ago than this many seconds",
      expected: "seconds from 60 to 604800",
    }),
    maxDueAgeSeconds: setting({
      env: "STATUS_MAX_DUE_AGE_SECONDS",
      flag: "max-due-age",
      schema: intValue(60, 30 * 86_400),
      default: "3600",
      help: "stale when the oldest due backfill job has waited longer than this many seconds",
      expected: "seconds from 60 to 2592000",
    }),
    deadWindowMinutes: setting({
      env: "STATUS_DEAD_WINDOW_MINUTES",
      flag: "dead-window",
      schema: intValue(1, 7 * 1440),
      default: "60",
      help: "stale while a backfill job died within this many minutes",
      expected: "minutes from 1 to 10080",
    }),
    timeoutSeconds: setting({
      env: "STATUS_TIMEOUT_SECONDS",
      flag: "timeout",
      schema: intValue(1, 300),
      default: "5",
      help: "connect timeout and per-query statement_timeout; the whole read is abandoned " +
        "(exit 3) after twice this",
      expected: "seconds from 1 to 300",
    }),
    spoolDir: {
      ...wsSpoolDir,
      help: "ws_service's spool folder, measured when it is on this machine and readable",
      expected: "a folder path",
      access: "read",
    },
  },
  extraEnv: POSTGRES_LIBRARY_ENV,
  database: true,
});
