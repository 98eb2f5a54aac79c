/**
 * `deno task portal:hash-password`: reads a password from stdin (no echo when a terminal) and
 * prints the PORTAL_PASSWORD_HASH value for it. The password itself is never stored.
 */
import { hashPassword } from "./auth.ts";

if (import.meta.main) {
  let password: string;
  if (Deno.stdin.isTerminal()) {
    password = prompt("Portal password:") ?? "";
  } else {
    password = (await new Response(Deno.stdin.readable).text()).replace(/\r?\n$/, "");
  }
  if (password.length < 12) {
    console.error("hash-password: use at least 12 characters");
    Deno.exit(2);
  }
  console.log(await hashPassword(password));
}
