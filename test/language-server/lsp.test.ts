/**
 * The language server through a real LSP client over stdio (`durable-devkit lsp --stdio` in a child process): the
 * diagnostics it publishes, their codes, ranges and related information, and quick fixes applied to the text, after
 * which the diagnostic is gone and the TypeScript still compiles.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type CodeAction,
  type Diagnostic,
  type TextEdit,
} from "vscode-languageserver-protocol/node";
import { tempDir } from "../emulator/harness";
import { BIN } from "../emulator/cli-runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");

const ORCHESTRATOR = `import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { stamp } from "./helpers";

df.app.activity("work", { handler: (n: number) => n + 1 });

const flow: OrchestrationHandler = function* (context: OrchestrationContext) {
  const started = new Date();
  const startedMs = Date.now();
  context.df.callActivity("work", 3);
  const results: number[] = yield Promise.all([context.df.callActivity("work", 1), context.df.callActivity("wrok", 2)]);
  const when = stamp();
  return { started: started.toISOString(), startedMs, results, when };
};
df.app.orchestration("flow", flow);
`;
/** Issue 14 item 9 and issue 15 items 7–8: the fixes for timers, random ids and I/O, each applied as a user would. */
const HAZARDS = `import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

const report: OrchestrationHandler = function* (context: OrchestrationContext) {
  const file: string = context.df.getInput();
  const id = randomUUID();
  yield new Promise((resolve) => setTimeout(resolve, 5000));
  yield sleep(250);
  setTimeout(() => context.log("later"), 1000);
  const text = readFileSync(file, "utf8");
  return { id, size: text.length };
};
df.app.orchestration("report", report);
`;
const HELPERS = `export function stamp(): number {
  return Date.now();
}
`;

/** Applies LSP text edits (non-overlapping) to a text. */
function applyEdits(text: string, edits: TextEdit[]): string {
  const lines = text.split("\n");
  const offset = (p: { line: number; character: number }) => lines.slice(0, p.line).reduce((sum, line) => sum + line.length + 1, 0) + p.character;
  return [...edits]
    .sort((a, b) => offset(b.range.start) - offset(a.range.start))
    .reduce((result, edit) => result.slice(0, offset(edit.range.start)) + edit.newText + result.slice(offset(edit.range.end)), text);
}

describe("the language server over stdio", function () {
  let child: ChildProcess;
  let connection: ProtocolConnection;
  let dir: string;
  const diagnostics = new Map<string, Diagnostic[]>();
  let notified: () => void = () => undefined;

  const waitForDiagnostics = (uri: string, predicate: (list: Diagnostic[]) => boolean) =>
    new Promise<Diagnostic[]>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`no matching diagnostics for ${uri}: ${JSON.stringify(diagnostics.get(uri))}`)), 20_000);
      const check = () => {
        const list = diagnostics.get(uri);
        if (list && predicate(list)) {
          clearTimeout(timeout);
          resolve(list);
          return true;
        }
        return false;
      };
      if (check()) return;
      const previous = notified;
      notified = () => {
        previous();
        check();
      };
    });

  /** Applies the preferred fix of one diagnostic at a time, as a user would, until none is left in the document. */
  async function applyPreferredFixes(
    uri: string,
    initial: string,
    firstVersion: number,
  ): Promise<{ text: string; applied: { code: string; title: string }[] }> {
    let text = initial;
    let version = firstVersion;
    const applied: { code: string; title: string }[] = [];
    for (let round = 0; round < 10; round++) {
      const list = await waitForDiagnostics(uri, () => true);
      if (!list.length) break;
      const diagnostic = list[0];
      const actions = (await connection.sendRequest("textDocument/codeAction", {
        textDocument: { uri },
        range: diagnostic.range,
        context: { diagnostics: [diagnostic] },
      })) as CodeAction[];
      const fix = actions.find((action) => action.isPreferred) as CodeAction;
      assert.ok(fix, `a quick fix for ${String(diagnostic.code)} ${diagnostic.message}: ${JSON.stringify(actions.map((a) => a.title))}`);
      applied.push({ code: String(diagnostic.code), title: fix.title });
      text = applyEdits(text, fix.edit?.changes?.[uri] ?? []);
      diagnostics.delete(uri);
      await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version: ++version }, contentChanges: [{ text }] });
    }
    return { text, applied };
  }

  before(async () => {
    dir = tempDir("dd-lsp-");
    fs.writeFileSync(path.join(dir, "package.json"), "{}");
    fs.writeFileSync(
      path.join(dir, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { module: "commonjs", target: "es2022", strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: ["node"] },
        include: ["src/**/*.ts"],
      }),
    );
    fs.mkdirSync(path.join(dir, "src"));
    fs.writeFileSync(path.join(dir, "src", "flow.ts"), ORCHESTRATOR);
    fs.writeFileSync(path.join(dir, "src", "helpers.ts"), HELPERS);
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
      diagnostics.set(params.uri, params.diagnostics);
      notified();
    });
    connection.listen();
    const init = (await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).toString(), capabilities: {} })) as {
      capabilities: { codeActionProvider?: unknown };
    };
    assert.ok(init.capabilities.codeActionProvider);
    await connection.sendNotification("initialized", {});
  });

  after(async () => {
    await connection.sendRequest("shutdown").catch(() => undefined);
    await connection.sendNotification("exit").catch(() => undefined);
    connection.dispose();
    child.kill();
  });

  it("publishes diagnostics with codes, ranges and the call path", async () => {
    const uri = pathToFileURL(path.join(dir, "src", "flow.ts")).toString();
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: ORCHESTRATOR } });
    const list = await waitForDiagnostics(uri, (l) => l.length >= 6);
    // yield Promise.all(...) is both a Promise combinator (DD007) and a yield of a Promise (DD010).
    assert.deepEqual(list.map((d) => d.code).sort(), ["DD001", "DD001", "DD007", "DD008", "DD009", "DD010"]);
    const dd001 = list.find((d) => d.code === "DD001") as Diagnostic;
    assert.deepEqual(dd001.range, { start: { line: 7, character: 18 }, end: { line: 7, character: 28 } });
    assert.equal(dd001.severity, 1);
    assert.equal(dd001.source, "durable-devkit");
    // The code links to its rule on the rules page, which is there to open.
    const href = dd001.codeDescription?.href ?? "";
    assert.match(href, /^file:.*\/docs\/rules\.md#dd001$/);
    assert.match(fs.readFileSync(fileURLToPath(href.replace(/#.*$/, "")), "utf8"), /<a id="dd001"><\/a>DD001/);
    const dd009 = list.find((d) => d.code === "DD009") as Diagnostic;
    assert.match(String(dd009.message), /did you mean 'work'/);

    const helpersUri = pathToFileURL(path.join(dir, "src", "helpers.ts")).toString();
    const inHelper = await waitForDiagnostics(helpersUri, (l) => l.length === 1);
    assert.equal(inHelper[0].code, "DD001");
    assert.match(inHelper[0].relatedInformation?.[0].message ?? "", /reached from orchestrator 'flow' via stamp\(\)/);
    assert.equal(inHelper[0].relatedInformation?.[0].location.uri, uri);
  });

  it("offers quick fixes that remove the problems and keep the code compiling", async () => {
    const uri = pathToFileURL(path.join(dir, "src", "flow.ts")).toString();
    const { text, applied } = await applyPreferredFixes(uri, ORCHESTRATOR, 1);
    const fixed = applied.map((fix) => fix.code);
    // DD007 and DD010 share one fix (Task.all): whichever comes first removes both.
    assert.deepEqual(fixed.filter((code) => code !== "DD007" && code !== "DD010").sort(), ["DD001", "DD001", "DD008", "DD009"]);
    assert.equal(fixed.filter((code) => code === "DD007" || code === "DD010").length, 1, fixed.join(", "));
    assert.deepEqual(await waitForDiagnostics(uri, () => true), []);
    // A copy of the package's Date: a later setHours on it must not move the orchestration's clock (issue 15 item 8).
    assert.match(text, /const started = new Date\(context\.df\.currentUtcDateTime\);/);
    assert.match(text, /const startedMs = context\.df\.currentUtcDateTime\.getTime\(\);/);
    assert.match(text, /  yield context\.df\.callActivity\("work", 3\);/);
    assert.match(text, /yield context\.df\.Task\.all\(\[/);
    assert.match(text, /callActivity\("work", 2\)/);
    fs.writeFileSync(path.join(dir, "src", "flow.ts"), text);
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const compiled = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { encoding: "utf8" });
    assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
  });

  it("fixes real timers into durable timers, random ids into newGuid and I/O into a new activity, and the result compiles", async () => {
    const uri = pathToFileURL(path.join(dir, "src", "report.ts")).toString();
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: HAZARDS } });
    const { text, applied } = await applyPreferredFixes(uri, HAZARDS, 1);
    const titles = applied.map((fix) => `${fix.code} ${fix.title}`);
    assert.deepEqual(await waitForDiagnostics(uri, () => true), [], text);
    assert.equal(titles.length, 5, titles.join("\n"));
    assert.match(text, /const id = context\.df\.newGuid\(context\.df\.instanceId\);/);
    assert.match(text, /yield context\.df\.createTimer\(new Date\(context\.df\.currentUtcDateTime\.getTime\(\) \+ 5000\)\);/);
    assert.match(text, /yield context\.df\.createTimer\(new Date\(context\.df\.currentUtcDateTime\.getTime\(\) \+ 250\)\);/);
    assert.match(text, /yield context\.df\.createTimer\(new Date\(context\.df\.currentUtcDateTime\.getTime\(\) \+ 1000\)\);\n  context\.log\("later"\);/);
    assert.match(text, /const text = yield context\.df\.callActivity\("readFileSyncActivity", \{ file \}\);/);
    assert.match(
      text,
      /df\.app\.activity\("readFileSyncActivity", \{\n    handler: async \(\{ file \}: \{ file: string \}\) => \{\n        return await readFileSync\(file, "utf8"\);/,
    );
    fs.writeFileSync(path.join(dir, "src", "report.ts"), text);
    const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
    const compiled = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json")], { encoding: "utf8" });
    assert.equal(compiled.status, 0, compiled.stdout + compiled.stderr);
    await connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
  });

  it("offers no 'Add yield' where yield would not compile (a non-generator orchestrator)", async () => {
    const uri = pathToFileURL(path.join(dir, "src", "plain.ts")).toString();
    const text = `import * as df from "durable-functions";\ndf.app.activity("work", { handler: (n: number) => n });\ndf.app.orchestration("plain", function (context) {\n  context.df.callActivity("work", 1);\n});\n`;
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text } });
    const list = await waitForDiagnostics(uri, (l) => l.some((d) => d.code === "DD008"));
    const diagnostic = list.find((d) => d.code === "DD008") as Diagnostic;
    const actions = (await connection.sendRequest("textDocument/codeAction", {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    assert.deepEqual(
      actions.map((a) => a.title),
      ["Ignore DD008 on this line"],
    );
    await connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
  });

  it("offers to silence a finding with a comment, which the analysis then respects", async () => {
    const uri = pathToFileURL(path.join(dir, "src", "helpers.ts")).toString();
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text: HELPERS } });
    const [diagnostic] = await waitForDiagnostics(uri, (l) => l.length === 1);
    const actions = (await connection.sendRequest("textDocument/codeAction", {
      textDocument: { uri },
      range: diagnostic.range,
      context: { diagnostics: [diagnostic] },
    })) as CodeAction[];
    const ignore = actions.find((action) => /Ignore DD001/.test(action.title)) as CodeAction;
    const text = applyEdits(HELPERS, ignore.edit?.changes?.[uri] ?? []);
    assert.match(text, /^  \/\/ durable-devkit-ignore DD001\n  return Date\.now\(\);/m);
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version: 2 }, contentChanges: [{ text }] });
    await waitForDiagnostics(uri, (l) => l.length === 0);
  });
});
