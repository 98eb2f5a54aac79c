import { assertEquals } from "../testing/assert.ts";
import { readBudget } from "./system.ts";

Deno.test("the account's read budget is split among the services that read Kalshi", () => {
  const all = ["rest_service", "worker_service", "ws_service", "portal"];
  assertEquals(readBudget("rest_service", all, "20"), "6.00");
  assertEquals(readBudget("worker_service", all, "20"), "12.00");
  assertEquals(readBudget("ws_service", all, "20"), "2.00");
  assertEquals(readBudget("portal", all, "20"), undefined);
  assertEquals(readBudget("worker_service", ["worker_service"], "30"), "30.00");
});
