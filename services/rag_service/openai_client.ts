/**
 * A minimal client for OpenAI-compatible HTTP APIs (OpenAI, Azure OpenAI's v1 endpoint, vLLM,
 * Ollama): `POST {base}/chat/completions` and `POST {base}/embeddings`, answers validated with zod,
 * a timeout per request, errors as values with context.
 * @module
 */
import { z } from "zod";

/** Where and how to reach an endpoint. */
export interface OpenAiEndpoint {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`. */
  url: URL;
  /** Model name sent with every request. */
  model: string;
  /** API key: sent as `Authorization: Bearer` and as Azure's `api-key` header. */
  apiKey?: string;
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number;
  /** fetch to use (tests inject nothing: they run a local server). */
  fetch?: typeof fetch;
}

/** A non-2xx answer. */
export class OpenAiHttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** Path requested. */
  readonly endpoint: string;
  /** First 300 characters of the body. */
  readonly bodyExcerpt: string;
  /** Creates the error. */
  constructor(status: number, endpoint: string, bodyExcerpt: string) {
    super(`HTTP ${status} from ${endpoint}: ${bodyExcerpt}`);
    this.name = "OpenAiHttpError";
    this.status = status;
    this.endpoint = endpoint;
    this.bodyExcerpt = bodyExcerpt;
  }
  /** 408, 409, 429 and 5xx are worth retrying; other 4xx (bad key, bad model) are not. */
  get retryable(): boolean {
    return this.status === 408 || this.status === 409 || this.status === 429 || this.status >= 500;
  }
}

/** No answer within the timeout. */
export class OpenAiTimeoutError extends Error {
  /** Path requested. */
  readonly endpoint: string;
  /** The timeout that passed. */
  readonly timeoutMs: number;
  /** Creates the error. */
  constructor(endpoint: string, timeoutMs: number) {
    super(`no answer from ${endpoint} within ${timeoutMs} ms`);
    this.name = "OpenAiTimeoutError";
    this.endpoint = endpoint;
    this.timeoutMs = timeoutMs;
  }
}

/** A 2xx answer whose body does not have the documented shape. */
export class OpenAiResponseError extends Error {
  /** Path requested. */
  readonly endpoint: string;
  /** What was wrong. */
  readonly issue: string;
  /** Creates the error. */
  constructor(endpoint: string, issue: string) {
    super(`unexpected response from ${endpoint}: ${issue}`);
    this.name = "OpenAiResponseError";
    this.endpoint = endpoint;
    this.issue = issue;
  }
}

const Usage = z.object({
  prompt_tokens: z.number().int().nonnegative().optional(),
  completion_tokens: z.number().int().nonnegative().optional(),
  total_tokens: z.number().int().nonnegative().optional(),
}).passthrough();

const ChatResponse = z.object({
  choices: z.array(
    z.object({
      message: z.object({ content: z.string().nullable().optional() }).passthrough(),
      finish_reason: z.string().nullable().optional(),
    }).passthrough(),
  ).min(1),
  usage: Usage.nullable().optional(),
}).passthrough();

const EmbeddingsResponse = z.object({
  data: z.array(
    z.object({
      embedding: z.array(z.number()),
      index: z.number().int().nonnegative().optional(),
    }).passthrough(),
  ),
  usage: Usage.nullable().optional(),
}).passthrough();

/** Token counts of one call. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** One chat message. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The text of a chat completion and its token usage (estimated at 4 characters a token when absent). */
export interface ChatResult {
  content: string;
  usage: TokenUsage;
  /** Whether the server reported usage. */
  usageReported: boolean;
}

function joinUrl(base: URL, path: string): URL {
  const url = new URL(base.href);
  url.pathname = url.pathname.replace(/\/+$/, "") + path;
  return url;
}

async function postJson(
  endpoint: OpenAiEndpoint,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): Promise<unknown> {
  const timeoutMs = endpoint.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (endpoint.apiKey) {
    headers.authorization = `Bearer ${endpoint.apiKey}`;
    headers["api-key"] = endpoint.apiKey;
  }
  const doFetch = endpoint.fetch ?? fetch;
  let response: Response;
  let text: string;
  try {
    response = await doFetch(joinUrl(endpoint.url, path), {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      signal: combined,
    });
    text = await response.text();
  } catch (error) {
    if (timeout.aborted && !signal?.aborted) throw new OpenAiTimeoutError(path, timeoutMs);
    throw error;
  }
  if (!response.ok) throw new OpenAiHttpError(response.status, path, text.slice(0, 300));
  try {
    return JSON.parse(text);
  } catch {
    throw new OpenAiResponseError(path, `body is not JSON: ${text.slice(0, 120)}`);
  }
}

function usageOf(
  usage: z.infer<typeof Usage> | null | undefined,
  promptChars: number,
  completionChars: number,
): { usage: TokenUsage; reported: boolean } {
  const estimate = (chars: number) => Math.ceil(chars / 4);
  const prompt = usage?.prompt_tokens ?? estimate(promptChars);
  const completion = usage?.completion_tokens ?? estimate(completionChars);
  return {
    usage: {
      promptTokens: prompt,
      completionTokens: completion,
      totalTokens: usage?.total_tokens ?? prompt + completion,
    },
    reported: usage?.total_tokens !== undefined || usage?.prompt_tokens !== undefined,
  };
}

/** Options of {@linkcode chatCompletion}. */
export interface ChatOptions {
  /** Upper bound on the answer's tokens. */
  maxTokens: number;
  /** Ask for a JSON object (`response_format`); default true. */
  json?: boolean;
  /** Stops the request. */
  signal?: AbortSignal;
}

/** One chat completion at temperature 0. */
export async function chatCompletion(
  endpoint: OpenAiEndpoint,
  messages: readonly ChatMessage[],
  options: ChatOptions,
): Promise<ChatResult> {
  const body: Record<string, unknown> = {
    model: endpoint.model,
    messages,
    temperature: 0,
    max_tokens: options.maxTokens,
  };
  if (options.json ?? true) body.response_format = { type: "json_object" };
  const raw = await postJson(endpoint, "/chat/completions", body, options.signal);
  const parsed = ChatResponse.safeParse(raw);
  if (!parsed.success) {
    throw new OpenAiResponseError(
      "/chat/completions",
      parsed.error.issues[0]?.message ?? "invalid",
    );
  }
  const content = parsed.data.choices[0].message.content ?? "";
  const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
  const { usage, reported } = usageOf(parsed.data.usage, promptChars, content.length);
  return { content, usage, usageReported: reported };
}

/** Embeddings of `inputs`, in input order, each checked to have `dimensions` entries. */
export async function createEmbeddings(
  endpoint: OpenAiEndpoint,
  inputs: readonly string[],
  options: { dimensions: number; signal?: AbortSignal },
): Promise<number[][]> {
  const raw = await postJson(endpoint, "/embeddings", {
    model: endpoint.model,
    input: inputs,
  }, options.signal);
  const parsed = EmbeddingsResponse.safeParse(raw);
  if (!parsed.success) {
    throw new OpenAiResponseError("/embeddings", parsed.error.issues[0]?.message ?? "invalid");
  }
  const data = parsed.data.data;
  if (data.length !== inputs.length) {
    throw new OpenAiResponseError(
      "/embeddings",
      `${data.length} vectors for ${inputs.length} inputs`,
    );
  }
  const ordered = data.every((d) => d.index !== undefined)
    ? [...data].sort((a, b) => a.index! - b.index!)
    : data;
  return ordered.map((d, i) => {
    if (d.embedding.length !== options.dimensions) {
      throw new OpenAiResponseError(
        "/embeddings",
        `vector ${i} has ${d.embedding.length} dimensions, expected ${options.dimensions}`,
      );
    }
    return d.embedding;
  });
}
