/** Item: secrets stay secret — secret flags reach the child by environment and dry runs mask them. */
import { join } from "node:path";
import { z } from "zod";
import { defineCommand, setting } from "../config/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { LAUNCH_FLAGS } from "./entry.ts";
import { planLaunch, PROJECT_ROOT } from "./launch.ts";
import { RUNNABLES } from "./registry.ts";
import { describeCommand, moveSecretFlags } from "./secret_args.ts";

const SECRET = "S3cr3t-pa55word";
const TOKEN = "tok-0123456789abcdef";

/** A command with one secret flag, whose entry prints what it got (./testing/secret_child.ts). */
const childCommand = defineCommand({
  name: "secret_child",
  summary: "test child",
  settings: {
    token: setting({
      env: "SECRET_CHILD_TOKEN",
      flag: "token",
      schema: z.string().optional(),
      help: "a secret",
      secret: true,
    }),
    label: setting({
      env: "SECRET_CHILD_LABEL",
      flag: "label",
      schema: z.string().optional(),
      help: "plain",
    }),
  },
});

Deno.test("secret flags move to the environment in both spellings; others stay", () => {
  const portal = RUNNABLES.portal.command;
  const moved = moveSecretFlags(portal, [
    `--portal-database-url=postgres://portal:${SECRET}@db.test/k`,
    "--port",
    "9000",
    "--database-url",
    `postgres://svc:${SECRET}@db.test/k`,
    "--auth=password",
  ]);
  assertEquals(moved.args, ["--port", "9000", "--auth=password"]);
  assertEquals(moved.env, {
    PORTAL_DATABASE_URL: `postgres://portal:${SECRET}@db.test/k`,
    DATABASE_URL: `postgres://svc:${SECRET}@db.test/k`,
  });
});

Deno.test("the planned child carries no secret on its command line", () => {
  const plan = planLaunch(RUNNABLES.portal, {
    args: ["--database-url", `postgres://svc:${SECRET}@db.test:5432/k`, "--port=9001"],
    env: {},
  });
  if ("help" in plan) throw new Error("unexpected help");
  assertOk(!plan.args.join(" ").includes(SECRET), plan.args.join(" "));
  assertOk(plan.args.includes("--port=9001"));
  assertOk(
    plan.args.some((a) => a.startsWith("--allow-net=db.test:5432")),
    "permissions still derived",
  );
  assertEquals(plan.env.DATABASE_URL, `postgres://svc:${SECRET}@db.test:5432/k`);
  assertEquals(plan.fromFlags, ["DATABASE_URL"]);
  const line = describeCommand(plan, plan.fromFlags ?? [], ["also-secret"]);
  assertOk(line.startsWith('DATABASE_URL="<hidden, 45 characters>" '), line);
  assertOk(!line.includes(SECRET));
});

Deno.test("a real child gets the secret in its environment, not in /proc/<pid>/cmdline", async () => {
  const plan = planLaunch(
    { command: childCommand, entry: "lib/launch/testing/secret_child.ts" },
    { args: [`--token=${TOKEN}`, "--label", "visible"], env: {} },
  );
  if ("help" in plan) throw new Error("unexpected help");
  const child = new Deno.Command(plan.program, {
    args: plan.args,
    env: plan.env,
    cwd: plan.cwd,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`child ended early: ${text}`);
      text += value;
    }
    const seen = JSON.parse(text);
    assertEquals(seen, { args: ["--label", "visible"], env: TOKEN });
    // `ps`, not /proc/<pid>/cmdline: Deno reads /proc only with --allow-all.
    const ps = await new Deno.Command("ps", {
      args: ["-ww", "-o", "args=", "-p", String(child.pid)],
    })
      .output();
    const cmdline = new TextDecoder().decode(ps.stdout);
    assertOk(cmdline.includes("secret_child.ts") && cmdline.includes("visible"), cmdline);
    assertOk(!cmdline.includes(TOKEN), "the token is not on the child's command line");
    await reader.cancel();
  } finally {
    await child.stdin.close();
    await child.status;
  }
});

Deno.test("launch --dry-run masks secrets given as flags or in the environment", async () => {
  const run = async (args: string[], env: Record<string, string>) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        `--config=${join(PROJECT_ROOT, "deno.json")}`,
        ...LAUNCH_FLAGS,
        join(PROJECT_ROOT, "lib/launch/main.ts"),
        "--dry-run",
        ...args,
      ],
      cwd: PROJECT_ROOT,
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
    }).output();
    return {
      code: out.code,
      text: new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr),
    };
  };
  const flag = await run(
    ["portal", `--portal-database-url=postgres://portal:${SECRET}@db.test:5432/k`],
    {
      DATABASE_URL: `postgres://svc:${SECRET}-env@db.test:5432/k`,
      PATH: Deno.env.get("PATH") ?? "",
    },
  );
  assertEquals(flag.code, 0, flag.text);
  assertOk(!flag.text.includes(SECRET), flag.text);
  assertOk(flag.text.includes('PORTAL_DATABASE_URL="<hidden,'), flag.text);
  assertOk(flag.text.includes("portal/main.ts"), flag.text);
  const bad = await run(["portal", "--portal-database-url", `mysql://u:${SECRET}@h/k`], {
    PATH: Deno.env.get("PATH") ?? "",
  });
  assertEquals(bad.code, 2);
  assertOk(!bad.text.includes(SECRET) && bad.text.includes("<hidden,"), bad.text);
});
