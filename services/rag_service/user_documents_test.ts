import { withTestDatabase } from "../../lib/db/testing/database.ts";
import { assertEquals, assertOk, assertRejects } from "../../lib/testing/assert.ts";
import { syncEmbeddings } from "./embedding_store.ts";
import { createHashingEmbedder } from "./hashing_embedder.ts";
import { buildPrompt } from "./llm_predictor.ts";
import { loadExactSearch } from "./neighbor_search.ts";
import { retrieveContext } from "./retrieval.ts";
import { postgresRunner } from "./sql_runner.ts";
import { seedWorld } from "./testing/seed.ts";
import { createUserCorpus, readUserDocuments, UserDocumentError } from "./user_documents.ts";

const START = new Date("2026-01-01T00:00:00Z");
const HOUR = 3_600_000;

async function withFolder(files: Record<string, string>, fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a document is never retrieved for an as_of before its known_at (trap document)", async () => {
  await withTestDatabase(async ({ sql }) => {
    const db = postgresRunner(sql);
    const markets = await seedWorld(db, { markets: 60, start: START });
    const target = markets[39]; // "Will it rain in Seattle on day 39?"
    const asOf = new Date(target.openTime.getTime() + 24 * HOUR);
    const at = (ms: number) => new Date(asOf.getTime() + ms).toISOString();
    const rain = "Will it rain in Seattle on day 39? Rain in Seattle, measurable precipitation " +
      "at SEA airport.";
    const files = {
      "outlook.md": `---\nknown_at: ${at(-HOUR)}\ntitle: Seattle outlook\n---\n${rain} Wet week.`,
      "same_moment.txt": `---\nknown_at: ${at(0)}\n---\n${rain} Showers likely.`,
      // The trap: the answer itself, known one minute after as_of, and the most similar text.
      "trap.json": JSON.stringify({
        known_at: at(60_000),
        title: "Seattle rain outcome",
        text: `${rain} It rained: the market resolved Yes.`,
        source: "kept as given",
      }),
      "unrelated.json": JSON.stringify([{ known_at: at(-HOUR), text: "Bitcoin price notes." }]),
    };
    await withFolder(files, async (dir) => {
      const documents = createUserCorpus(await readUserDocuments(dir));
      assertEquals(documents.size, 4);
      const embedder = createHashingEmbedder();
      await syncEmbeddings(db, embedder, { pgvector: false });
      await documents.prepare(embedder);
      const search = await loadExactSearch(db, { model: embedder.model, dimensions: 256 });
      const deps = { db, search, embedder, documents };
      const context = await retrieveContext(deps, target.ticker, asOf, { k: 5, documents: 10 });
      const ids = context.documents.map((d) => d.id);
      assertEquals(ids.slice().sort(), ["outlook.md", "same_moment.txt", "unrelated.json#0"]);
      assertOk(context.documents.every((d) => d.knownAt <= asOf));
      assertEquals(context.documents[2].id, "unrelated.json#0"); // least similar last
      const prompt = buildPrompt(context)[1].content;
      assertOk(prompt.includes("Seattle outlook") && !prompt.includes("resolved Yes"), prompt);

      // Two minutes later the note is known: now it is retrieved (the filter is time).
      const later = await retrieveContext(deps, target.ticker, new Date(at(120_000)), {
        k: 5,
        documents: 10,
      });
      assertEquals(later.documents.map((d) => d.id).sort(), [
        "outlook.md",
        "same_moment.txt",
        "trap.json",
        "unrelated.json#0",
      ]);
    });
  });
});

Deno.test("documents without known_at, malformed JSON or no text are refused with the file named", async () => {
  const cases: [Record<string, string>, string][] = [
    [{ "a.md": "no front matter" }, "a.md: starts without a front matter block"],
    [{ "b.txt": "---\ntitle: x\n---\ntext" }, "b.txt: known_at"],
    // Times a lenient parser reads as something else: "Jan 5" is 2001-01-05, Feb 30 is Mar 2,
    // a time without its zone is the machine's local time.
    [{ "f.md": "---\nknown_at: Jan 5\n---\ntext" }, "f.md: known_at"],
    [{ "g.json": '{"known_at":"2026-02-30T00:00:00Z","text":"t"}' }, "g.json: known_at"],
    [{ "h.txt": "---\nknown_at: 2026-01-05 10:00\n---\ntext" }, "h.txt: known_at"],
    [{ "c.json": "{" }, "c.json: malformed JSON"],
    [
      { "d.json": '[{"known_at":"2026-01-01T00:00:00Z","text":"ok"},{"known_at":"x","text":"t"}]' },
      "d.json#1: known_at",
    ],
    [{ "e.json": '{"known_at":"2026-01-01T00:00:00Z"}' }, "e.json: text"],
  ];
  for (const [files, expected] of cases) {
    await withFolder(files, async (dir) => {
      const error = await assertRejects(() => readUserDocuments(dir), UserDocumentError);
      assertOk(error.message.includes(expected), `${error.message} lacks ${expected}`);
    });
  }
  await withFolder(
    {
      "ignored.pdf": "%PDF",
      "ok.md": "---\nknown_at: 2026-01-01\n---\nhello",
      "zone.txt": "---\nknown_at: 2026-01-05T10:00+02:00\n---\nthere",
    },
    async (dir) => {
      const docs = await readUserDocuments(dir);
      assertEquals(docs.map((d) => [d.id, d.text, d.knownAt.toISOString()]), [
        ["ok.md", "hello", "2026-01-01T00:00:00.000Z"],
        ["zone.txt", "there", "2026-01-05T08:00:00.000Z"],
      ]);
    },
  );
});
