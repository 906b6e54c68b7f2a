/**
 * Runs the extension-host suite in a real VS Code downloaded by @vscode/test-electron (`npm run test:vscode`). It needs
 * update.code.visualstudio.com, so it is for developers' machines and online CI; offline, `npm run test:e2e` runs the
 * same suite in code-server's extension host (test/e2e/extension-host.e2e.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { runTests } from "@vscode/test-electron";
import { prepareWorkspace } from "./workspace";

const ROOT = path.resolve(__dirname, "..", "..", "..");

async function main(): Promise<void> {
  if (!fs.existsSync(path.join(ROOT, "out", "extension.js")))
    throw new Error("out/extension.js is missing: run `npm run package` first (npm run test:vscode does).");
  const workspace = prepareWorkspace(ROOT);
  try {
    await runTests({
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(__dirname, "suite", "index.js"),
      launchArgs: [workspace, "--disable-extensions", "--disable-workspace-trust"],
    });
  } finally {
    fs.rmSync(workspace, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
