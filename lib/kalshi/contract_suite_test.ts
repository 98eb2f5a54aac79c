import { startFixtureServer } from "./testing/fixture_server.ts";
import { runClientContract } from "./testing/contract_suite.ts";

Deno.test("the client honours its contract against the fixture server", async (t) => {
  const server = startFixtureServer();
  try {
    await runClientContract(t, { restUrl: server.restUrl, wsUrl: server.wsUrl });
  } finally {
    await server.close();
  }
});
