import { assertEquals, assertOk, assertRejects } from "../../lib/testing/assert.ts";
import {
  buildPrompt,
  createLlmBudget,
  createLlmPredictor,
  LlmBudgetExhaustedError,
  LlmPredictionError,
  readPromptFile,
} from "./llm_predictor.ts";
import { OpenAiHttpError } from "./openai_client.ts";
import type { RetrievalContext } from "./retrieval.ts";

const CONTEXT: RetrievalContext = {
  asOf: new Date("2026-02-01T12:00:00Z"),
  target: {
    ticker: "KXRAIN-E1-M",
    text: "Series: Rain in Seattle\nMarket: Will it rain in Seattle on day 1?",
    openTime: new Date("2026-02-01T00:00:00Z"),
    closeTime: new Date("2026-02-03T00:00:00Z"),
  },
  neighbors: [{
    ticker: "KXRAIN-E0-M",
    title: "Will it rain in Seattle on day 0?",
    similarity: 0.91,
    outcome: "1",
    finalPrice: "0.9700",
    resolvedAt: new Date("2026-01-31T00:00:00Z"),
  }],
  candles: [{
    endPeriodTs: new Date("2026-02-01T11:00:00Z"),
    periodMinutes: 60,
    yesBidClose: "0.7000",
    yesAskClose: "0.7200",
    priceClose: "0.7100",
    volume: "12.00",
  }],
  lifecycle: [{ eventType: "created", at: new Date("2026-02-01T00:00:00Z") }],
  marketPrice: {
    units: 7100,
    dollars: "0.7100",
    at: new Date("2026-02-01T11:00:00Z"),
    source: "candle",
  },
  documents: [],
};

type Reply = { content?: string; status?: number; hang?: true };

/** A local OpenAI-compatible chat server answering from a script, one reply per request. */
function startServer(script: Reply[]) {
  const requests: { body: Record<string, unknown>; auth: string | null }[] = [];
  const released = Promise.withResolvers<void>();
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    const body = await request.json();
    requests.push({ body, auth: request.headers.get("authorization") });
    const reply = script[Math.min(requests.length - 1, script.length - 1)];
    if (reply.hang) {
      // Never answers while the client waits: its timeout must give up first.
      await released.promise;
      return new Response(null, { status: 499 });
    }
    if (reply.status) return new Response("upstream trouble", { status: reply.status });
    return Response.json({
      id: "x",
      object: "chat.completion",
      choices: [{
        index: 0,
        message: { role: "assistant", content: reply.content },
        finish_reason: "stop",
      }],
      usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
    });
  });
  const url = new URL(`http://127.0.0.1:${server.addr.port}/v1`);
  return {
    url,
    requests,
    close: () => {
      released.resolve();
      return server.shutdown();
    },
  };
}

const GOOD =
  '{"probability": 0.82, "rationale": "Similar markets resolved yes and the price is 0.71."}';

function predictor(url: URL, limits = { maxCalls: 10, maxTokens: 10_000 }) {
  const budget = createLlmBudget(limits);
  return {
    budget,
    predictor: createLlmPredictor({ url, model: "test-model", apiKey: "sk-test", timeoutMs: 200 }, {
      budget,
      maxAttempts: 3,
    }),
  };
}

Deno.test("the LLM predictor returns a validated answer with the prompt hash and usage", async () => {
  const server = startServer([{ content: "```json\n" + GOOD + "\n```" }]);
  try {
    const { predictor: p, budget } = predictor(server.url);
    const prediction = await p.predict(CONTEXT);
    assertEquals(prediction.probability, 0.82);
    assertOk(prediction.rationale.startsWith("Similar markets"));
    assertOk(/^[0-9a-f]{64}$/.test(prediction.promptSha256));
    assertEquals(prediction.details.attempts, 1);
    assertEquals([budget.calls, budget.tokens], [1, 120]);
    assertEquals(p.model, "rag-llm:test-model");
    const request = server.requests[0];
    assertEquals(request.auth, "Bearer sk-test");
    assertEquals(request.body.model, "test-model");
    assertEquals(request.body.response_format, { type: "json_object" });
    const user = (request.body.messages as { content: string }[])[1].content;
    assertOk(user.includes("KXRAIN-E0-M") === false && user.includes("day 0"), "neighbor titles");
    assertOk(user.includes("0.7100") && user.includes("2026-02-01T12:00:00.000Z"));
    // Same context, same prompt, same hash.
    const again = await p.predict(CONTEXT);
    assertEquals(again.promptSha256, prediction.promptSha256);
    assertEquals(buildPrompt(CONTEXT), buildPrompt(CONTEXT));
  } finally {
    await server.close();
  }
});

Deno.test("malformed JSON and out-of-range probabilities are retried with a correction", async () => {
  const server = startServer([
    { content: "I think it is likely {probability: high" },
    { content: '{"probability": 1.7, "rationale": "very sure"}' },
    { content: GOOD },
  ]);
  try {
    const { predictor: p, budget } = predictor(server.url);
    const prediction = await p.predict(CONTEXT);
    assertEquals(prediction.probability, 0.82);
    assertEquals(prediction.details.attempts, 3);
    const failures = prediction.details.failures as string[];
    assertOk(
      failures[0].includes("malformed JSON") || failures[0].includes("no JSON"),
      failures[0],
    );
    assertOk(failures[1].includes("probability"), failures[1]);
    assertEquals(budget.calls, 3);
    // The retry carries the bad reply and the correction.
    const last = server.requests[2].body.messages as { role: string; content: string }[];
    assertEquals(last.length, 6);
    assertOk(last[5].content.includes("not valid"));
  } finally {
    await server.close();
  }
});

Deno.test("a timeout and a 503 are retried; a prediction fails after the last malformed attempt", async () => {
  const server = startServer([{ hang: true }, { status: 503 }, { content: GOOD }]);
  try {
    const { predictor: p } = predictor(server.url);
    const prediction = await p.predict(CONTEXT);
    const failures = prediction.details.failures as string[];
    assertOk(failures[0].includes("within 200 ms"), failures[0]);
    assertOk(failures[1].includes("HTTP 503"), failures[1]);
  } finally {
    await server.close();
  }
  const bad = startServer([{ content: '{"probability": -0.2, "rationale": "x"}' }]);
  try {
    const { predictor: p } = predictor(bad.url);
    const error = await assertRejects(() => p.predict(CONTEXT), LlmPredictionError);
    assertEquals(error.attempts, 3);
  } finally {
    await bad.close();
  }
});

Deno.test("per-run call and token limits stop further calls; a 401 is not retried", async () => {
  const server = startServer([{ content: "nope" }]);
  try {
    const { predictor: p, budget } = predictor(server.url, { maxCalls: 2, maxTokens: 10_000 });
    await assertRejects(() => p.predict(CONTEXT), LlmBudgetExhaustedError);
    assertEquals(budget.calls, 2);
    assertEquals(server.requests.length, 2);
    const tokens = predictor(server.url, { maxCalls: 100, maxTokens: 200 });
    const error = await assertRejects(
      () => tokens.predictor.predict(CONTEXT),
      LlmBudgetExhaustedError,
    );
    assertEquals(error.limit, "tokens");
    assertEquals(tokens.budget.tokens, 240);
  } finally {
    await server.close();
  }
  const denied = startServer([{ status: 401 }]);
  try {
    const { predictor: p } = predictor(denied.url);
    const error = await assertRejects(() => p.predict(CONTEXT), OpenAiHttpError);
    assertEquals(error.status, 401);
    assertEquals(denied.requests.length, 1);
  } finally {
    await denied.close();
  }
});

Deno.test("RAG_PROMPT_FILE's instructions replace the system message sent to the endpoint", async () => {
  const dir = await Deno.makeTempDir();
  const server = startServer([{ content: GOOD }]);
  try {
    await Deno.writeTextFile(`${dir}/prompt.txt`, "  Be a cautious forecaster. Answer JSON.\n");
    await Deno.writeTextFile(`${dir}/empty.txt`, "\n");
    const instructions = await readPromptFile(`${dir}/prompt.txt`);
    const error = await assertRejects(() => readPromptFile(`${dir}/empty.txt`), Error);
    assertOk(error.message.includes("empty.txt has 0 characters"), error.message);
    const budget = createLlmBudget({ maxCalls: 10, maxTokens: 10_000 });
    const endpoint = { url: server.url, model: "test-model", timeoutMs: 5000 };
    const custom = createLlmPredictor(endpoint, { budget, instructions });
    const built = createLlmPredictor(endpoint, { budget });
    const a = await custom.predict(CONTEXT);
    const messages = server.requests[0].body.messages as { role: string; content: string }[];
    assertEquals(messages[0], {
      role: "system",
      content: "Be a cautious forecaster. Answer JSON.",
    });
    assertEquals(messages[1].content, buildPrompt(CONTEXT)[1].content);
    assertOk(a.promptSha256 !== (await built.predict(CONTEXT)).promptSha256, "the hash covers it");
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});
