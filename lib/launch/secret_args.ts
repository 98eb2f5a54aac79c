/**
 * Secrets stay off command lines. A secret setting given as a flag (`--database-url
 * postgres://u:pw@…`) is taken out of the child's arguments and handed to it in its environment
 * variable instead (the flag's value wins, as it would have), so `ps`, /proc/<pid>/cmdline and the
 * child's own logs never see it; `--dry-run` prints such variables masked.
 * @module
 */
import { parseArgs } from "node:util";
import type { Command } from "../config/mod.ts";

/** Arguments without secret flags, and the variables that carry their values instead. */
export interface MovedSecrets {
  /** The arguments left for the child's command line. */
  args: string[];
  /** Environment variables set from secret flags (name -> value). */
  env: Record<string, string>;
}

/**
 * Takes the secret flags of `command` out of `args` (both `--flag=value` and `--flag value`)
 * into their environment variables. `args` must already have passed `parseCommandLine`.
 */
export function moveSecretFlags(command: Command, args: readonly string[]): MovedSecrets {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  const secretEnv = new Map<string, string>();
  for (const s of Object.values(command.settings)) {
    if (!s.flag) continue;
    options[s.flag] = { type: s.type === "boolean" ? "boolean" : "string" };
    if (s.secret && s.type !== "boolean") secretEnv.set(s.flag, s.env);
  }
  if (secretEnv.size === 0) return { args: [...args], env: {} };
  const { tokens } = parseArgs({
    args: [...args],
    options,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const drop = new Set<number>();
  const env: Record<string, string> = {};
  for (const token of tokens ?? []) {
    if (token.kind !== "option" || !secretEnv.has(token.name) || token.value === undefined) {
      continue;
    }
    env[secretEnv.get(token.name)!] = token.value;
    drop.add(token.index);
    if (!token.inlineValue) drop.add(token.index + 1);
  }
  return { args: args.filter((_, i) => !drop.has(i)), env };
}

/** The hidden form of a secret value in printed commands. */
export function maskedValue(value: string): string {
  return `<hidden, ${value.length} characters>`;
}

/**
 * A planned child as one shell-like line for `--dry-run`: the variables set from secret flags
 * first (masked), then the program and its arguments (quoted when needed); any other occurrence
 * of a value in `secrets` is masked too.
 */
export function describeCommand(
  plan: { program: string; args: readonly string[]; env: Record<string, string> },
  fromFlags: readonly string[],
  secrets: readonly string[] = [],
): string {
  const hidden = [...secrets, ...fromFlags.map((name) => plan.env[name])]
    .filter((v): v is string => typeof v === "string" && v.length > 0)
    .sort((a, b) => b.length - a.length);
  const mask = (text: string) =>
    hidden.reduce((t, secret) => t.split(secret).join(maskedValue(secret)), text);
  const quote = (a: string) => /[\s"'<>]/.test(a) ? JSON.stringify(a) : a;
  const assignments = fromFlags.filter((name) => plan.env[name] !== undefined)
    .map((name) => `${name}=${quote(maskedValue(plan.env[name]))}`);
  return [...assignments, ...[plan.program, ...plan.args].map((a) => quote(mask(a)))].join(" ");
}
