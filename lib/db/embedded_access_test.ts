import { join } from "node:path";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { EmbeddedPostgresAccessError, startEmbeddedPostgres } from "./embedded.ts";
import {
  ancestors,
  type OsAccount,
  parsePasswd,
  type PathStep,
  unreachableSentence,
  untraversable,
} from "./embedded_access.ts";

const postgres: OsAccount = { name: "postgres", uid: 101, gid: 104 };
const step = (path: string, mode: number, uid = 0, gid = 0): PathStep => ({ path, mode, uid, gid });

Deno.test("a 0755 chain owned by root is traversable by any account, even a missing one", () => {
  const steps = [step("/", 0o755), step("/srv", 0o755), step("/srv/app", 0o755)];
  assertEquals(untraversable(steps, postgres), undefined);
  assertEquals(untraversable(steps, undefined), undefined);
});

Deno.test("a 0700 root-owned home stops the account, and is the directory reported", () => {
  const steps = [step("/", 0o755), step("/root", 0o700), step("/root/app", 0o755)];
  assertEquals(untraversable(steps, postgres)?.path, "/root");
});

Deno.test("owner bits apply to the owner, group bits to the primary group, other bits to the rest", () => {
  const ownedByPostgres = [step("/", 0o755), step("/data", 0o700, 101, 104)];
  assertEquals(untraversable(ownedByPostgres, postgres), undefined);
  const groupOnly = [step("/", 0o755), step("/shared", 0o750, 0, 104)];
  assertEquals(untraversable(groupOnly, postgres), undefined);
  assertEquals(untraversable(groupOnly, undefined)?.path, "/shared", "a fresh account has new ids");
  // The owner's bits decide for the owner even when "other" could enter.
  const ownerLocked = [step("/", 0o755), step("/odd", 0o605, 101, 0)];
  assertEquals(untraversable(ownerLocked, postgres)?.path, "/odd");
});

Deno.test("ancestors lists the directories from / down to the parent", () => {
  assertEquals(ancestors("/root/app/.data/postgres"), [
    "/",
    "/root",
    "/root/app",
    "/root/app/.data",
  ]);
  assertEquals(ancestors("/x"), ["/"]);
});

Deno.test("parsePasswd reads the uid and primary gid, and knows a missing account", () => {
  const text =
    "root:x:0:0:root:/root:/bin/bash\npostgres:x:101:104:PostgreSQL:/var/lib/pg:/bin/bash\n";
  assertEquals(parsePasswd(text, "postgres"), postgres);
  assertEquals(parsePasswd(text, "nobody"), undefined);
});

Deno.test("the explanation is one sentence naming the directory, its mode and what to do", () => {
  const sentence = unreachableSentence("postgres", {
    step: step("/root", 0o700),
    target: "/root/app/.data/postgres",
  });
  assertEquals(
    sentence,
    "As root, the embedded PostgreSQL runs as the `postgres` account, which cannot enter /root " +
      "(mode 0700) on the way to /root/app/.data/postgres: clone the project into a folder other " +
      "accounts can traverse (e.g. /srv or /opt), run as an ordinary user, or set DATABASE_URL to " +
      "a PostgreSQL server.",
  );
});

const notRoot = Deno.uid() !== 0;
Deno.test({
  name: `as root, a data dir under a 0700 folder fails with the one-sentence explanation${
    notRoot ? " (skipped: needs root, where the server runs as the `postgres` account)" : ""
  }`,
  ignore: notRoot,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "kalshi_embedded_0700_" });
    try {
      await Deno.chmod(dir, 0o700);
      const error = await assertRejects(
        startEmbeddedPostgres({ dataDir: join(dir, "postgres") }),
        EmbeddedPostgresAccessError,
      );
      assertOk(!error.message.includes("\n"), `one line, got: ${error.message}`);
      assertOk(
        /^As root, the embedded PostgreSQL runs as the `postgres` account, which cannot enter .+ \(mode 0700\) on the way to .+: clone the project into a folder other accounts can traverse \(e\.g\. \/srv or \/opt\), run as an ordinary user, or set DATABASE_URL to a PostgreSQL server\.$/
          .test(error.message),
        `unexpected message: ${error.message}`,
      );
      assertOk(error.message.includes(dir), `names ${dir}: ${error.message}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
