import { runClientContract } from "../testing/contract_suite.ts";
import { serveSimulator } from "./simulator.ts";

Deno.test("the client honours its contract against the simulator (one contract for both)", async (t) => {
  const server = await serveSimulator({ seed: 7, markets: 60, pumpIntervalMs: 50 });
  try {
    await runClientContract(t, { restUrl: server.restUrl, wsUrl: server.wsUrl });
  } finally {
    await server.close();
  }
});
