/** TypeScript apps run without a manual build, with stack traces that point at .ts lines. */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadApp } from "../../emulator";
import { TranspilerMissingError, transpileWithAppTypeScript } from "../../emulator/app/typescript-transpiler";
import { sourceProblems } from "../../emulator/app/reload-report";
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

  it("name the source positions of a failed reload for the editor's Problems: build errors, syntax errors, throws at load", async () => {
    const appDir = copyOfTsApp();
    const typed = path.join(appDir, "src", "functions", "typed.ts");
    fs.appendFileSync(typed, "\nconst broken = ;\n");
    const buildError = await loadApp(appDir).then(
      () => undefined,
      (error: Error) => error,
    );
    assert.deepEqual(sourceProblems(buildError?.message ?? "", appDir), [{ file: typed, line: 22, column: 15, message: 'Unexpected ";"' }]);
    // Node's own errors, from files this test loads: a syntax error (header, source line, caret) and a throw at load.
    const syntax = path.join(appDir, "syntax.js");
    fs.writeFileSync(syntax, "const a = 1;\nthis is not javascript\n");
    const throwing = path.join(appDir, "throwing.js");
    fs.writeFileSync(throwing, 'const settings = {};\nfunction read() {\n  throw new Error("no MY_SETTING");\n}\nread();\n');
    for (const [file, line, column, message] of [
      [syntax, 2, 6, /^SyntaxError: Unexpected identifier/],
      [throwing, 3, 9, /^Error: no MY_SETTING$/],
    ] as const) {
      const thrown = (() => {
        try {
          require(file);
        } catch (error) {
          return error as Error;
        }
        return undefined;
      })();
      const [problem, ...more] = sourceProblems(thrown?.stack ?? "", appDir);
      assert.deepEqual(
        { file: problem?.file, line: problem?.line, column: problem?.column, more: more.length },
        { file, line, column, more: 0 },
        thrown?.stack,
      );
      assert.match(problem.message, message);
    }
    assert.deepEqual(sourceProblems("Error: outside\n    at x (/elsewhere/file.js:1:1)", appDir), [], "frames outside the app point nowhere");
  });

  it("are compiled with the app's own TypeScript where esbuild is absent (the extension's bundle), with .ts stacks", async () => {
    const appDir = copyOfTsApp();
    const sources = ["typed.ts"].map((file) => path.join(appDir, "src", "functions", file));
    transpileWithAppTypeScript(appDir, appDir, path.join(appDir, "dist"), sources);
    const map = JSON.parse(fs.readFileSync(path.join(appDir, "dist", "src", "functions", "typed.js.map"), "utf8")) as { sources: string[] };
    assert.deepEqual(map.sources, ["../../../src/functions/typed.ts"], "the map points at the real source");
    const emulator = await emulatorFor("memory", { appDir });
    try {
      assert.equal(emulator.app.built, undefined, "the output is newer than the sources: loaded as compiled");
      assert.equal((await runToEnd(emulator, "typedChain")).output, "ADA!");
      const failed = await runToEnd(emulator, "typedFailure");
      assert.match(failed.failure?.stack ?? "", /src\/functions\/typed\.ts:18/);
    } finally {
      await emulator.close();
    }
  });

  it("say what to do when TypeScript is missing, and where a syntax error is", () => {
    const bare = path.join(tempDir(), "no-typescript");
    fs.mkdirSync(path.join(bare, "src"), { recursive: true });
    fs.writeFileSync(path.join(bare, "package.json"), "{}");
    fs.writeFileSync(path.join(bare, "src", "a.ts"), "export const a = 1;\n");
    assert.throws(
      () => transpileWithAppTypeScript(bare, bare, path.join(bare, "dist"), [path.join(bare, "src", "a.ts")]),
      (error: Error) => {
        assert.ok(error instanceof TranspilerMissingError);
        assert.match(error.message, /has no typescript package installed\. Run `npm install` in that folder/);
        return true;
      },
    );
    const appDir = copyOfTsApp();
    const typed = path.join(appDir, "src", "functions", "typed.ts");
    fs.appendFileSync(typed, "\nconst broken = ;\n");
    assert.throws(() => transpileWithAppTypeScript(appDir, appDir, path.join(appDir, "dist"), [typed]), /typed\.ts:22:16: Expression expected/);
    assert.ok(!fs.existsSync(path.join(appDir, "dist", "src", "functions", "typed.js")), "nothing written on an error");
  });

  it("include the sample app, which type-checks under strict settings against the real durable-functions types", () => {
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const result = spawnSync(process.execPath, [tsc, "-p", path.join(SAMPLE_APP, "tsconfig.json"), "--noEmit"], { encoding: "utf8" });
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });
});
