/**
 * `deno task portal:hash-password`: reads a password and prints the PORTAL_PASSWORD_HASH value
 * for it on stdout. The password is never echoed, stored or put on a command line: from a
 * terminal it is typed twice with echo off (raw mode, set before the prompt appears, so nothing
 * typed after the prompt can be echoed) and prompts go to stderr; from a pipe
 * (`printf %s "$PW" | deno task portal:hash-password`) it is read whole.
 * @module
 */
import { hashPassword } from "./auth.ts";

/** Shortest password accepted. */
export const MIN_PASSWORD_LENGTH = 12;

/** What {@linkcode readHidden} reads from and writes to (a terminal in production). */
export interface HiddenInput {
  /** Reads bytes as typed; null at end of input. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Turns echo and line editing off (true) or back on (false). */
  setRaw(raw: boolean): void;
  /** Writes the prompt (never the password). */
  write(text: string): Promise<void>;
}

/** Deletes the last UTF-8 character of `bytes`. */
function dropLastChar(bytes: number[]): void {
  while (bytes.length && (bytes[bytes.length - 1] & 0xc0) === 0x80) bytes.pop();
  bytes.pop();
}

/** Applies one typed byte; returns `end`/`abort` when the line is finished. */
function typed(bytes: number[], byte: number): "end" | "abort" | undefined {
  if (byte === 0x0d || byte === 0x0a) return "end";
  if (byte === 0x03) return "abort"; // Ctrl-C (raw mode delivers it as a byte)
  if (byte === 0x04) return bytes.length ? "end" : "abort"; // Ctrl-D
  if (byte === 0x7f || byte === 0x08) dropLastChar(bytes);
  else if (byte === 0x15) bytes.length = 0; // Ctrl-U
  else if (byte >= 0x20) bytes.push(byte); // other control characters are ignored
  return undefined;
}

/**
 * Reads one line with echo off: the terminal goes raw before the prompt is written and back to
 * normal however the read ends. Enter ends the line, Backspace and Ctrl-U edit it, Ctrl-C (or
 * Ctrl-D on an empty line) gives undefined.
 */
export async function readHidden(prompt: string, input: HiddenInput): Promise<string | undefined> {
  input.setRaw(true);
  const bytes: number[] = [];
  try {
    await input.write(prompt);
    const buffer = new Uint8Array(256);
    for (;;) {
      const n = await input.read(buffer);
      if (n === null) {
        return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : undefined;
      }
      for (const byte of buffer.subarray(0, n)) {
        const done = typed(bytes, byte);
        if (done === "abort") return undefined;
        if (done === "end") return new TextDecoder().decode(new Uint8Array(bytes));
      }
    }
  } finally {
    wipe(bytes);
    input.setRaw(false);
    await input.write("\n");
  }
}

function wipe(bytes: number[]): void {
  bytes.fill(0);
  bytes.length = 0;
}

/** The terminal as a {@linkcode HiddenInput}. */
function terminal(): HiddenInput {
  const encoder = new TextEncoder();
  return {
    read: (buffer) => Deno.stdin.read(buffer),
    setRaw: (raw) => Deno.stdin.setRaw(raw),
    write: async (text) => {
      await Deno.stderr.write(encoder.encode(text));
    },
  };
}

/** Reads the password (typed twice from a terminal); exits with a message when unusable. */
async function readPassword(): Promise<string> {
  if (!Deno.stdin.isTerminal()) {
    return (await new Response(Deno.stdin.readable).text()).replace(/\r?\n$/, "");
  }
  const input = terminal();
  const first = await readHidden("Portal password (not shown): ", input);
  if (first === undefined) Deno.exit(130);
  const second = await readHidden("Type it again: ", input);
  if (second === undefined) Deno.exit(130);
  if (first !== second) {
    console.error("hash-password: the two entries differ; nothing was printed. Run it again.");
    Deno.exit(2);
  }
  return first;
}

if (import.meta.main) {
  const password = await readPassword();
  if (password.length < MIN_PASSWORD_LENGTH) {
    console.error(
      `hash-password: use at least ${MIN_PASSWORD_LENGTH} characters ` +
        `(got ${password.length}); nothing was printed.`,
    );
    Deno.exit(2);
  }
  console.log(await hashPassword(password));
}
