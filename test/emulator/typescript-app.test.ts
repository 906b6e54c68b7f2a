/** TypeScript apps run without a manual build, with stack traces that point at .ts lines. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadApp } from "../../emulator";
import { SAMPLE_APP, emulatorFor, runToEnd, tempDir } from "./harness";

const TS_APP = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "ts-app");
const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A private copy of the fixture, so tests can touch its files; it resolves packages from this repository. */
function copyOfTsApp(): string {
  const dir = path.join(tempDir(), "ts-app");
  fs.cpSync(TS_APP, dir, { recursive: true, filter: (source) => !source.includes(`${path.sep}dist`) });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

describe("TypeScript apps", function () {
  it("are built with esbuild when their output is missing, and run", async () => {
    const appDir = copyOfTsApp();
    const emulator = await emulatorFor("memory", { appDir });
    try {
      assert.ok(emulator.app.built, "the app was built");
      assert.ok(fs.existsSync(path.join(appDir, "dist", "src", "functions", "typed.js")));
      assert.ok(fs.existsSync(path.join(appDir, "dist", "src", "functions", "typed.js.map")), "with a source map");
      const result = await runToEnd(emulator, "typedChain");
      assert.equal(result.output, "ADA!");
    } finally {
      await emulator.close();
    }
  });

  it("report orchestrator failures with stacks that point at the .ts source line", async () => {
    const appDir = copyOfTsApp();
    const emulator = await emulatorFor("memory", { appDir });
    try {
      const result = await runToEnd(emulator, "typedFailure");
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(result.failure?.stack ?? "", /src\/functions\/typed\.ts:18/);
    } finally {
      await emulator.close();
    }
  });

  it("are rebuilt only when a source is newer than the output", async () => {
    const appDir = copyOfTsApp();
    const first = await loadApp(appDir);
    assert.ok(first.built);
    const second = await loadApp(appDir);
    assert.equal(second.built, undefined, "nothing changed: no rebuild");
    const source = path.join(appDir, "src", "functions", "typed.ts");
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(source, later, later);
    const third = await loadApp(appDir);
    assert.ok(third.built, "a newer source triggers a rebuild");
  });

  it("report a build error with file, line and column", async () => {
    const appDir = copyOfTsApp();
    fs.appendFileSync(path.join(appDir, "src", "functions", "typed.ts"), "\nconst broken = ;\n");
    await assert.rejects(() => loadApp(appDir), /Building the TypeScript app in .* failed:\n.*typed\.ts:22:15: Unexpected ";"/);
  });

  it("include the sample app, which type-checks under strict settings against the real durable-functions types", () => {
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", path.join(SAMPLE_APP, "tsconfig.json"), "--noEmit"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
