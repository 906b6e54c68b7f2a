/** The extension-host suite's workspace: one JavaScript app with function chaining, human interaction and failOnce. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { scaffold } from "../../templates/scaffold";

/** An orchestration whose activity fails the first time only: something for Rewind to repair. */
const FAIL_ONCE = `const df = require("durable-functions");
let calls = 0;
df.app.activity("failOnce_step", { handler: () => {
  calls += 1;
  if (calls === 1) throw new Error("the first attempt fails");
  return "ok";
} });
df.app.orchestration("failOnce", function* (context) {
  return yield context.df.callActivity("failOnce_step");
});
`;

/** Writes the app into a new temporary folder; node_modules links to this repository's (durable-functions is a devDependency). */
export function prepareWorkspace(root: string): string {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "durable-ext-host-"));
  scaffold({ pattern: "function-chaining", dir: workspace, language: "js" });
  scaffold({ pattern: "human-interaction", dir: workspace, language: "js" });
  fs.writeFileSync(path.join(workspace, "src", "functions", "failOnce.js"), FAIL_ONCE);
  fs.symlinkSync(path.join(root, "node_modules"), path.join(workspace, "node_modules"), "dir");
  return workspace;
}
