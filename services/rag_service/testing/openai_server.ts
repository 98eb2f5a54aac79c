/**
 * A local OpenAI-compatible `/v1/embeddings` server for tests: it answers each request from a
 * script (vectors, an HTTP status, a raw body, or no answer until closed) and records what it got.
 * @module
 */

/** One scripted answer. */
export type EmbeddingReply =
  /** 200 with one vector per input: `vectors` as given, or `auto` (see {@linkcode autoVector}). */
  | { vectors: number[][] | "auto"; shuffle?: boolean }
  /** This status with a short text body. */
  | { status: number }
  /** 200 with this body verbatim. */
  | { body: string }
  /** No answer until the server closes (the client's timeout or abort must give up first). */
  | { hang: true };

/** A recorded request. */
export interface RecordedRequest {
  path: string;
  authorization: string | null;
  body: { model?: string; input?: string[] } & Record<string, unknown>;
}

/** A running server. */
export interface EmbeddingServer {
  /** Base URL, e.g. `http://127.0.0.1:41234/v1`. */
  url: URL;
  /** Requests so far. */
  requests: RecordedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  /** Releases hanging requests and stops the server. */
  close(): Promise<void>;
}

/** The deterministic `auto` vector of `text`: its first `dimensions` character codes plus one. */
export function autoVector(text: string, dimensions: number): number[] {
  return Array.from({ length: dimensions }, (_, i) => (text.charCodeAt(i) || 0) + 1);
}

/** Starts a server answering request n with `script[n]` (the last entry repeats). */
export function startEmbeddingServer(
  script: EmbeddingReply[],
  options: { dimensions: number },
): EmbeddingServer {
  const requests: RecordedRequest[] = [];
  const released = Promise.withResolvers<void>();
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (request) => {
    const body = await request.json().catch(() => ({}));
    requests.push({
      path: new URL(request.url).pathname,
      authorization: request.headers.get("authorization"),
      body,
    });
    for (const w of waiters.filter((w) => requests.length >= w.count)) w.resolve();
    const reply = script[Math.min(requests.length - 1, script.length - 1)];
    if ("hang" in reply) {
      await released.promise;
      return new Response(null, { status: 499 });
    }
    if ("status" in reply) return new Response("upstream trouble", { status: reply.status });
    if ("body" in reply) {
      return new Response(reply.body, { headers: { "content-type": "application/json" } });
    }
    const inputs = (body.input ?? []) as string[];
    const vectors = reply.vectors === "auto"
      ? inputs.map((t) => autoVector(t, options.dimensions))
      : reply.vectors;
    const data = vectors.map((embedding, index) => ({ object: "embedding", index, embedding }));
    if (reply.shuffle) data.reverse();
    return Response.json({
      object: "list",
      model: body.model,
      data,
      usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
    });
  });
  return {
    url: new URL(`http://127.0.0.1:${server.addr.port}/v1`),
    requests,
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      const { promise, resolve } = Promise.withResolvers<void>();
      waiters.push({ count, resolve });
      return promise;
    },
    close() {
      released.resolve();
      return server.shutdown();
    },
  };
}
