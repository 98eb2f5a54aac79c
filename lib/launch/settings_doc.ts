/** Renders every registered command's settings as Markdown, so docs/configuration.md never drifts. */
import { launcherCommand } from "../commands/mod.ts";
import { type Runnable, RUNNABLES } from "./registry.ts";

function cell(text: string): string {
  return text.replaceAll("|", "\\|").replaceAll("\n", " ");
}

/** The Markdown of docs/configuration.md. */
export function renderSettingsDoc(): string {
  const out = [
    "# Configuration",
    "",
    "Generated from the command definitions (`lib/commands/`, `lib/kalshi/sim/command.ts`) by",
    "`deno task docs` — do not edit by hand. Each setting is an environment variable; most are also",
    "a flag (the flag wins). A wrong or missing value stops the command before it does anything, naming",
    "the variable, the value received and what was expected; secrets are never echoed.",
    "",
    "The **grant** column is the Deno permission the launch step derives from the value: `net` (the",
    "host of the URL), `listen` (the port), `host` (an address the ports are granted on),",
    "`read`/`write` (the path).",
  ];
  // `deno task start` runs no command of its own through the launch step, but has settings too.
  const start: Runnable = { command: launcherCommand, entry: "services/launcher/main.ts" };
  for (
    const [name, { command, entry }] of [...Object.entries(RUNNABLES), ["start", start] as const]
  ) {
    out.push(
      "",
      `## ${name}`,
      "",
      `${cell(command.summary)}`,
      "",
      `Entry: \`${entry}\`.`,
      "",
      "| variable | flag | default | grant | meaning |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const s of Object.values(command.settings)) {
      const flag = s.flag ? `\`--${s.flag}\`` : "";
      const def = s.secret
        ? "(secret)"
        : s.default !== undefined && s.default !== ""
        ? `\`${s.default}\``
        : "";
      const grant = s.access ?? (s.grants ? "derived" : "");
      out.push(`| \`${s.env}\` | ${flag} | ${cell(def)} | ${grant} | ${cell(s.help)} |`);
    }
  }
  return out.join("\n") + "\n";
}

if (import.meta.main) {
  const path = new URL("../../docs/configuration.md", import.meta.url);
  await Deno.writeTextFile(path, renderSettingsDoc());
  console.error(`wrote ${path.pathname}`);
}
