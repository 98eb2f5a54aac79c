import { assertEquals, assertOk, assertRejects } from "../../lib/testing/assert.ts";
import { OpenAiHttpError, OpenAiResponseError, OpenAiTimeoutError } from "./openai_client.ts";
import { createOpenAiEmbedder, type OpenAiEmbedderOptions } from "./openai_embedder.ts";
import {
  autoVector,
  type EmbeddingReply,
  type EmbeddingServer,
  startEmbeddingServer,
} from "./testing/openai_server.ts";

const DIMENSIONS = 4;
const TEXTS = ["alpha", "bravo", "charlie", "delta", "echo"];

async function withServer(
  script: EmbeddingReply[],
  fn: (server: EmbeddingServer) => Promise<void>,
): Promise<void> {
  const server = startEmbeddingServer(script, { dimensions: DIMENSIONS });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

/** An embedder whose waits between attempts are recorded, not slept. */
function embedder(url: URL, options: Partial<OpenAiEmbedderOptions> = {}, timeoutMs = 200) {
  const delays: number[] = [];
  const provider = createOpenAiEmbedder(
    { url, model: "test-embed", apiKey: "sk-embed", timeoutMs },
    {
      dimensions: DIMENSIONS,
      sleep: (ms) => (delays.push(ms), Promise.resolve()),
      ...options,
    },
  );
  return { provider, delays };
}

function unit(values: number[]): number[] {
  const norm = Math.hypot(...values);
  return values.map((v) => Math.fround(v / norm));
}

Deno.test("a good response yields unit vectors in input order, batched, with the key and model sent", async () => {
  await withServer([{ vectors: "auto", shuffle: true }], async (server) => {
    const { provider, delays } = embedder(server.url, { batchSize: 2 });
    assertEquals([provider.model, provider.dimensions], ["openai:test-embed", DIMENSIONS]);
    const vectors = await provider.embed(TEXTS);
    // The server lists each batch's vectors in reverse; `index` puts them back in input order.
    assertEquals(vectors.map((v) => Array.from(v)), TEXTS.map((t) => unit(autoVector(t, 4))));
    assertEquals(server.requests.map((r) => r.body.input), [
      ["alpha", "bravo"],
      ["charlie", "delta"],
      ["echo"],
    ]);
    for (const r of server.requests) {
      assertEquals(r.path, "/v1/embeddings");
      assertEquals(r.authorization, "Bearer sk-embed");
      assertEquals(r.body.model, "test-embed");
    }
    assertEquals(delays, []);
  });
});

Deno.test("a malformed body fails at once with the endpoint named, without a retry", async () => {
  const malformed: [string, string][] = [
    ["<html>502 Bad Gateway</html>", "body is not JSON"],
    ['{"data": [{"embedding": "not numbers"}]}', "expected"],
    ['{"data": [{"index": 0, "embedding": [1, 2, 3]}]}', "3 dimensions, expected 4"],
    ['{"data": []}', "0 vectors for 1 inputs"],
  ];
  for (const [body, issue] of malformed) {
    await withServer([{ body }, { vectors: "auto" }], async (server) => {
      const { provider, delays } = embedder(server.url);
      const error = await assertRejects(() => provider.embed(["alpha"]), OpenAiResponseError);
      assertEquals(error.endpoint, "/embeddings");
      assertOk(error.issue.includes(issue), `${error.issue} lacks ${issue}`);
      assertEquals([server.requests.length, delays.length], [1, 0]);
    });
  }
});

Deno.test("5xx and 429 answers are retried with doubling backoff until a success", async () => {
  await withServer([{ status: 503 }, { status: 429 }, { vectors: "auto" }], async (server) => {
    const { provider, delays } = embedder(server.url, { maxAttempts: 3, retryDelayMs: 100 });
    const [vector] = await provider.embed(["alpha"]);
    assertEquals(Array.from(vector), unit(autoVector("alpha", 4)));
    assertEquals(server.requests.length, 3);
    assertEquals(delays, [100, 200]);
  });
});

Deno.test("a 5xx on every attempt, or a 4xx once, ends in an HTTP error with status and body", async () => {
  await withServer([{ status: 500 }], async (server) => {
    const { provider, delays } = embedder(server.url, { maxAttempts: 3 });
    const error = await assertRejects(() => provider.embed(["alpha"]), OpenAiHttpError);
    assertEquals([error.status, error.endpoint, error.bodyExcerpt], [
      500,
      "/embeddings",
      "upstream trouble",
    ]);
    assertEquals([server.requests.length, delays.length], [3, 2]);
  });
  await withServer([{ status: 401 }, { vectors: "auto" }], async (server) => {
    const { provider } = embedder(server.url);
    const error = await assertRejects(() => provider.embed(["alpha"]), OpenAiHttpError);
    assertEquals(error.status, 401);
    assertEquals(server.requests.length, 1);
  });
});

Deno.test("a request without an answer times out and is retried; every attempt timing out fails", async () => {
  await withServer([{ hang: true }, { vectors: "auto" }], async (server) => {
    const { provider, delays } = embedder(server.url);
    const [vector] = await provider.embed(["alpha"]);
    assertEquals(Array.from(vector), unit(autoVector("alpha", 4)));
    assertEquals([server.requests.length, delays.length], [2, 1]);
  });
  await withServer([{ hang: true }], async (server) => {
    const { provider } = embedder(server.url, { maxAttempts: 2 });
    const error = await assertRejects(() => provider.embed(["alpha"]), OpenAiTimeoutError);
    assertEquals([error.endpoint, error.timeoutMs], ["/embeddings", 200]);
    assertEquals(server.requests.length, 2);
  });
});

Deno.test("an abort during a request stops at once: no retry, the abort reason is thrown", async () => {
  await withServer([{ hang: true }], async (server) => {
    // A timeout far beyond the test's life: only the abort can end the request.
    const { provider, delays } = embedder(server.url, { maxAttempts: 5 }, 600_000);
    const controller = new AbortController();
    const pending = provider.embed(["alpha"], { signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort(new Error("service stopping: SIGTERM"));
    const error = await assertRejects(() => pending, Error);
    assertEquals(error.message, "service stopping: SIGTERM");
    assertEquals([server.requests.length, delays.length], [1, 0]);
  });
});
