/** Test helper: a child process's output as lines, and waiting for a line (never for a time). */

/** The lines read so far, and a way to wait for one. */
export interface Lines {
  /** Every complete line read so far. */
  readonly all: string[];
  /**
   * Resolves with the first line (already read or still to come) that `matches`; rejects once the
   * stream ended without one, with `what` and the output in the message.
   */
  until(matches: (line: string) => boolean, what: string): Promise<string>;
  /** Resolves when the stream ended. */
  readonly ended: Promise<void>;
}

/** Reads `stream` to its end in the background, line by line. */
export function collectLines(stream: ReadableStream<Uint8Array>): Lines {
  const all: string[] = [];
  const waiters = new Set<() => void>();
  let finished = false;
  const ended = (async () => {
    let buffered = "";
    const text = stream.pipeThrough(
      new TextDecoderStream() as TransformStream<Uint8Array, string>,
    );
    for await (const chunk of text) {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        all.push(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
      for (const wake of waiters) wake();
    }
    if (buffered) all.push(buffered);
    finished = true;
    for (const wake of waiters) wake();
  })();
  return {
    all,
    ended,
    until(matches, what) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = all.find(matches);
          if (line !== undefined) {
            waiters.delete(check);
            resolve(line);
          } else if (finished) {
            waiters.delete(check);
            reject(new Error(`the output ended before ${what}:\n${all.slice(-60).join("\n")}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** The JSON object of a log line, or undefined for other text. */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(line);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
