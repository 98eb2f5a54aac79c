/**
 * The LLM predictor: the retrieved context as a prompt to any OpenAI-compatible chat endpoint, a
 * JSON answer validated with zod ({ probability in [0, 1], short rationale }), retries on malformed
 * or out-of-range answers, timeouts and retryable HTTP errors, and per-run limits on calls and
 * tokens shared by every prediction of the run.
 * @module
 */
import { z } from "zod";
import { sha256Hex } from "./documents.ts";
import {
  chatCompletion,
  type ChatMessage,
  type OpenAiEndpoint,
  OpenAiHttpError,
  OpenAiResponseError,
  OpenAiTimeoutError,
} from "./openai_client.ts";
import { canonicalJson, type Predictor } from "./predictor.ts";
import type { RetrievalContext } from "./retrieval.ts";

/** The answer the model must give. */
export const LlmAnswer = z.object({
  probability: z.number().min(0).max(1),
  rationale: z.string().trim().min(1).max(1000),
}).passthrough();

/** Per-run limits on calls and tokens. */
export interface LlmBudget {
  readonly maxCalls: number;
  readonly maxTokens: number;
  calls: number;
  tokens: number;
}

/** A fresh budget for one run. */
export function createLlmBudget(limits: { maxCalls: number; maxTokens: number }): LlmBudget {
  return { ...limits, calls: 0, tokens: 0 };
}

/** The run's call or token limit is used up: no further LLM prediction this run. */
export class LlmBudgetExhaustedError extends Error {
  /** Which limit. */
  readonly limit: "calls" | "tokens";
  /** Creates the error. */
  constructor(limit: "calls" | "tokens", budget: LlmBudget) {
    super(
      `LLM ${limit} limit reached (${budget.calls}/${budget.maxCalls} calls, ` +
        `${budget.tokens}/${budget.maxTokens} tokens)`,
    );
    this.name = "LlmBudgetExhaustedError";
    this.limit = limit;
  }
}

/** No valid answer after every attempt. */
export class LlmPredictionError extends Error {
  /** Attempts made. */
  readonly attempts: number;
  /** Why each attempt failed. */
  readonly failures: string[];
  /** Creates the error. */
  constructor(ticker: string, failures: string[]) {
    super(
      `no valid answer for ${ticker} after ${failures.length} attempts: ${failures.join("; ")}`,
    );
    this.name = "LlmPredictionError";
    this.attempts = failures.length;
    this.failures = failures;
  }
}

const SYSTEM = "You forecast binary prediction markets on Kalshi. Use only the context given; " +
  "it contains nothing dated after the forecast time. Reply with one JSON object and nothing " +
  'else: {"probability": <probability that the market resolves Yes, a number from 0 to 1>, ' +
  '"rationale": "<at most two sentences>"}';

/** Most characters of a prompt file (`RAG_PROMPT_FILE`). */
export const MAX_INSTRUCTIONS_CHARS = 20_000;

/**
 * Reads `RAG_PROMPT_FILE`: the instructions that replace the built-in system message (the
 * retrieved context follows them as the user message); throws when empty or too long.
 */
export async function readPromptFile(path: string): Promise<string> {
  const text = (await Deno.readTextFile(path)).trim();
  if (text.length === 0 || text.length > MAX_INSTRUCTIONS_CHARS) {
    throw new Error(
      `RAG_PROMPT_FILE ${path} has ${text.length} characters; expected 1 to ` +
        `${MAX_INSTRUCTIONS_CHARS} characters of instructions asking for ` +
        '{"probability", "rationale"} JSON',
    );
  }
  return text;
}

function documentLines(context: RetrievalContext): string[] {
  if (context.documents.length === 0) return [];
  return [
    "",
    "Your documents known at the forecast time (similarity, known at, title, excerpt):",
    ...context.documents.map((d) =>
      `${d.similarity.toFixed(3)} ${d.knownAt.toISOString()} ${d.title ?? d.id}: ` +
      d.text.slice(0, 1000).replace(/\s+/g, " ")
    ),
  ];
}

/**
 * The chat messages for a context (deterministic: same context, same prompt, same hash);
 * `instructions` replace the built-in system message.
 */
export function buildPrompt(context: RetrievalContext, instructions = SYSTEM): ChatMessage[] {
  const lines = [
    `Forecast time (as of): ${context.asOf.toISOString()}`,
    `Market ${context.target.ticker}:`,
    context.target.text,
    `Opened: ${context.target.openTime?.toISOString() ?? "unknown"}; ` +
    `scheduled close: ${context.target.closeTime?.toISOString() ?? "unknown"}`,
    context.marketPrice
      ? `Yes price at the forecast time: ${context.marketPrice.dollars} dollars ` +
        `(${context.marketPrice.source} at ${context.marketPrice.at.toISOString()})`
      : "No market price before the forecast time.",
    "",
    "Recent candles (end time, yes bid, yes ask, last trade, volume):",
    ...(context.candles.length
      ? context.candles.map((c) =>
        `${c.endPeriodTs.toISOString()} ${c.yesBidClose ?? "-"} ${c.yesAskClose ?? "-"} ` +
        `${c.priceClose ?? "-"} ${c.volume ?? "-"}`
      )
      : ["(none)"]),
    "",
    "Lifecycle so far: " +
    (context.lifecycle.length
      ? context.lifecycle.map((l) => `${l.eventType ?? "?"}@${l.at.toISOString()}`).join(", ")
      : "(none)"),
    "",
    "Similar markets already settled (similarity, outcome 1=Yes 0=No, final yes price, title):",
    ...(context.neighbors.length
      ? context.neighbors.map((n) =>
        `${n.similarity.toFixed(3)} ${n.outcome} ${n.finalPrice ?? "-"} ${n.title ?? n.ticker}`
      )
      : ["(none)"]),
    ...documentLines(context),
  ];
  return [{ role: "system", content: instructions }, { role: "user", content: lines.join("\n") }];
}

/** Parses a model's reply: the JSON object (fenced or bare) validated by {@linkcode LlmAnswer}. */
export function parseAnswer(
  content: string,
): { ok: true; value: z.infer<typeof LlmAnswer> } | { ok: false; reason: string } {
  const start = content.indexOf("{");
  const end = content.lastIndexOf("}");
  if (start < 0 || end <= start) return { ok: false, reason: "no JSON object in the reply" };
  let json: unknown;
  try {
    json = JSON.parse(content.slice(start, end + 1));
  } catch (error) {
    return { ok: false, reason: `malformed JSON: ${(error as Error).message}` };
  }
  const parsed = LlmAnswer.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `invalid answer: ${issue.path.join(".")} ${issue.message}` };
  }
  return { ok: true, value: parsed.data };
}

/** Options of {@linkcode createLlmPredictor}. */
export interface LlmPredictorOptions {
  /** The run's shared budget. */
  budget: LlmBudget;
  /** Attempts per prediction; default 3. */
  maxAttempts?: number;
  /** Upper bound of an answer's tokens; default 300. */
  maxAnswerTokens?: number;
  /** Instructions replacing the built-in system message (`RAG_PROMPT_FILE`). */
  instructions?: string;
}

/** An LLM predictor for `endpoint` (model `rag-llm:<model>`). */
export function createLlmPredictor(
  endpoint: OpenAiEndpoint,
  options: LlmPredictorOptions,
): Predictor {
  const maxAttempts = options.maxAttempts ?? 3;
  const budget = options.budget;
  return {
    model: `rag-llm:${endpoint.model}`,
    provider: endpoint.url.host,
    async predict(context, predictOptions = {}) {
      const prompt = buildPrompt(context, options.instructions);
      const promptSha256 = await sha256Hex(canonicalJson({ model: endpoint.model, prompt }));
      const messages = [...prompt];
      const failures: string[] = [];
      let tokens = 0;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        if (budget.calls >= budget.maxCalls) throw new LlmBudgetExhaustedError("calls", budget);
        const remaining = budget.maxTokens - budget.tokens;
        if (remaining <= 0) throw new LlmBudgetExhaustedError("tokens", budget);
        budget.calls++;
        let content: string;
        try {
          const result = await chatCompletion(endpoint, messages, {
            maxTokens: Math.min(options.maxAnswerTokens ?? 300, remaining),
            signal: predictOptions.signal,
          });
          budget.tokens += result.usage.totalTokens;
          tokens += result.usage.totalTokens;
          content = result.content;
        } catch (error) {
          if (error instanceof OpenAiHttpError && !error.retryable) throw error;
          if (
            error instanceof OpenAiTimeoutError || error instanceof OpenAiHttpError ||
            error instanceof OpenAiResponseError || error instanceof TypeError
          ) {
            failures.push(error.message);
            continue;
          }
          throw error;
        }
        const answer = parseAnswer(content);
        if (answer.ok) {
          return {
            probability: answer.value.probability,
            rationale: answer.value.rationale.slice(0, 500),
            promptSha256,
            details: { attempts: attempt, tokens, failures },
          };
        }
        failures.push(answer.reason);
        messages.push({ role: "assistant", content: content.slice(0, 2000) }, {
          role: "user",
          content: `That reply was not valid (${answer.reason}). Reply with only the JSON ` +
            'object {"probability": <number from 0 to 1>, "rationale": "<text>"}.',
        });
      }
      throw new LlmPredictionError(context.target.ticker, failures);
    },
  };
}
