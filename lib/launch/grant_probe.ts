/**
 * A probe run with a command's exact launch flags in place of its entry module
 * (lib/launch/grants_test.ts): it attempts each operation it is given and prints, as one JSON
 * object, how each ended (`ok`, or the error's name and message), plus the state Deno reports
 * for each permission it is asked about.
 * @module
 */

/** What the probe is asked to try. */
export interface ProbeRequest {
  /** URL to fetch. */
  fetch?: string;
  /** File to read. */
  read?: string;
  /** File to write. */
  write?: string;
  /** Environment variable to read. */
  env?: string;
  /** Program to run. */
  run?: string;
  /** Permissions to query, e.g. `{ name: "net", host: "db:5432" }`. */
  query?: Deno.PermissionDescriptor[];
}

/** How each attempt ended. */
export interface ProbeResult {
  attempts: Record<string, { ok: true } | { ok: false; name: string; message: string }>;
  queries: string[];
}

async function attempt(fn: () => unknown): Promise<ProbeResult["attempts"][string]> {
  try {
    await fn();
    return { ok: true };
  } catch (error) {
    const e = error as Error;
    return { ok: false, name: e.name, message: e.message };
  }
}

if (import.meta.main) {
  const request: ProbeRequest = JSON.parse(Deno.args[0] ?? "{}");
  const result: ProbeResult = { attempts: {}, queries: [] };
  if (request.fetch) {
    const url = request.fetch;
    result.attempts.fetch = await attempt(async () => {
      const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await response.body?.cancel();
    });
  }
  if (request.read) result.attempts.read = await attempt(() => Deno.readFileSync(request.read!));
  if (request.write) {
    result.attempts.write = await attempt(() => Deno.writeTextFileSync(request.write!, "probe"));
  }
  if (request.env) result.attempts.env = await attempt(() => Deno.env.get(request.env!));
  if (request.run) {
    result.attempts.run = await attempt(() => new Deno.Command(request.run!).outputSync());
  }
  for (const descriptor of request.query ?? []) {
    result.queries.push(Deno.permissions.querySync(descriptor).state);
  }
  console.log(JSON.stringify(result));
}
