/**
 * Tests that need something a machine may lack (RabbitMQ, Chromium, SLURM) ask here first. On a
 * newcomer's machine the test is skipped with a visible reason; with `KALSHI_STRICT_TESTS=1`
 * (CI) a missing requirement fails the test instead, so CI always runs everything.
 */

/** Whether a requirement is met, and why not. */
export interface Requirement {
  /** What was looked for. */
  name: string;
  /** `undefined` when available, else why not. */
  missing?: string;
}

/** Whether skips turn into failures. */
export function strictTests(): boolean {
  return Deno.env.get("KALSHI_STRICT_TESTS") === "1";
}

/** Checks that a TCP port accepts connections. */
export async function tcpRequirement(
  name: string,
  hostname: string,
  port: number,
): Promise<Requirement> {
  try {
    const conn = await Deno.connect({ hostname, port });
    conn.close();
    return { name };
  } catch (error) {
    return {
      name,
      missing: `${name} is not reachable at ${hostname}:${port} (${(error as Error).message})`,
    };
  }
}

/** Checks that an executable exists. */
export async function fileRequirement(name: string, path: string): Promise<Requirement> {
  try {
    await Deno.stat(path);
    return { name };
  } catch {
    return { name, missing: `${name} is not installed (${path} not found)` };
  }
}

/**
 * Options for `Deno.test` that skip when `requirement` is missing (printing why), or, in strict
 * mode, run a test that fails with the reason.
 */
export function testRequiring(
  requirement: Requirement,
  name: string,
  fn: (t: Deno.TestContext) => Promise<void> | void,
): Deno.TestDefinition {
  if (!requirement.missing) return { name, fn };
  if (strictTests()) {
    return {
      name,
      fn: () => {
        throw new Error(`KALSHI_STRICT_TESTS=1 and ${requirement.missing}`);
      },
    };
  }
  console.error(`skipping "${name}": ${requirement.missing}`);
  return { name: `${name} (skipped: ${requirement.missing})`, ignore: true, fn };
}

/** RabbitMQ as configured by `TEST_AMQP_URL` (default amqp://guest:guest@127.0.0.1:5672). */
export function testAmqpUrl(): string {
  return Deno.env.get("TEST_AMQP_URL") ?? "amqp://guest:guest@127.0.0.1:5672";
}

/** Checks RabbitMQ at {@linkcode testAmqpUrl}. */
export function rabbitRequirement(): Promise<Requirement> {
  const url = new URL(testAmqpUrl());
  return tcpRequirement("RabbitMQ", url.hostname, Number(url.port || 5672));
}
