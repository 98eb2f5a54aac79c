/**
 * Test child of lib/launch/secret_args_test.ts: prints what it received — its arguments and the
 * variable named by its first argument-free setting — as one JSON line, then waits for stdin to
 * close, so the test can read its command line from /proc while it runs.
 * @module
 */
const [name] = ["SECRET_CHILD_TOKEN"];
console.log(JSON.stringify({ args: Deno.args, env: Deno.env.get(name) ?? null }));
await new Response(Deno.stdin.readable).arrayBuffer();
