/** Reads a command's settings from flags and environment, validated by schemas, with `--help`. */
import { parseArgs } from "node:util";

/**
 * Which Deno permission a setting's value implies, for the launch step: `host` is an address to
 * listen on, granted together with every `listen` port of the command.
 */
export type Access = "net" | "listen" | "host" | "read" | "write";

/** What {@linkcode SettingSchema.safeParse} returns: the converted value, or why the input is wrong. */
export type SettingParseResult<T> =
  | { success: true; data: T }
  | { success: false; error: { issues: readonly { message: string }[] } };

/**
 * Validates and converts a setting's raw value (text, a switch's boolean, or `undefined` when
 * unset). Any zod schema satisfies it; `urlValue`, `intValue` and the other value helpers return one.
 */
export interface SettingSchema<T> {
  /** Checks `input` without throwing; a failure's first issue message says what was expected. */
  safeParse(input: unknown): SettingParseResult<T>;
  /** The same schema, also accepting `undefined` (a setting that may stay unset). */
  optional(): SettingSchema<T | undefined>;
}

/** One setting: an environment variable, optionally a flag, its schema and help text. */
export interface Setting<T = unknown> {
  /** Environment variable name, e.g. `KALSHI_REST_URL`. */
  env: string;
  /** Long flag name without dashes, e.g. `rest-url`; flags win over the environment. */
  flag?: string;
  /** `boolean` settings are switches (`--once`); everything else takes a value. */
  type?: "string" | "boolean";
  /** Validates and converts the raw text (or `undefined` when absent and no default). */
  schema: SettingSchema<T>;
  /** Raw default used when neither flag nor variable is set. */
  default?: string;
  /** One line for `--help`. */
  help: string;
  /** What a valid value looks like, for error messages; defaults to the schema's message. */
  expected?: string;
  /** Never echoed: errors and `--help` hide the value. */
  secret?: boolean;
  /** Permission implied by the value (a URL's host, a port to listen on, a path). */
  access?: Access;
  /**
   * Permissions implied by parts of a structured value (e.g. a list naming a module to read and
   * an endpoint to call), for the launch step; beside or instead of `access`.
   */
  grants?(value: T): Grants;
}

/** Hosts and paths a setting's value needs, from {@linkcode Setting.grants}. */
export interface Grants {
  /** URLs whose host (and port) the command connects to. */
  net?: URL[];
  /** Paths the command reads. */
  read?: string[];
  /** Other narrow Deno flags the value needs (e.g. `--allow-ffi=<one addon folder>`). */
  flags?: string[];
}

/** A command: its name, what it does and the settings it reads. */
export interface Command<S extends Record<string, Setting> = Record<string, Setting>> {
  /** Name shown in help and logs, e.g. `rest_service`. */
  name: string;
  /** One paragraph on what the command does. */
  summary: string;
  /** Usage line after the name, e.g. `[options] <file>`; defaults to `[options]`. */
  usage?: string;
  /** The settings, keyed by the property name the program reads. */
  settings: S;
  /** Extra environment variables libraries read (granted by the launch step, never validated). */
  extraEnv?: readonly string[];
  /** Extra Deno permission flags the command always needs (e.g. `--allow-sys=hostname`). */
  extraFlags?: readonly string[];
  /** Whether the command needs `DATABASE_URL` (the launch step provides the embedded default). */
  database?: boolean;
  /** Other variables that, when set, name the database instead (no embedded default then). */
  databaseAlternatives?: readonly string[];
  /**
   * The command parses its own arguments (subcommands, positionals): the launch step derives
   * permissions from the environment only, passes every argument through, and runs the command
   * in the caller's folder so relative file names keep their meaning.
   */
  ownArguments?: boolean;
}

/** The parsed values of a command's settings, keyed like its settings. */
export type ConfigOf<C extends Command> = {
  [K in keyof C["settings"]]: C["settings"][K] extends Setting<infer T> ? T : never;
};

/** A wrong or missing setting: which variable, what was received, what was expected. */
export class ConfigError extends Error {
  /** The environment variable (and flag) at fault. */
  readonly variable: string;
  /** The value received, masked when secret; `undefined` when absent. */
  readonly received: string | undefined;
  /** What a valid value looks like. */
  readonly expected: string;

  /** An invalid value of `variable`: what was received and what was expected. */
  constructor(variable: string, received: string | undefined, expected: string) {
    const got = received === undefined ? "nothing (not set)" : JSON.stringify(received);
    super(`Invalid configuration: ${variable} received ${got}; expected ${expected}.`);
    this.name = "ConfigError";
    this.variable = variable;
    this.received = received;
    this.expected = expected;
  }
}

/** Declares a setting (identity function that keeps the value type). */
export function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

/** Declares a command (identity function that keeps the settings' types). */
export function defineCommand<S extends Record<string, Setting>>(command: Command<S>): Command<S> {
  return command;
}

/** Where raw values come from. */
export interface LoadOptions {
  /** Command-line arguments (without the program); defaults to none. */
  args?: readonly string[];
  /** Environment lookup; defaults to `Deno.env.get` for each declared variable only. */
  env?: Record<string, string | undefined> | ((name: string) => string | undefined);
}

/** The outcome of reading a command line: help requested, or values and positionals. */
export type Parsed<C extends Command> =
  | { help: true; text: string }
  | { help: false; config: ConfigOf<C>; positionals: string[] };

function lookup(env: LoadOptions["env"]): (name: string) => string | undefined {
  if (typeof env === "function") return env;
  if (env) return (name) => env[name];
  return (name) => Deno.env.get(name);
}

function label(s: Setting): string {
  return s.flag ? `${s.env} (--${s.flag})` : s.env;
}

function mask(s: Setting, raw: string | undefined): string | undefined {
  if (raw === undefined || !s.secret) return raw;
  return `<hidden, ${raw.length} characters>`;
}

/** Parses `args` and the environment into typed values; throws {@linkcode ConfigError}. */
export function parseCommandLine<C extends Command>(
  command: C,
  options: LoadOptions = {},
): Parsed<C> {
  const flagOptions: Record<string, { type: "string" | "boolean" }> = {
    help: { type: "boolean" },
  };
  for (const s of Object.values(command.settings)) {
    if (s.flag) flagOptions[s.flag] = { type: s.type === "boolean" ? "boolean" : "string" };
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: [...(options.args ?? [])],
      options: flagOptions,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    const flags = Object.keys(flagOptions).map((f) => `--${f}`).join(", ");
    throw new ConfigError(
      "command line",
      (options.args ?? []).join(" "),
      `known flags only (${flags}); ${(error as Error).message}. Run with --help`,
    );
  }
  if (parsed.values.help) return { help: true, text: helpText(command) };
  const get = lookup(options.env);
  const config: Record<string, unknown> = {};
  for (const [key, s] of Object.entries(command.settings)) {
    const flagValue = s.flag ? parsed.values[s.flag] : undefined;
    let raw: string | undefined = flagValue === undefined
      ? get(s.env)
      : typeof flagValue === "boolean"
      ? String(flagValue)
      : flagValue;
    if (raw === "") raw = undefined;
    raw ??= s.default;
    const input = s.type === "boolean" ? parseBoolean(s, raw) : raw;
    const result = s.schema.safeParse(input);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new ConfigError(
        label(s),
        mask(s, raw),
        s.expected ?? issue?.message ?? "a valid value",
      );
    }
    config[key] = result.data;
  }
  return { help: false, config: config as ConfigOf<C>, positionals: parsed.positionals };
}

function parseBoolean(s: Setting, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  const v = raw.toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(label(s), mask(s, raw), "one of true/false, 1/0, yes/no, on/off");
}

/** Reads the configuration or throws; `--help` is reported as a {@linkcode ConfigError}-free result. */
export function loadConfig<C extends Command>(command: C, options: LoadOptions = {}): ConfigOf<C> {
  const parsed = parseCommandLine(command, options);
  if (parsed.help) throw new Error(`--help was requested for ${command.name}`);
  return parsed.config;
}

/** Renders `--help` for a command: usage, summary and every setting with its variable and default. */
export function helpText(command: Command): string {
  const lines = [
    `Usage: ${command.name} ${command.usage ?? "[options]"}`,
    "",
    command.summary,
    "",
    "Options (a flag wins over its environment variable):",
  ];
  for (const s of Object.values(command.settings)) {
    const flag = s.flag ? `--${s.flag}${s.type === "boolean" ? "" : " <value>"}` : "(env only)";
    const def = s.default !== undefined && !s.secret ? ` [default: ${s.default}]` : "";
    lines.push(`  ${flag.padEnd(30)} ${s.env}`, `      ${s.help}${def}`);
  }
  lines.push(`  ${"--help".padEnd(30)} show this help`);
  return lines.join("\n");
}

/**
 * Reads the configuration for a program's entry point: prints help and exits 0 on `--help`,
 * prints the error and exits 2 on a {@linkcode ConfigError}, before the program does anything.
 */
export function configFromCommandLine<C extends Command>(
  command: C,
  options: LoadOptions = {},
): { config: ConfigOf<C>; positionals: string[] } {
  try {
    const parsed = parseCommandLine(command, { args: Deno.args, ...options });
    if (parsed.help) {
      console.log(parsed.text);
      Deno.exit(0);
    }
    return { config: parsed.config, positionals: parsed.positionals };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`${command.name}: ${error.message}`);
      console.error(`Run '${command.name} --help' for the list of settings.`);
      Deno.exit(2);
    }
    throw error;
  }
}
