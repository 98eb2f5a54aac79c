/** Least privilege from configuration: the Deno permission flags a command's settings imply. */
import type { Command } from "../config/mod.ts";

/** Flags derived for one run of a command. */
export interface PermissionPlan {
  /** Hosts the command may connect to or listen on. */
  net: string[];
  /** Paths it may read. */
  read: string[];
  /** Paths it may write. */
  write: string[];
  /** Environment variables it may read. */
  env: string[];
  /** Other flags the command always needs. */
  extra: string[];
}

function hostOf(url: URL): string {
  // WebSocket and HTTP URLs without an explicit port still name one host; Deno's
  // --allow-net=host grants every port of it, host:port just that port.
  return url.port ? `${url.hostname}:${url.port}` : url.hostname;
}

function asPaths(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap(asPaths);
  if (value instanceof URL) return value.protocol === "file:" ? [value.pathname] : [];
  return [String(value)];
}

/** Computes the permission plan of `command` for the parsed `config`. */
export function planPermissions(
  command: Command,
  config: Record<string, unknown>,
): PermissionPlan {
  const plan: PermissionPlan = { net: [], read: [], write: [], env: [], extra: [] };
  // Ports are granted on 0.0.0.0 and 127.0.0.1, and on every address a `host` setting names.
  const listenHosts = ["0.0.0.0", "127.0.0.1"];
  const listenPorts: unknown[] = [];
  for (const [key, s] of Object.entries(command.settings)) {
    plan.env.push(s.env);
    const value = config[key];
    if (value === undefined || value === null) continue;
    const granted = s.grants?.(value);
    plan.net.push(...(granted?.net ?? []).map(hostOf));
    plan.read.push(...(granted?.read ?? []));
    plan.extra.push(...(granted?.flags ?? []));
    switch (s.access) {
      case "net": {
        const urls = (Array.isArray(value) ? value : [value]).map((v) =>
          v instanceof URL ? v : new URL(String(v))
        );
        plan.net.push(...urls.map(hostOf));
        break;
      }
      case "listen":
        listenPorts.push(value);
        break;
      case "host":
        listenHosts.push(String(value));
        break;
      case "read":
        plan.read.push(...asPaths(value));
        break;
      case "write":
        plan.read.push(...asPaths(value));
        plan.write.push(...asPaths(value));
        break;
    }
  }
  for (const port of listenPorts) {
    const hosts = [...new Set(listenHosts)];
    plan.net.push(...hosts.map((host) => `${host.includes(":") ? `[${host}]` : host}:${port}`));
  }
  plan.env.push(...(command.extraEnv ?? []));
  plan.extra.push(...(command.extraFlags ?? []));
  for (const list of [plan.net, plan.read, plan.write, plan.env]) {
    const unique = [...new Set(list)];
    list.splice(0, list.length, ...unique);
  }
  return plan;
}

/** Renders a plan as `deno run` flags; never `-A`, and an empty list grants nothing. */
export function permissionFlags(plan: PermissionPlan): string[] {
  const flags: string[] = [];
  if (plan.net.length) flags.push(`--allow-net=${plan.net.join(",")}`);
  if (plan.read.length) flags.push(`--allow-read=${plan.read.join(",")}`);
  if (plan.write.length) flags.push(`--allow-write=${plan.write.join(",")}`);
  if (plan.env.length) flags.push(`--allow-env=${plan.env.join(",")}`);
  flags.push(...plan.extra);
  return flags;
}
