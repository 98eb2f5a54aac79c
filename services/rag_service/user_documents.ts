/**
 * Your documents (`RAG_DOCUMENTS_DIR`) in the retrieval corpus: text, markdown or JSON files, each
 * with the time it became known (`known_at`). A document is retrieved for an as_of only when its
 * known_at is at or before it, so a note written after the forecast time can never inform it.
 * Files are read once at start (bounded: count and size), embedded on the first pass with the
 * service's embedder and searched exactly in memory.
 * @module
 */
import { basename, extname, join } from "node:path";
import { z } from "zod";
import { ExactIndex } from "./exact_index.ts";
import type { EmbeddingProvider } from "./vectors.ts";

/** One of your documents. */
export interface UserDocument {
  /** File name (JSON arrays: `file.json#index`). */
  id: string;
  title: string | null;
  knownAt: Date;
  text: string;
  /** Other fields of a JSON document, kept as given. */
  extra: Record<string, unknown>;
}

/** A document retrieved for a context. */
export interface RetrievedDocument {
  id: string;
  title: string | null;
  knownAt: Date;
  similarity: number;
  /** The text, at most {@linkcode EXCERPT_CHARS} characters. */
  text: string;
}

/** Limits of the folder. */
export const DOCUMENT_LIMITS = { files: 10_000, bytesPerFile: 1_048_576, chars: 200_000 };
/** Characters of a document given to predictors (and embedded). */
export const EXCERPT_CHARS = 4000;

/** A document file that cannot be used: which file, and what is wrong. */
export class UserDocumentError extends Error {
  /** Creates the error. */
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = "UserDocumentError";
  }
}

/** A date (UTC midnight) or a time with its zone: nothing a lenient parser could misread. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

function isInstant(text: string): boolean {
  const day = text.slice(0, 10);
  return ISO_INSTANT.test(text) && !Number.isNaN(Date.parse(text)) &&
    new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;
}

const knownAt = z.string().refine(isInstant, {
  message: "known_at must be an ISO 8601 date or time with its zone, such as " +
    "2026-01-05T00:00:00Z or 2026-01-05",
}).transform((t) => new Date(t));

const JsonDocument = z.object({
  known_at: knownAt,
  text: z.string().trim().min(1).max(DOCUMENT_LIMITS.chars),
  title: z.string().max(500).optional(),
}).passthrough();

const FRONT_MATTER = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/** A .txt/.md file: a front matter block `---\nknown_at: <time>\ntitle: <text>\n---` then text. */
function textDocument(file: string, content: string): UserDocument {
  const match = FRONT_MATTER.exec(content);
  if (!match) {
    throw new UserDocumentError(
      file,
      "starts without a front matter block: ---, known_at: <ISO time>, ---",
    );
  }
  const fields: Record<string, string> = {};
  for (const line of match[1].split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) fields[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  const parsed = JsonDocument.safeParse({ ...fields, text: content.slice(match[0].length) });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UserDocumentError(file, `${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const { known_at, text, title, ...extra } = parsed.data;
  return { id: file, title: title ?? null, knownAt: known_at, text, extra };
}

/** A .json file: one object `{known_at, text, title?}` or an array of them. */
function jsonDocuments(file: string, content: string): UserDocument[] {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch (error) {
    throw new UserDocumentError(file, `malformed JSON: ${(error as Error).message}`);
  }
  const list = Array.isArray(value) ? value : [value];
  return list.map((item, i) => {
    const id = Array.isArray(value) ? `${file}#${i}` : file;
    const parsed = JsonDocument.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new UserDocumentError(id, `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    }
    const { known_at, text, title, ...extra } = parsed.data;
    return { id, title: title ?? null, knownAt: known_at, text, extra };
  });
}

/** Reads every .txt, .md and .json file of `dir` (not its subfolders), in name order. */
export async function readUserDocuments(dir: string): Promise<UserDocument[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && [".txt", ".md", ".json"].includes(extname(entry.name))) {
      names.push(entry.name);
    }
  }
  if (names.length > DOCUMENT_LIMITS.files) {
    throw new UserDocumentError(dir, `${names.length} files; at most ${DOCUMENT_LIMITS.files}`);
  }
  const documents: UserDocument[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    const { size } = await Deno.stat(path);
    if (size > DOCUMENT_LIMITS.bytesPerFile) {
      throw new UserDocumentError(name, `${size} bytes; at most ${DOCUMENT_LIMITS.bytesPerFile}`);
    }
    const content = await Deno.readTextFile(path);
    if (extname(name) === ".json") documents.push(...jsonDocuments(basename(name), content));
    else documents.push(textDocument(basename(name), content));
  }
  return documents;
}

/** Your documents, searchable once embedded. */
export interface UserCorpus {
  readonly size: number;
  /** Embeds the documents with `embedder` (once per embedding model). */
  prepare(embedder: EmbeddingProvider, options?: { signal?: AbortSignal }): Promise<void>;
  /** The `k` documents most similar to `query` known at or before `asOf`, most similar first. */
  nearestKnown(query: Float32Array, options: { asOf: Date; k: number }): RetrievedDocument[];
}

/** A corpus of `documents`. */
export function createUserCorpus(documents: readonly UserDocument[]): UserCorpus {
  let index: ExactIndex | undefined;
  let model: string | undefined;
  const byId = new Map(documents.map((d) => [d.id, d]));
  return {
    size: documents.length,
    async prepare(embedder, options = {}) {
      if (model === embedder.model || documents.length === 0) return;
      const next = new ExactIndex(embedder.dimensions, Math.max(16, documents.length));
      for (let i = 0; i < documents.length; i += 64) {
        const batch = documents.slice(i, i + 64);
        const vectors = await embedder.embed(
          batch.map((d) => [d.title, d.text.slice(0, EXCERPT_CHARS)].filter(Boolean).join("\n")),
          options,
        );
        batch.forEach((d, j) => next.add(d.id, vectors[j], d.knownAt.getTime()));
      }
      [index, model] = [next, embedder.model];
    },
    nearestKnown(query, options) {
      if (!index) return [];
      // The index keeps rows strictly before `before`: known_at <= as_of.
      const hits = index.search(query, { k: options.k, before: options.asOf.getTime() + 1 });
      return hits.map((h) => {
        const d = byId.get(h.key)!;
        const text = d.text.slice(0, EXCERPT_CHARS);
        return { id: d.id, title: d.title, knownAt: d.knownAt, similarity: h.similarity, text };
      });
    },
  };
}
