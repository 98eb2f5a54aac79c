import { fileURLToPath } from "node:url";
import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { planLaunch, RUNNABLES } from "@kalshi-data/lib/launch";
import { createLogger } from "@kalshi-data/lib/log";
import { assertEquals, assertOk, assertRejects } from "../../lib/testing/assert.ts";
import {
  createHttpPredictor,
  createModulePredictor,
  CustomPredictorError,
  MAX_ANSWER_BYTES,
  type PredictorInput,
} from "./custom_predictor.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { scoreResolved } from "./prediction_store.ts";
import type { RetrievalContext } from "./retrieval.ts";
import { runOnce } from "./run.ts";
import { postgresRunner } from "./sql_runner.ts";
import { seedWorld } from "./testing/seed.ts";

const START = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;
const EXAMPLE = "docs/examples/rag_predictor.ts";
const EXAMPLE_PATH = fileURLToPath(new URL(`../../${EXAMPLE}`, import.meta.url));

/** A local endpoint answering with `answer(input)`; records what it was sent. */
function endpoint(answer: (input: PredictorInput) => Response | Promise<Response>) {
  const received: PredictorInput[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const input = await req.json() as PredictorInput;
    received.push(input);
    return answer(input);
  });
  const url = new URL(`http://127.0.0.1:${server.addr.port}/predict`);
  return { url, received, server };
}

const priceAnswer = (input: PredictorInput) =>
  Response.json({
    probability: Number(input.marketPrice?.dollars ?? "0.5"),
    rationale: `price of ${input.market.ticker}`,
    extra: "ignored",
  });

Deno.test("a module predictor and an HTTP predictor each produce stored, scored predictions", async () => {
  const http = endpoint(priceAnswer);
  try {
    await withTestDatabase(async ({ sql }) => {
      const db = postgresRunner(sql);
      await seedWorld(db, { markets: 120, start: START, open: 2 });
      const embedder = createHashingEmbedder();
      const custom = [
        await createModulePredictor(EXAMPLE_PATH, { timeoutMs: 30_000 }),
        createHttpPredictor(http.url, { timeoutMs: 30_000 }),
      ];
      const deps = {
        sql,
        db,
        embedder,
        predictors: () => custom,
        logger: createLogger("rag_test", { sink: () => {}, level: "error" }),
      };
      const asOf = new Date(START.getTime() + 150 * HOUR);
      const summary = await runOnce(deps, {
        asOf,
        k: 10,
        maxMarkets: 100,
        backend: "exact",
        efSearch: 100,
      });
      assertOk(summary.targets >= 20, `targets ${summary.targets}`);
      assertEquals([summary.written, summary.failed], [2 * summary.targets, 0]);
      assertEquals(http.received.length, summary.targets);
      const sent = http.received[0];
      assertEquals(sent.asOf, asOf.toISOString());
      assertEquals(sent.neighbors.length, 10);
      assertOk(sent.neighbors.every((n) => new Date(n.resolvedAt) < asOf));
      assertOk(sent.market.text.includes("Market:"));
      await scoreResolved(sql);
      const rows = await sql<
        { model: string; provider: string; n: number; scored: number; rationale: string }[]
      >`SELECT model, provider, count(*)::int AS n, count(brier_score)::int AS scored,
               min(rationale) AS rationale
        FROM predictions GROUP BY model, provider ORDER BY model`;
      assertEquals(rows.map((r) => [r.model, r.provider, r.n, r.scored]), [
        [`http:${http.url.host}/predict`, http.url.host, summary.targets, summary.targets],
        [`module:${EXAMPLE_PATH}`, "module", summary.targets, summary.targets],
      ]);
      assertOk(rows[0].rationale.startsWith("price of "), rows[0].rationale);
      assertOk(rows[1].rationale.includes("similar settled markets"), rows[1].rationale);
    });
  } finally {
    await http.server.shutdown();
  }
});

const CONTEXT: RetrievalContext = {
  asOf: new Date("2026-02-01T12:00:00Z"),
  target: {
    ticker: "KXRAIN-E1-M",
    text: "Market: Will it rain in Seattle on day 1?",
    openTime: null,
    closeTime: null,
  },
  neighbors: [],
  candles: [],
  lifecycle: [],
  marketPrice: null,
  documents: [],
};

Deno.test("an HTTP predictor rejects out-of-range, oversized, non-JSON, redirected and late answers", async () => {
  const never = Promise.withResolvers<Response>();
  const other = endpoint(priceAnswer); // another host (port): never sent the input
  const elsewhere = new URL(`http://localhost:${other.url.port}/predict`);
  const answers: (() => Response | Promise<Response>)[] = [
    () => Response.json({ probability: 1.5, rationale: "too sure" }),
    () => new Response("x".repeat(MAX_ANSWER_BYTES + 1)),
    () => new Response("not json"),
    () => Response.json({ probability: 0.4 }),
    () => new Response("overloaded", { status: 503 }),
    () => Response.redirect(elsewhere, 307),
    () => never.promise,
  ];
  const http = endpoint(() => answers.shift()!());
  const predictor = createHttpPredictor(http.url, { timeoutMs: 300 });
  const reasons: string[] = [];
  try {
    for (let i = 0; i < 7; i++) {
      const error = await assertRejects(() => predictor.predict(CONTEXT), CustomPredictorError);
      reasons.push(error.message);
    }
  } finally {
    never.resolve(new Response("late"));
    await http.server.shutdown();
    await other.server.shutdown();
  }
  assertEquals(other.received.length, 0);
  const expected = [
    "probability",
    `larger than ${MAX_ANSWER_BYTES} bytes`,
    "not JSON",
    "rationale",
    "HTTP 503",
    `HTTP 307 redirect to ${elsewhere}`,
    "no answer within 300 ms",
  ];
  expected.forEach((part, i) => assertOk(reasons[i].includes(part), reasons[i]));
  assertOk(reasons.every((r) => r.includes("KXRAIN-E1-M") && r.includes("http:127.0.0.1")));
});

Deno.test("a module predictor that throws something other than an Error says what it threw", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const thrown = ['"out of ideas"', "null", "{ code: 42 }"];
    const reasons: string[] = [];
    for (const [i, value] of thrown.entries()) {
      const path = `${dir}/throws_${i}.ts`;
      await Deno.writeTextFile(path, `export function predict() { throw ${value}; }\n`);
      const predictor = await createModulePredictor(path, { timeoutMs: 1000 });
      const error = await assertRejects(() => predictor.predict(CONTEXT), CustomPredictorError);
      reasons.push(error.message.slice(error.message.indexOf(": ") + 2));
    }
    assertEquals(reasons, ['threw "out of ideas"', "threw null", 'threw {"code":42}']);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a module without a predict function is refused with what to export", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/empty.ts`;
    await Deno.writeTextFile(path, "export const forecast = 1;\n");
    const error = await assertRejects(
      () => createModulePredictor(path, { timeoutMs: 1000 }),
      Error,
    );
    assertOk(error.message.includes("must export a function predict(input)"), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the launch step grants read access to the module and documents and net access to the endpoint's host only", async () => {
  const http = endpoint(priceAnswer);
  try {
    await withTestDatabase(async ({ sql, url }) => {
      await seedWorld(postgresRunner(sql), { markets: 60, start: START, open: 2 });
      const asOf = new Date(START.getTime() + 80 * HOUR);
      const docs = await Deno.makeTempDir();
      await Deno.writeTextFile(
        `${docs}/note.md`,
        `---\nknown_at: ${START.toISOString()}\n---\nRain.`,
      );
      const plan = planLaunch(RUNNABLES.rag_service, {
        args: [
          "--once",
          "--as-of",
          asOf.toISOString(),
          "--predictors",
          `module:${EXAMPLE},http:${http.url}`,
        ],
        env: { DATABASE_URL: url, LOG_LEVEL: "warn", RAG_DOCUMENTS_DIR: docs },
      });
      if ("help" in plan) throw new Error("unexpected help");
      assertOk(plan.args.includes(`--allow-read=${EXAMPLE},${docs}`), plan.args.join(" "));
      const net = plan.args.find((a) => a.startsWith("--allow-net="))!;
      assertEquals(
        net.split("=")[1].split(",").sort(),
        [
          `127.0.0.1:${http.url.port}`,
          new URL(url).host,
        ].sort(),
      );
      const child = await new Deno.Command(plan.program, {
        args: plan.args,
        cwd: plan.cwd,
        env: plan.env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
      await Deno.remove(docs, { recursive: true });
      assertEquals(child.code, 0, new TextDecoder().decode(child.stderr));
      const rows = await sql<{ model: string; n: number }[]>`SELECT model, count(*)::int AS n
        FROM predictions GROUP BY model ORDER BY model`;
      assertEquals(rows.map((r) => r.model), [
        `http:${http.url.host}/predict`,
        `module:${EXAMPLE}`,
      ]);
      assertOk(rows[0].n > 0 && rows[0].n === rows[1].n, JSON.stringify(rows));
      // The endpoint was sent the document, read under the child's narrow --allow-read.
      assertEquals(http.received[0].documents.map((d) => d.id), ["note.md"]);
    });
  } finally {
    await http.server.shutdown();
  }
});
