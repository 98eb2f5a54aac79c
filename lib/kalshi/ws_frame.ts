/**
 * One WebSocket frame into one stream item: a normalised `message`, an `unsupported` message of a
 * type we do not consume, or an `invalid` frame (not JSON, or not the shape Kalshi documents) —
 * never an exception, so the stream never stops on bad input.
 */
import { parseWsMessage } from "./schemas/ws.ts";
import { formatIssues } from "./validate.ts";
import type { WsStreamItem } from "./ws_stream.ts";

/** The item a frame becomes: everything but the client's own markers. */
export type WsFrameItem = Extract<WsStreamItem, { kind: "message" | "unsupported" | "invalid" }>;

/** Subscription id and sequence number of a decoded frame (null where it carries none). */
export interface WsFrameSequence {
  type: string;
  sid: number | null;
  seq: number | null;
}

/**
 * Decodes a frame's data (text or binary) received at `receivedAtMs`.
 *
 * @example
 * ```ts
 * import { decodeWsFrame } from "./ws_frame.ts";
 * const item = decodeWsFrame('{"type":"pong_v9"}', 1);
 * console.log(item.kind); // "unsupported"
 * ```
 */
export function decodeWsFrame(data: unknown, receivedAtMs: number): WsFrameItem {
  const text = typeof data === "string"
    ? data
    : data instanceof ArrayBuffer
    ? new TextDecoder().decode(data)
    : String(data);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return {
      kind: "invalid",
      receivedAtMs,
      rawText: text,
      error: `not JSON: ${(error as Error).message}`,
    };
  }
  const result = parseWsMessage(value);
  if (result.status === "invalid") {
    return {
      kind: "invalid",
      receivedAtMs,
      rawText: text,
      error: formatIssues(result.error).join("; "),
    };
  }
  if (result.status === "unsupported") {
    return { kind: "unsupported", receivedAtMs, type: result.type, raw: result.raw };
  }
  return { kind: "message", receivedAtMs, message: result.message };
}

/**
 * The sid / seq of a decoded frame, read from the raw payload for unsupported types (they are
 * numbered too), or null for an invalid frame.
 *
 * @example
 * ```ts
 * import { decodeWsFrame, frameSequence } from "./ws_frame.ts";
 * const seq = frameSequence(decodeWsFrame('{"type":"x","sid":3,"seq":9}', 1));
 * console.log(seq); // { type: "x", sid: 3, seq: 9 }
 * ```
 */
export function frameSequence(item: WsFrameItem): WsFrameSequence | null {
  if (item.kind === "invalid") return null;
  if (item.kind === "message") {
    const { type, sid, seq } = item.message;
    return { type, sid, seq };
  }
  return { type: item.type, sid: integerOrNull(item.raw.sid), seq: integerOrNull(item.raw.seq) };
}

function integerOrNull(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) ? value : null;
}
