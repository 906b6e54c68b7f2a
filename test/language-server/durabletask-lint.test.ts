/**
 * The determinism checker on Durable Task SDK apps (@microsoft/durabletask-js, issue 18 item 5), through the real
 * `durable-devkit lint` and the language server over stdio, on the apps in test/fixtures/durabletask-lint: clean apps
 * (TypeScript that compiles under strict, JavaScript) report nothing and have their orchestrators recognised; every
 * rule fires where a line's `// expect` comment says, in the SDK's terms; DD018's premise is what the SDK really does;
 * the quick fixes, applied one at a time as a user would, leave code that type-checks (TypeScript) or parses
 * (JavaScript); and edits to registrations and orchestrators change the findings.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as ts from "typescript";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type TextEdit,
} from "vscode-languageserver-protocol/node";
import { Analyzer } from "../../language-server/analysis/analyzer";
import type { LintResult } from "../../language-server/analysis/lint";
import { createProgram } from "../../language-server/analysis/project";
import { tempDir } from "../emulator/harness";
import { BIN, cli } from "../emulator/cli-runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURES = path.join(ROOT, "test", "fixtures", "durabletask-lint");

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && /\.(ts|js)$/.test(entry.name) && !entry.parentPath.includes("node_modules"))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

/** `file:line:code` of what a line's `// expect DD001, DD004` (or the line before's `// expect-next DD018`) says is reported there. */
function expected(dir: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(dir)) {
    fs.readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, index) => {
        const match = /\/\/ expect(-next)? (DD\d{3}(?:, DD\d{3})*)/.exec(text);
        if (!match) return;
        for (const code of match[2].split(", ")) found.push(`${path.relative(dir, file)}:${index + 1 + (match[1] ? 1 : 0)}:${code}`);
      });
  }
  return found.sort();
}

const keyOf = (dir: string, r: { file: string; line: number; code: string }) => `${path.relative(dir, r.file)}:${r.line}:${r.code}`;

function lint(dir: string): { code: number | null; results: LintResult[] } {
  const run = cli(["lint", dir, "--format", "json"]);
  assert.ok(run.stdout.trim().startsWith("["), run.stdout + run.stderr);
  return { code: run.code, results: JSON.parse(run.stdout) as LintResult[] };
}

/** The compiler's errors for a TypeScript app (its tsconfig.json), as `file(line): message`. */
function typeErrors(dir: string): string[] {
  const config = ts.readConfigFile(path.join(dir, "tsconfig.json"), ts.sys.readFile);
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, dir);
  const program = ts.createProgram(parsed.fileNames, parsed.options);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file && d.start !== undefined ? `${path.relative(dir, d.file.fileName)}(${d.file.getLineAndCharacterOfPosition(d.start).line + 1})` : "";
    return `${at}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

/** A fixture app copied where it may be edited, resolving the package from the repository's node_modules. */
function copyOf(name: string): string {
  const dir = path.join(tempDir("dd-durabletask-"), name);
  fs.cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

function orchestratorsOf(dir: string): string[] {
  return new Analyzer(createProgram(dir))
    .orchestrators()
    .map((o) => `${o.name} ${o.sdk}${o.registered ? " registered" : ""}`)
    .sort();
}

/** The 1-based line of the first line of a file that contains `text`. */
function lineOf(file: string, text: string): number {
  return (
    fs
      .readFileSync(file, "utf8")
      .split("\n")
      .findIndex((line) => line.includes(text)) + 1
  );
}

describe("durabletask-js orchestrators: durable-devkit lint", function () {
  it("reports nothing on a clean TypeScript app that compiles under strict, and knows its orchestrators and registrations", () => {
    const dir = path.join(FIXTURES, "clean-ts");
    assert.deepEqual(typeErrors(dir), []);
    const { code, results } = lint(dir);
    assert.deepEqual(results, []);
    assert.equal(code, 0);
    assert.deepEqual(orchestratorsOf(dir), [
      "approvalFlow durabletask registered",
      "fulfilBatch durabletask registered",
      "processOrder durabletask registered",
      // Not registered, but a generator taking the SDK's OrchestrationContext is orchestrator code (run with yield*).
      "restockIfLow durabletask",
      "stockMonitor durabletask registered",
    ]);
    const registered = new Analyzer(createProgram(dir)).registered;
    assert.deepEqual([...registered.activity].sort(), ["chargePayment", "reserveItem", "sendReminder", "validateOrder"]);
    assert.deepEqual([...registered.entity], ["inventory"]);
  });

  it("reports nothing on a clean JavaScript app whose functions are registered through Object.values over modules", () => {
    const dir = path.join(FIXTURES, "clean-js");
    const { code, results } = lint(dir);
    assert.deepEqual(results, []);
    assert.equal(code, 0);
    assert.deepEqual(orchestratorsOf(dir), ["awaitPayment durabletask registered", "checkout durabletask registered", "sweeper durabletask registered"]);
  });

  it("reports only the one mistake kept on purpose in the Durable Task SDK app the sidecar tests run (test/fixtures/durabletask-app)", () => {
    const dir = path.join(ROOT, "test", "fixtures", "durabletask-app");
    // plainGenerator is a plain function* so that the sidecar's warning about it can be tested; everything else is clean.
    assert.deepEqual(
      lint(dir).results.map((r) => `${r.code} ${path.basename(r.file)}:${r.line}`),
      [`DD018 orchestrations.js:${lineOf(path.join(dir, "orchestrations.js"), "function* plainGenerator")}`],
    );
    assert.equal(orchestratorsOf(dir).length, 16, orchestratorsOf(dir).join("\n"));
  });

  it("reports every rule where it fires in a TypeScript app, naming the SDK's APIs", () => {
    const dir = path.join(FIXTURES, "hazards-ts");
    const { code, results } = lint(dir);
    assert.equal(code, 1);
    assert.deepEqual(results.map((r) => keyOf(dir, r)).sort(), expected(dir));
    const message = (file: string, line: number, code: string) =>
      results.find((r) => r.file.endsWith(file) && r.line === line && r.code === code)?.message ?? `no ${code} at ${file}:${line}`;
    for (const result of results) assert.doesNotMatch(result.message, /context\.df|\bdf\.|durable-functions/, result.message);
    assert.match(message("orchestrations.ts", 11, "DD001"), /new Date\(\) reads the clock.*use ctx\.currentUtcDateTime\./);
    assert.match(message("helpers.ts", 2, "DD001"), /reached from orchestrator 'timeAndIds' via stamp\(\)/);
    assert.match(message("orchestrations.ts", 13, "DD002"), /use ctx\.newGuid\(\) for ids/);
    assert.match(message("orchestrations.ts", 24, "DD003"), /use yield ctx\.createTimer\(fireAt\)/);
    assert.match(message("orchestrations.ts", 25, "DD004"), /move it into an activity \(yield ctx\.callActivity\(\.\.\.\)\)/);
    assert.match(message("orchestrations.ts", 25, "DD006"), /await in an orchestrator waits for a Promise that the history does not record/);
    assert.match(message("orchestrations.ts", 27, "DD006"), /await does not wait for a durable task \(a Task is not a Promise/);
    assert.match(message("orchestrations.ts", 29, "DD011"), /ctx\.createReplaySafeLogger\(logger\), or guard it with if \(!ctx\.isReplaying\)/);
    assert.match(message("orchestrations.ts", 34, "DD007"), /Promise\.all does not work on durable tasks: use yield whenAll\(tasks\)/);
    assert.match(message("orchestrations.ts", 35, "DD007"), /Promise\.race .*use yield whenAny\(tasks\)/);
    assert.match(message("orchestrations.ts", 37, "DD010"), /yield of an array of tasks.*Use yield whenAll\(tasks\)/);
    assert.match(message("orchestrations.ts", 38, "DD008"), /never yielded.*collect it for whenAll/);
    assert.match(message("orchestrations.ts", 39, "DD008"), /kept but never yielded \(nor passed to a yielded whenAll\/whenAny\)/);
    assert.match(message("orchestrations.ts", 40, "DD010"), /continueAsNew\(\) returns nothing to wait for/);
    assert.match(message("orchestrations.ts", 45, "DD009"), /No activity function named 'gret'.*did you mean 'greet'\?/);
    assert.match(
      message("orchestrations.ts", 46, "DD009"),
      /'unregistered' is registered with the worker \(callActivity\(unregistered\) calls the function by its name\)/,
    );
    assert.match(message("orchestrations.ts", 47, "DD009"), /No orchestration function named 'timeAndIdz'.*did you mean 'timeAndIds'\?/);
    assert.match(message("orchestrations.ts", 48, "DD014"), /Activity 'lookup' takes string, but this passes 42/);
    assert.match(message("orchestrations.ts", 49, "DD014"), /Activity 'lookup' returns string, but its result is stored as number/);
    assert.match(message("orchestrations.ts", 50, "DD015"), /No entity named 'ledger'.*Registered: 'counter'/);
    assert.match(message("orchestrations.ts", 51, "DD015"), /Entity 'counter' handles no operation 'subtract'\. It handles: 'add', 'get', 'delete'\./);
    assert.match(message("orchestrations.ts", 53, "DD016"), /new TaskHubGrpcClient\(\) in an orchestrator/);
    assert.match(message("orchestrations.ts", 54, "DD013"), /activities and whenAll/);
    assert.match(message("orchestrations.ts", 60, "DD017"), /ctx\.continueAsNew\(state, false\) and a return/);
    assert.match(
      message("orchestrations.ts", 66, "DD018"),
      /'plainGenerator' is a plain generator \(function\*\).*completes this orchestration at once with \{\}/,
    );
    assert.match(message("orchestrations.ts", 71, "DD018"), /'notAGenerator' is an async function, not an async generator/);
    assert.equal(results.find((r) => r.code === "DD018")?.severity, "error");
  });

  it("reports the rules in an untyped JavaScript app (registrations in a main(), in loops over lists imported from another file)", () => {
    const dir = path.join(FIXTURES, "hazards-js");
    const { code, results } = lint(dir);
    assert.equal(code, 1);
    assert.deepEqual(results.map((r) => keyOf(dir, r)).sort(), expected(dir));
    for (const result of results) assert.doesNotMatch(result.message, /context\.df|\bdf\./, result.message);
    assert.match(results.find((r) => r.code === "DD002" && r.file.endsWith("helpers.js"))?.message ?? "", /reached from orchestrator 'daily' via jitter\(\)/);
    assert.match(
      results.find((r) => r.code === "DD009" && r.line === 15)?.message ?? "",
      /No orchestration function named 'orphan'.*Registered: 'daily', 'legacy', 'quick'/,
    );
  });

  it("DD018 says what the SDK does: a plain function* completes at once with {} and runs nothing; an async function is not waited on", () => {
    // The SDK's in-memory backend and worker, in a child process (the SDK logs every work item to the console).
    const script = `
      const dt = require("@microsoft/durabletask-js");
      const ran = [];
      const work = async (_ctx, n) => { ran.push("work " + n); return n * 10; };
      function* plainGenerator(ctx) { ran.push("plainGenerator body"); return yield ctx.callActivity(work, 1); }
      async function plainAsync(ctx) { const r = await ctx.callActivity(work, 2); return { awaited: r.constructor.name }; }
      async function* asyncGenerator(ctx) { const r = yield ctx.callActivity(work, 3); return { yielded: r }; }
      (async () => {
        const backend = new dt.InMemoryOrchestrationBackend();
        const worker = new dt.TestOrchestrationWorker(backend);
        const client = new dt.TestOrchestrationClient(backend);
        for (const fn of [plainGenerator, plainAsync, asyncGenerator]) worker.addOrchestrator(fn);
        worker.addActivity(work);
        await worker.start();
        const outcome = {};
        for (const fn of [plainGenerator, plainAsync, asyncGenerator]) {
          const state = await client.waitForOrchestrationCompletion(await client.scheduleNewOrchestration(fn), true, 20);
          outcome[fn.name] = dt.OrchestrationStatus[state.runtimeStatus] + " " + state.serializedOutput;
        }
        outcome.ran = ran.filter((entry) => !entry.startsWith("work")).join(",") || "no body";
        process.stdout.write("\\nRESULT " + JSON.stringify(outcome) + "\\n");
        await worker.stop();
        process.exit(0);
      })();
    `;
    const run = spawnSync(process.execPath, ["-e", script], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    const line = /^RESULT (.*)$/m.exec(run.stdout)?.[1];
    assert.ok(line, run.stdout.slice(-2000) + run.stderr);
    assert.deepEqual(JSON.parse(line), {
      plainGenerator: "COMPLETED {}",
      plainAsync: 'COMPLETED {"awaited":"CompletableTask"}',
      asyncGenerator: 'COMPLETED {"yielded":30}',
      ran: "no body",
    });
  });
});

/** Applies LSP text edits (non-overlapping) to a text. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((result, edit) => result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end)), text);
}

describe("durabletask-js orchestrators through the language server", function () {
  let child: ChildProcess;
  let connection: ProtocolConnection;
  const published = new Map<string, { version?: number; diagnostics: Diagnostic[] }>();
  const versions = new Map<string, number>();
  let notify: () => void = () => undefined;

  const uriOf = (file: string) => pathToFileURL(file).toString();

  /** The diagnostics of a document once they are for its current version and satisfy `predicate`. */
  const diagnosticsOf = (file: string, predicate: (list: Diagnostic[]) => boolean = () => true) =>
    new Promise<Diagnostic[]>((resolve, reject) => {
      const uri = uriOf(file);
      const timeout = setTimeout(() => reject(new Error(`no matching diagnostics for ${file}: ${JSON.stringify(published.get(uri))}`)), 30_000);
      const check = () => {
        const entry = published.get(uri);
        if (!entry || entry.version !== versions.get(uri) || !predicate(entry.diagnostics)) return;
        clearTimeout(timeout);
        resolve(entry.diagnostics);
      };
      const previous = notify;
      notify = () => {
        previous();
        check();
      };
      check();
    });

  async function open(file: string): Promise<void> {
    const uri = uriOf(file);
    versions.set(uri, 1);
    const languageId = file.endsWith(".ts") ? "typescript" : "javascript";
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId, version: 1, text: fs.readFileSync(file, "utf8") } });
  }

  async function change(file: string, text: string): Promise<void> {
    const uri = uriOf(file);
    const version = (versions.get(uri) ?? 1) + 1;
    versions.set(uri, version);
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  }

  async function close(files: string[]): Promise<void> {
    for (const file of files) await connection.sendNotification("textDocument/didClose", { textDocument: { uri: uriOf(file) } });
  }

  /**
   * Applies the preferred fix of the first diagnostic that has one, one at a time as a user would, until none has;
   * the texts are kept in `texts` (and written to disk, as a save would). Returns what was applied.
   */
  async function applyFixes(files: string[], texts: Map<string, string>): Promise<{ code: string; title: string }[]> {
    const applied: { code: string; title: string }[] = [];
    for (let round = 0; round < 40; round++) {
      let chosen: { file: string; diagnostic: Diagnostic; fix: CodeAction } | undefined;
      for (const file of files) {
        for (const diagnostic of await diagnosticsOf(file)) {
          const actions = (await connection.sendRequest("textDocument/codeAction", {
            textDocument: { uri: uriOf(file) },
            range: diagnostic.range,
            context: { diagnostics: [diagnostic] },
          })) as CodeAction[];
          const fix = actions.find((action) => action.isPreferred);
          if (fix) {
            chosen = { file, diagnostic, fix };
            break;
          }
        }
        if (chosen) break;
      }
      if (!chosen) return applied;
      applied.push({ code: String(chosen.diagnostic.code), title: chosen.fix.title });
      for (const [uri, edits] of Object.entries(chosen.fix.edit?.changes ?? {})) {
        const file = files.find((f) => uriOf(f) === uri);
        assert.ok(file, `a fix edits ${uri}, which is not open`);
        const text = applyEdits(texts.get(file) as string, edits);
        texts.set(file, text);
        fs.writeFileSync(file, text);
        await change(file, text);
      }
    }
    assert.fail(`fixes did not run out: ${JSON.stringify(applied)}`);
  }

  before(async () => {
    child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
      published.set(params.uri, { version: params.version, diagnostics: params.diagnostics });
      notify();
    });
    connection.listen();
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification("initialized", {});
  });

  after(async () => {
    await connection.sendRequest("shutdown").catch(() => undefined);
    await connection.sendNotification("exit").catch(() => undefined);
    connection.dispose();
    child.kill();
  });

  for (const name of ["hazards-ts", "hazards-js"]) {
    it(`publishes the command line's findings for ${name}, at the same places`, async () => {
      const dir = copyOf(name);
      const files = sourceFiles(dir);
      for (const file of files) await open(file);
      const actual: string[] = [];
      for (const file of files) {
        for (const d of await diagnosticsOf(file))
          actual.push(`${path.relative(dir, file)}:${d.range.start.line + 1}:${d.range.start.character + 1}:${String(d.code)}`);
      }
      const lintResults = lint(dir).results.map((r) => `${path.relative(dir, r.file)}:${r.line}:${r.column}:${r.code}`);
      assert.deepEqual(actual.sort(), lintResults.sort());
      assert.deepEqual(actual.map((key) => key.replace(/:\d+:(DD\d+)$/, ":$1")).sort(), expected(dir));
      await close(files);
    });
  }

  it("fixes a TypeScript app's findings, one at a time, into code that type-checks under strict and lints clean", async () => {
    const dir = copyOf("fixes-ts");
    assert.deepEqual(typeErrors(dir), [], "the app compiles before the fixes");
    const app = path.join(dir, "src", "app.ts");
    const texts = new Map([[app, fs.readFileSync(app, "utf8")]]);
    await open(app);
    const applied = await applyFixes([app], texts);
    assert.deepEqual(await diagnosticsOf(app), [], JSON.stringify(applied, null, 2));
    const text = texts.get(app) as string;
    const titles = applied.map((fix) => `${fix.code} ${fix.title}`);
    // A yield of Promise.all/race is DD007 and DD010 at once: one fix (whenAll/whenAny) removes both.
    assert.deepEqual(
      titles.filter((title) => !/^DD0(07|10) Use when(All|Any)$/.test(title)),
      [
        "DD001 Use new Date(ctx.currentUtcDateTime.getTime())",
        "DD001 Use ctx.currentUtcDateTime.getTime()",
        "DD002 Use ctx.newGuid()",
        "DD010 Use yield ctx.createTimer(...)",
        "DD003 Use yield ctx.createTimer(...)",
        "DD003 Use yield ctx.createTimer(...)",
        `DD004 Move readFile(file, "utf8") into a new activity 'readFileActivity'`,
        "DD010 Use whenAll(tasks)",
        "DD008 Add yield",
        "DD009 Change to 'greet'",
        "DD006 Use yield (await does not wait for a durable task)",
        "DD006 Use yield (await does not wait for a durable task)",
        "DD018 Make it an async generator (async function*)",
        "DD018 Make it an async generator (async function*)",
        "DD006 Use yield (await does not wait for a durable task)",
        "DD018 Make it an async generator (async function*)",
        "DD006 Use yield (await does not wait for a durable task)",
      ],
      titles.join("\n"),
    );
    assert.equal(titles.filter((title) => /Use when(All|Any)$/.test(title)).length, 2, titles.join("\n"));
    assert.match(text, /^import \{ TaskHubGrpcWorker, type OrchestrationContext, type TOrchestrator, whenAll, whenAny \} from "@microsoft\/durabletask-js";$/m);
    assert.match(text, /const started = new Date\(ctx\.currentUtcDateTime\.getTime\(\)\);/);
    assert.match(text, /const startedMs = ctx\.currentUtcDateTime\.getTime\(\);/);
    assert.match(text, /const id = ctx\.newGuid\(\);/);
    assert.match(
      text,
      /  yield ctx\.createTimer\(new Date\(ctx\.currentUtcDateTime\.getTime\(\) \+ 5000\)\);\n  yield ctx\.createTimer\(new Date\(ctx\.currentUtcDateTime\.getTime\(\) \+ 250\)\);/,
    );
    assert.match(text, /  yield ctx\.createTimer\(new Date\(ctx\.currentUtcDateTime\.getTime\(\) \+ 1000\)\);\n  ctx\.setCustomStatus\("waited"\);/);
    assert.match(text, /const text: string = yield ctx\.callActivity\(readFileActivity, \{ file \}\);/);
    assert.match(text, /  worker\.addActivity\(double\);\n  worker\.addActivity\(readFileActivity\);\n  await worker\.start\(\);/);
    assert.match(text, /async function readFileActivity\(_ctx: unknown, \{ file \}: \{ file: string \}\) \{\n {4}return await readFile\(file, "utf8"\);\n\}/);
    assert.match(text, /yield whenAll\(\[ctx\.callActivity\(double, 1\)/);
    assert.match(text, /yield whenAny\(\[ctx\.callActivity\(double, 3\)/);
    assert.match(text, /const more: number\[\] = yield whenAll\(tasks\);/);
    assert.match(text, /  yield ctx\.callActivity\(greet, "dropped"\);/);
    assert.match(text, /const greeting: string = yield ctx\.callActivity\(greet, name\);/);
    assert.match(text, /export async function\* legacy\(ctx: OrchestrationContext, name: string\): AsyncGenerator<unknown, string, string> \{/);
    assert.match(
      text,
      /export async function\* quick\(ctx: OrchestrationContext, name: string\) \{\n  const text: string = yield ctx\.callActivity\(greet, name\);/,
    );
    assert.match(
      text,
      /export const quickArrow = async function\* \(ctx: OrchestrationContext, n: number\): AsyncGenerator<unknown, number> \{\n  const doubled: number = yield/,
    );
    assert.deepEqual(typeErrors(dir), [], text);
    assert.deepEqual(lint(dir).results, []);
    await close([app]);
  });

  it("fixes a JavaScript app's findings into code that parses, leaving the findings no fix can rewrite", async () => {
    const dir = copyOf("hazards-js");
    const files = sourceFiles(dir);
    const texts = new Map(files.map((file) => [file, fs.readFileSync(file, "utf8")]));
    for (const file of files) await open(file);
    const applied = await applyFixes(files, texts);
    assert.ok(applied.length >= 10, JSON.stringify(applied));
    for (const file of files) {
      const check = spawnSync(process.execPath, ["--check", file], { encoding: "utf8" });
      assert.equal(check.status, 0, check.stderr);
    }
    const orchestrations = texts.get(path.join(dir, "orchestrations.js")) as string;
    assert.match(orchestrations, /^const \{ whenAll \} = require\("@microsoft\/durabletask-js"\);$/m);
    assert.match(orchestrations, /const greetings = yield whenAll\(\[/);
    assert.match(orchestrations, /  yield ctx\.createTimer\(new Date\(ctx\.currentUtcDateTime\.getTime\(\) \+ delay\)\);/);
    assert.match(orchestrations, /^async function\* legacy\(ctx\) \{$/m);
    assert.match(orchestrations, /^const quick = async function\* \(ctx, name\) \{\n  const text = yield ctx\.callActivity\(hello, name\);/m);
    // No worker in the orchestrators' file to register a new activity with: I/O keeps its finding; so do the rest.
    const left = lint(dir).results.map((r) => `${path.basename(r.file)}:${r.code}`);
    assert.deepEqual(left.sort(), [
      "helpers.js:DD002",
      "orchestrations.js:DD004",
      "orchestrations.js:DD004",
      "orchestrations.js:DD006",
      "orchestrations.js:DD009",
      "orchestrations.js:DD011",
    ]);
    await close(files);
  });

  it("offers to move I/O into a new activity once the file registers with a worker (an edit inside a function body)", async () => {
    const dir = tempDir("dd-durabletask-worker-");
    fs.writeFileSync(path.join(dir, "package.json"), "{}");
    fs.copyFileSync(path.join(FIXTURES, "fixes-ts", "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.mkdirSync(path.join(dir, "src"));
    const file = path.join(dir, "src", "flow.ts");
    // main() declares its return type: its body is not part of what the checker sees of the file, so only the
    // recorded answer to "which worker does this file register with" can tell the analysis that the fix changed.
    const text = [
      `import { TaskHubGrpcWorker, type OrchestrationContext, type TOrchestrator } from "@microsoft/durabletask-js";`,
      ``,
      `export const flow: TOrchestrator = async function* (ctx: OrchestrationContext, url: string) {`,
      `  const response: Response = await fetch(url);`,
      `  return response.status;`,
      `};`,
      ``,
      `async function main(): Promise<void> {`,
      `  const worker = new TaskHubGrpcWorker({ hostAddress: "localhost:4001" });`,
      `  await worker.start();`,
      `}`,
      ``,
      `void main();`,
      ``,
    ].join("\n");
    fs.writeFileSync(file, text);
    await open(file);
    const fixTitles = async () => {
      const list = await diagnosticsOf(file, (l) => l.some((d) => d.code === "DD004"));
      const diagnostic = list.find((d) => d.code === "DD004") as Diagnostic;
      const actions = (await connection.sendRequest("textDocument/codeAction", {
        textDocument: { uri: uriOf(file) },
        range: diagnostic.range,
        context: { diagnostics: [diagnostic] },
      })) as CodeAction[];
      return actions.filter((action) => action.isPreferred).map((action) => action.title);
    };
    assert.deepEqual(await fixTitles(), []);
    await change(file, text.replace("  await worker.start();", "  worker.addOrchestrator(flow);\n  await worker.start();"));
    assert.deepEqual(await fixTitles(), ["Move fetch(url) into a new activity 'fetchActivity'"]);
    await close([file]);
  });

  it("follows edits: an activity no longer registered, an orchestrator made a plain generator and back", async () => {
    const dir = copyOf("clean-ts");
    const orchestrations = path.join(dir, "src", "orchestrations.ts");
    const worker = path.join(dir, "src", "worker.ts");
    await open(orchestrations);
    await open(worker);
    assert.deepEqual(await diagnosticsOf(orchestrations), []);
    const workerText = fs.readFileSync(worker, "utf8");
    await change(worker, workerText.replace(", sendReminder]", "]"));
    const unregistered = await diagnosticsOf(orchestrations, (list) => list.length > 0);
    assert.deepEqual(
      unregistered.map((d) => [String(d.code), d.range.start.line + 1]),
      [["DD009", 41]],
    );
    assert.match(String(unregistered[0].message), /No activity function named 'sendReminder' is registered with the worker/);
    await change(worker, workerText);
    await diagnosticsOf(orchestrations, (list) => list.length === 0);
    const text = fs.readFileSync(orchestrations, "utf8");
    await change(orchestrations, text.replace("export async function* approvalFlow", "export function* approvalFlow"));
    const plain = await diagnosticsOf(orchestrations, (list) => list.some((d) => d.code === "DD018"));
    assert.deepEqual(
      plain.map((d) => [String(d.code), d.range.start.line + 1]),
      [["DD018", 32]],
    );
    await change(orchestrations, text);
    assert.deepEqual(await diagnosticsOf(orchestrations, (list) => list.length === 0), []);
    await close([orchestrations, worker]);
  });
});
