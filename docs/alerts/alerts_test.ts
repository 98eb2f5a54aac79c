/**
 * The Prometheus alert rules (kalshi_rules.yml): promtool accepts them, and their unit tests
 * (kalshi_rules_test.yml) pass — every alert fires on a bad series and clears afterwards. A drift
 * check keeps every metric the rules use registered by the services (lib/ and services/).
 * promtool comes with Debian's `prometheus` package (`PROMTOOL` names another binary); without it
 * the promtool tests are skipped, or fail under KALSHI_STRICT_TESTS=1.
 */
import { join } from "node:path";
import { PROJECT_ROOT } from "@kalshi-data/lib/launch";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../../lib/testing/requirements.ts";

const ALERTS_DIR = join(PROJECT_ROOT, "docs", "alerts");
const RULES = join(ALERTS_DIR, "kalshi_rules.yml");
const RULES_TEST = join(ALERTS_DIR, "kalshi_rules_test.yml");
const rulesText = Deno.readTextFileSync(RULES);
const rulesTestText = Deno.readTextFileSync(RULES_TEST);

/** `PROMTOOL` when set, else promtool on PATH, else where Debian puts it. */
function promtoolPath(): string {
  const chosen = Deno.env.get("PROMTOOL");
  if (chosen) return chosen;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").filter(Boolean)) {
    const path = join(dir, "promtool");
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not here
    }
  }
  return "/usr/bin/promtool";
}

const promtool = promtoolPath();
const requirement = await fileRequirement("promtool (Debian package prometheus)", promtool);

async function runPromtool(args: string[], cwd = ALERTS_DIR) {
  const out = await new Deno.Command(promtool, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  return { code: out.code, text };
}

const PROMQL_WORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/** Metric names in a PromQL expression: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // string literals
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // ranges and subqueries
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\boffset\s+-?\w+/g, " ");
  const names = new Set<string>();
  for (const m of bare.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    if (m[2] || PROMQL_WORDS.has(m[1].toLowerCase())) continue;
    names.add(m[1]);
  }
  return [...names].sort();
}

/** Every `expr:` of a rules file (single-line or a block scalar). */
function expressions(yaml: string): string[] {
  const lines = yaml.split("\n");
  const found: string[] = [];
  lines.forEach((line, i) => {
    const m = line.match(/^(\s*)(?:- )?expr:\s*(.*)$/);
    if (!m) return;
    if (!/^[>|]/.test(m[2])) {
      found.push(m[2].replace(/^(["'])(.*)\1$/, "$2"));
      return;
    }
    const body: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const indent = lines[j].match(/^\s*/)![0].length;
      if (lines[j].trim() && indent <= m[1].length) break;
      body.push(lines[j].trim());
    }
    found.push(body.join(" "));
  });
  return found;
}

/** PromQL queries inside annotation templates: `query "…"` or `query (printf "…" …)`. */
function templateQueries(yaml: string): string[] {
  return [...yaml.matchAll(/query\s+\(?\s*(?:printf\s+)?"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    m[1].replace(/\\"/g, '"')
  );
}

/** Alert names in rule order. */
function alertNames(yaml: string): string[] {
  return [...yaml.matchAll(/^\s*- alert:\s*(\S+)/gm)].map((m) => m[1]);
}

/** Minutes of a promtool duration like `90m`, `2h`, `30s`. */
function minutes(duration: string): number {
  let total = 0;
  for (const [, n, unit] of duration.matchAll(/(\d+)([hms])/g)) {
    total += Number(n) * { h: 60, m: 1, s: 1 / 60 }[unit as "h" | "m" | "s"];
  }
  return total;
}

function* sourceFiles(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) {
      if (!["node_modules", "testdata", "testing"].includes(entry.name)) yield* sourceFiles(path);
    } else if (/\.tsx?$/.test(entry.name) && !/(_test|_bench|^testing)\.tsx?$/.test(entry.name)) {
      yield path;
    }
  }
}

Deno.test("metricNames finds metrics, not functions, keywords or labels", () => {
  assertEquals(
    metricNames(
      'sum by (job) (rate(x_total{a="b"}[5m])) > on(job) group_left(c) y offset 5m ' +
        "and time() - z_seconds > 1e3 unless bool_metric",
    ),
    ["bool_metric", "x_total", "y", "z_seconds"],
  );
});

Deno.test("the rules have the alerts the README promises, each with for, severity and annotations", () => {
  const names = alertNames(rulesText);
  for (
    const name of [
      "ServiceDown",
      "ServiceNotReady",
      "WsDisconnected",
      "WsSilent",
      "WsSpoolGrowing",
      "DiscoveryStale",
      "BackfillBacklog",
      "BackfillDeadJobs",
    ]
  ) {
    assertOk(names.includes(name), `${name} is missing from docs/alerts/kalshi_rules.yml`);
  }
  const blocks = rulesText.split(/^\s*- alert:/m).slice(1);
  assertEquals(blocks.length, names.length);
  blocks.forEach((block, i) => {
    for (const field of [/\n\s+for: \d+[smh]/, /\n\s+severity: (critical|warning)/, /summary:/]) {
      assertOk(field.test(block), `${names[i]} lacks ${field}`);
    }
    assertOk(/description:/.test(block), `${names[i]} lacks a description`);
    assertOk(block.includes("deno task status"), `${names[i]}: point at deno task status`);
    assertOk(block.includes("/readyz"), `${names[i]}: point at the service's /readyz`);
  });
  const readme = Deno.readTextFileSync(join(PROJECT_ROOT, "README.md"));
  assertOk(
    readme.includes("docs/alerts/kalshi_rules.yml"),
    "README.md does not point at the rules",
  );
});

Deno.test("every alert has a promtool case where it fires and a later one where it has cleared", () => {
  // kalshi_rules_test.yml writes a firing case as a block (`- eval_time: T` / `alertname: A` /
  // `exp_alerts:` with `exp_labels`) and a quiet one on one line (`{ …, exp_alerts: [] }`).
  const fired = new Map<string, number[]>();
  const quiet = new Map<string, number[]>();
  const add = (map: Map<string, number[]>, name: string, at: string) =>
    map.set(name, [...(map.get(name) ?? []), minutes(at)]);
  for (
    const m of rulesTestText.matchAll(
      /- eval_time: (\w+)\s*\n\s*alertname: (\w+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels:/g,
    )
  ) add(fired, m[2], m[1]);
  for (
    const m of rulesTestText.matchAll(
      /\{ eval_time: (\w+), alertname: (\w+), exp_alerts: \[\] \}/g,
    )
  ) add(quiet, m[2], m[1]);
  for (const name of alertNames(rulesText)) {
    const fires = fired.get(name) ?? [];
    assertOk(fires.length > 0, `kalshi_rules_test.yml never makes ${name} fire`);
    const clears = (quiet.get(name) ?? []).filter((t) => t > Math.min(...fires));
    assertOk(clears.length > 0, `kalshi_rules_test.yml never shows ${name} cleared after firing`);
  }
});

/** Rule thresholds (seconds) that mirror a readiness setting's default (seconds). */
const MIRRORED: { alert: string; threshold: RegExp; env: string }[] = [
  {
    alert: "WsSilent",
    threshold: /time\(\) - ws_last_frame_timestamp_seconds > (\d+)/,
    env: "WS_READY_MAX_SILENCE_SECONDS",
  },
  {
    alert: "WsSpoolGrowing",
    threshold: /ws_spool_growing_seconds > (\d+)/,
    env: "WS_READY_MAX_SPOOL_GROWING_SECONDS",
  },
  {
    alert: "DiscoveryStale",
    threshold: /time\(\) - rest_last_successful_pass_timestamp_seconds > (\d+)/,
    env: "REST_READY_MAX_PASS_AGE_SECONDS",
  },
  {
    alert: "BackfillBacklog",
    threshold: /backfill_oldest_due_job_age_seconds > (\d+)/,
    env: "WORKER_READY_MAX_DUE_AGE_SECONDS",
  },
];

Deno.test("the thresholds equal the defaults of the readiness settings they mirror", () => {
  const commands = join(PROJECT_ROOT, "lib", "commands");
  const settings = [...Deno.readDirSync(commands)]
    .filter((e) => e.isFile && e.name.endsWith(".ts") && !e.name.endsWith("_test.ts"))
    .map((e) => Deno.readTextFileSync(join(commands, e.name)))
    .join("\n");
  const drift: string[] = [];
  for (const { alert, threshold, env } of MIRRORED) {
    const rule = rulesText.match(threshold);
    const setting = settings.match(
      new RegExp(`env: "${env}",(?:(?!\\}\\),)[\\s\\S])*?default: "(\\d+)"`),
    );
    if (!rule || !setting) {
      drift.push(
        `${alert}: ${rule ? "" : "threshold"} ${setting ? "" : `default of ${env}`} not found`,
      );
    } else if (rule[1] !== setting[1]) {
      drift.push(`${alert}: rule says ${rule[1]} s, ${env} defaults to ${setting[1]}`);
    }
  }
  const window = settings.match(
    /env: "WORKER_READY_DEAD_WINDOW_MINUTES",(?:(?!\}\),)[\s\S])*?default: "(\d+)"/,
  );
  if (window?.[1] !== "60") drift.push(`WORKER_READY_DEAD_WINDOW_MINUTES default is not 60`);
  assertEquals(drift, [], "docs/alerts/kalshi_rules.yml no longer mirrors the readiness settings");
});

Deno.test(testRequiring(requirement, "promtool check rules accepts the rules", async () => {
  const { code, text } = await runPromtool(["check", "rules", RULES]);
  assertEquals(code, 0, text);
  assertOk(text.includes(`SUCCESS: ${alertNames(rulesText).length} rules found`), text);
}));

Deno.test(
  testRequiring(requirement, "promtool test rules: each alert fires and clears", async () => {
    const { code, text } = await runPromtool(["test", "rules", RULES_TEST]);
    assertEquals(code, 0, text);
    assertOk(text.includes("SUCCESS"), text);
  }),
);

Deno.test(
  testRequiring(
    requirement,
    "the README's scrape config is valid and loads the rules",
    async () => {
      const readme = Deno.readTextFileSync(join(PROJECT_ROOT, "README.md"));
      const block = readme.match(/```yaml\n# prometheus\.yml\n([\s\S]*?)```/);
      assertOk(block, 'README.md has no "# prometheus.yml" yaml block');
      const dir = await Deno.makeTempDir({ prefix: "kalshi-prometheus-" });
      try {
        const config = block[1].replaceAll("/path/to/kalshi-data", PROJECT_ROOT.replace(/\/$/, ""));
        await Deno.writeTextFile(join(dir, "prometheus.yml"), config);
        const { code, text } = await runPromtool(["check", "config", "prometheus.yml"], dir);
        assertEquals(code, 0, text);
        assertOk(text.includes("SUCCESS: 1 rule files found"), text);
        for (const job of ["rest_service", "worker_service", "ws_service", "rag_service"]) {
          assertOk(config.includes(`job_name: ${job},`), `the README does not scrape ${job}`);
        }
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  ),
);

Deno.test(
  testRequiring(requirement, "promtool test rules fails when a threshold drifts", async () => {
    const dir = await Deno.makeTempDir({ prefix: "kalshi-alerts-" });
    try {
      const drifted = rulesText.replace(
        "ws_spool_growing_seconds > 600",
        "ws_spool_growing_seconds > 6000",
      );
      assertOk(drifted !== rulesText, "the WsSpoolGrowing expression changed; update this test");
      await Deno.writeTextFile(join(dir, "kalshi_rules.yml"), drifted);
      await Deno.writeTextFile(join(dir, "kalshi_rules_test.yml"), rulesTestText);
      const { code, text } = await runPromtool(["test", "rules", "kalshi_rules_test.yml"], dir);
      assertOk(code !== 0, `promtool passed drifted rules:\n${text}`);
      assertOk(text.includes("WsSpoolGrowing"), text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }),
);

Deno.test("every metric the rules use is registered by a service (lib/, services/)", () => {
  const used = new Set<string>();
  for (const expr of [...expressions(rulesText), ...templateQueries(rulesText)]) {
    for (const name of metricNames(expr)) used.add(name);
  }
  used.delete("up"); // Prometheus' own
  assertOk(used.size >= 10, `found only ${[...used]} in the rules; is the parser broken?`);
  const sources = ["lib", "services"].flatMap((top) => [...sourceFiles(join(PROJECT_ROOT, top))]);
  const texts = sources.map((file) => Deno.readTextFileSync(file));
  const missing = [...used].sort().filter((name) => !texts.some((t) => t.includes(`"${name}"`)));
  assertEquals(
    missing,
    [],
    `metrics used by docs/alerts/kalshi_rules.yml but registered nowhere in ${sources.length} non-test files of lib/ and services/ (renamed? removed?): ${
      missing.join(", ")
    }`,
  );
});
