/**
 * The incremental analysis gives what a fresh analysis gives. Through the real server over stdio: an edit to a helper
 * in another file updates the diagnostics it reaches from the orchestrator, a helper's type changing in its file
 * changes a finding in the orchestrator's, and renaming an activity's registration updates DD009 in the orchestrators
 * of other files (closed ones included), and back. In the analysis module: a small app whose orchestrator depends on
 * other files in every way the analysis reads them (a constant as an activity name, an entity's operation switch, an
 * activity handler's types, a registering helper and its callers, a helper's returned task, origin and entity id),
 * each edited in turn; a typed app (bench/typed-app.ts) taken through a series of edits of every kind; and a random
 * series of edits. After each edit the incremental analysis is compared with a fresh full analysis.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { Analyzer, type Finding } from "../../language-server/analysis/analyzer";
import { lintPaths } from "../../language-server/analysis/lint";
import { createProgram } from "../../language-server/analysis/project";
import { WorkspaceSession } from "../../language-server/analysis/workspace-session";
import { generateTypedApp } from "../../bench/typed-app";
import { tempDir } from "../emulator/harness";
import { BIN } from "../emulator/cli-runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");

const FILES: Record<string, string> = {
  "src/activities.ts": `import * as df from "durable-functions";
df.app.activity("work", { handler: (n: number) => n + 1 });
df.app.activity("audit", { handler: (s: string) => s.length });
`,
  "src/models.ts": `import type { OrchestrationContext, Task } from "durable-functions";

export interface Gateway {
  send(context: OrchestrationContext, n: number): Task;
}
`,
  "src/helpers.ts": `import type { OrchestrationContext, Task } from "durable-functions";
import type { Gateway } from "./models";

export function stamp(value: number): number {
  return value * 2;
}

export function next(context: OrchestrationContext, n: number): Task {
  return context.df.callActivity("work", n);
}

export const gateway: Gateway = { send: (context, n) => context.df.callActivity("work", n) };

export function viaA(): number {
  return shared();
}

export function viaB(): number {
  return shared();
}

function shared(): number {
  return 1;
}
`,
  "src/flow.ts": `import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";
import { gateway, next, stamp, viaA, viaB } from "./helpers";

const flow: OrchestrationHandler = function* (context: OrchestrationContext) {
  const a: number = yield context.df.callActivity("work", 1);
  const b: number = yield next(context, a);
  const c: number = yield gateway.send(context, b);
  return stamp(b) + viaA() + viaB() + c;
};
df.app.orchestration("flow", flow);
`,
  "src/other.ts": `import * as df from "durable-functions";

df.app.orchestration("other", function* (context) {
  const n: number = yield context.df.callActivity("work", 2);
  yield context.df.callActivity("audit", String(n));
  return n;
});
`,
};

function workspace(files: Record<string, string>): string {
  const dir = tempDir("dd-incremental-");
  fs.writeFileSync(path.join(dir, "package.json"), "{}");
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "commonjs", target: "es2022", strict: true, esModuleInterop: true, skipLibCheck: true, noEmit: true, types: [] },
      include: ["src/**/*.ts"],
    }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** What a fresh `lint` finds for these texts: file (relative), line, column, code and message, sorted. */
function freshLint(files: Record<string, string>): string[] {
  const dir = workspace(files);
  return lintPaths([dir])
    .map((r) => `${path.relative(dir, r.file)}:${r.line}:${r.column} ${r.code} ${r.message}`)
    .sort();
}

describe("the incremental analysis through the language server", function () {
  let child: ChildProcess;
  let connection: ProtocolConnection;
  let dir: string;
  const texts = { ...FILES };
  const latest = new Map<string, Diagnostic[]>();
  const listeners = new Set<() => void>();
  const versions = new Map<string, number>();
  const publishedVersions = new Map<string, number>();
  const uriOf = (file: string) => pathToFileURL(path.join(dir, file)).toString();

  const waitFor = (file: string, predicate: (list: Diagnostic[]) => boolean) =>
    new Promise<Diagnostic[]>((resolve, reject) => {
      const uri = uriOf(file);
      const timeout = setTimeout(
        () => reject(new Error(`no matching diagnostics for ${file}: ${JSON.stringify(latest.get(uri)?.map((d) => [d.code, d.message]))}`)),
        30_000,
      );
      const check = () => {
        const list = latest.get(uri);
        if (!list || !predicate(list)) return;
        clearTimeout(timeout);
        listeners.delete(check);
        resolve(list);
      };
      listeners.add(check);
      check();
    });

  const change = async (file: string, text: string) => {
    texts[file] = text;
    const uri = uriOf(file);
    const version = (versions.get(uri) ?? 1) + 1;
    versions.set(uri, version);
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
  };

  /** The server's diagnostics for every file equal a fresh lint of the same texts. */
  const matchesFreshLint = async () => {
    const expected = freshLint(texts);
    // Let the last analysis's notifications arrive.
    let served: string[] = [];
    for (let attempt = 0; attempt < 100; attempt++) {
      served = [...latest]
        .flatMap(([uri, list]) =>
          list.map(
            (d) => `${path.relative(dir, fileURLToPath(uri))}:${d.range.start.line + 1}:${d.range.start.character + 1} ${String(d.code)} ${String(d.message)}`,
          ),
        )
        .sort();
      if (JSON.stringify(served) === JSON.stringify(expected)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.deepEqual(served, expected);
  };

  before(async () => {
    dir = workspace(FILES);
    child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
      latest.set(params.uri, params.diagnostics);
      if (params.version !== undefined) publishedVersions.set(params.uri, params.version);
      for (const listener of [...listeners]) listener();
    });
    connection.listen();
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).toString(), capabilities: {} });
    await connection.sendNotification("initialized", {});
    for (const file of ["src/flow.ts", "src/helpers.ts", "src/activities.ts", "src/models.ts"]) {
      versions.set(uriOf(file), 1);
      await connection.sendNotification("textDocument/didOpen", {
        textDocument: { uri: uriOf(file), languageId: "typescript", version: 1, text: FILES[file] },
      });
    }
    await waitFor("src/models.ts", () => true);
    await matchesFreshLint();
  });

  after(async () => {
    await connection.sendRequest("shutdown").catch(() => undefined);
    await connection.sendNotification("exit").catch(() => undefined);
    connection.dispose();
    child.kill();
  });

  it("updates the diagnostics a helper in another file gets from the orchestrator", async () => {
    assert.deepEqual(latest.get(uriOf("src/helpers.ts")), []);
    await change("src/helpers.ts", texts["src/helpers.ts"].replace("  return value * 2;", "  return value * Date.now();"));
    const [dd001] = await waitFor("src/helpers.ts", (l) => l.length === 1);
    assert.equal(dd001.code, "DD001");
    assert.match(String(dd001.message), /reached from orchestrator 'flow' via stamp\(\)/);
    assert.equal(dd001.range.start.line, 4);
    assert.equal(publishedVersions.get(uriOf("src/helpers.ts")), versions.get(uriOf("src/helpers.ts")), "published with the edit's version");
    await matchesFreshLint();
    // The helper now calls another one, which is the one with the problem.
    await change(
      "src/helpers.ts",
      texts["src/helpers.ts"]
        .replace("  return value * Date.now();", "  return value * jitter();")
        .replace("export function next(", "function jitter(): number {\n  return Math.random();\n}\n\nexport function next("),
    );
    const [dd002] = await waitFor("src/helpers.ts", (l) => l.length === 1 && l[0].code === "DD002");
    assert.match(String(dd002.message), /via stamp\(\) → jitter\(\)/);
    await matchesFreshLint();
    await change("src/helpers.ts", FILES["src/helpers.ts"]);
    await waitFor("src/helpers.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });

  it("updates the orchestrator's diagnostics when a helper's type changes in its file", async () => {
    assert.deepEqual(latest.get(uriOf("src/flow.ts")), []);
    // next() now returns a Promise: yielding it is DD010, in flow.ts, though only helpers.ts changed.
    await change(
      "src/helpers.ts",
      texts["src/helpers.ts"].replace(
        'export function next(context: OrchestrationContext, n: number): Task {\n  return context.df.callActivity("work", n);',
        "export async function next(context: OrchestrationContext, n: number): Promise<number> {\n  return n + context.df.instanceId.length;",
      ),
    );
    const [dd010] = await waitFor("src/flow.ts", (l) => l.length === 1);
    assert.equal(dd010.code, "DD010");
    assert.equal(dd010.range.start.line, 6);
    await matchesFreshLint();
    await change("src/helpers.ts", FILES["src/helpers.ts"]);
    await waitFor("src/flow.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });

  it("updates the orchestrator's diagnostics when a type it only imports changes in another file", async () => {
    // gateway.send() is declared in models.ts; nothing there is walked, but yielding its result is now DD010.
    await change(
      "src/models.ts",
      FILES["src/models.ts"].replace(
        "send(context: OrchestrationContext, n: number): Task;",
        "send(context: OrchestrationContext, n: number): Promise<number>;",
      ),
    );
    const [dd010] = await waitFor("src/flow.ts", (l) => l.length === 1);
    assert.equal(dd010.code, "DD010");
    assert.equal(dd010.range.start.line, 7);
    await matchesFreshLint();
    await change("src/models.ts", FILES["src/models.ts"]);
    await waitFor("src/flow.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });

  it("walks a shared helper on the path that reaches it first once an earlier path stops calling it", async () => {
    await change(
      "src/helpers.ts",
      texts["src/helpers.ts"].replace("function shared(): number {\n  return 1;", "function shared(): number {\n  return Date.now();"),
    );
    const [first] = await waitFor("src/helpers.ts", (l) => l.length === 1);
    assert.match(String(first.message), /via viaA\(\) → shared\(\)/);
    await matchesFreshLint();
    await change(
      "src/helpers.ts",
      texts["src/helpers.ts"].replace("export function viaA(): number {\n  return shared();", "export function viaA(): number {\n  return 1;"),
    );
    const [second] = await waitFor("src/helpers.ts", (l) => l.length === 1 && /viaB/.test(String(l[0].message)));
    assert.match(String(second.message), /via viaB\(\) → shared\(\)/);
    await matchesFreshLint();
    await change("src/helpers.ts", FILES["src/helpers.ts"]);
    await waitFor("src/helpers.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });

  it("picks up files created or changed on disk (not in the editor) once edits pause", async () => {
    fs.writeFileSync(
      path.join(dir, "src", "late.ts"),
      'import * as df from "durable-functions";\n\ndf.app.orchestration("late", function* () {\n  const t = Date.now();\n  return t;\n});\n',
    );
    texts["src/late.ts"] = fs.readFileSync(path.join(dir, "src", "late.ts"), "utf8");
    const [dd001] = await waitFor("src/late.ts", (l) => l.length === 1);
    assert.equal(dd001.code, "DD001");
    const other = texts["src/other.ts"].replace("  return n;", "  return n + Math.random();");
    fs.writeFileSync(path.join(dir, "src", "other.ts"), other);
    texts["src/other.ts"] = other;
    const [dd002] = await waitFor("src/other.ts", (l) => l.length === 1);
    assert.equal(dd002.code, "DD002");
    await matchesFreshLint();
    fs.rmSync(path.join(dir, "src", "late.ts"));
    delete texts["src/late.ts"];
    fs.writeFileSync(path.join(dir, "src", "other.ts"), FILES["src/other.ts"]);
    texts["src/other.ts"] = FILES["src/other.ts"];
    await waitFor("src/late.ts", (l) => l.length === 0);
    await waitFor("src/other.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });

  it("updates DD009 in the orchestrators of other files when an activity's registration is renamed, and back", async () => {
    await change("src/activities.ts", FILES["src/activities.ts"].replace('df.app.activity("work"', 'df.app.activity("task"'));
    const [inFlow] = await waitFor("src/flow.ts", (l) => l.some((d) => d.code === "DD009"));
    assert.match(String(inFlow.message), /No activity function named 'work'/);
    // other.ts is not open: it hears about it all the same.
    const inOther = await waitFor("src/other.ts", (l) => l.some((d) => d.code === "DD009"));
    assert.equal(inOther.length, 1);
    // helpers.ts calls "work" too, on flow's path.
    await waitFor("src/helpers.ts", (l) => l.some((d) => d.code === "DD009"));
    await matchesFreshLint();
    await change("src/activities.ts", FILES["src/activities.ts"]);
    await waitFor("src/flow.ts", (l) => l.length === 0);
    await waitFor("src/other.ts", (l) => l.length === 0);
    await matchesFreshLint();
  });
});

describe("the incremental analysis of a typed app, edit by edit, against a fresh analysis", function () {
  const app = generateTypedApp({ orchestrators: 8, totalLines: 2_500, bigOrchestratorLines: 700 });
  const texts = new Map(app.files);
  const session = new WorkspaceSession(app.dir);
  let version = 1;
  const documents = new Map<string, { text: string; version: number }>();

  const comparable = (findings: Finding[]) => findings.map((f) => JSON.stringify(f));

  /** Applies the edit to the open documents, analyses incrementally, and compares with a fresh program's analysis. */
  const step = (
    description: string,
    file: string,
    edit: (text: string) => string,
    check?: (stats: ReturnType<WorkspaceSession["analyze"]>["stats"]) => void,
  ) => {
    it(description, () => {
      const before = texts.get(file) ?? "";
      const text = edit(before);
      assert.notEqual(text, before, "the edit changes the text");
      texts.set(file, text);
      documents.set(path.join(app.dir, file), { text, version: ++version });
      session.setDocuments(new Map(documents));
      const result = session.analyze({});
      const incremental = result.findings;
      check?.(result.stats);
      const overrides = new Map([...documents].map(([name, document]) => [name, document.text]));
      const fresh = new Analyzer(createProgram(app.dir, { overrides }), {}).analyze();
      assert.deepEqual(comparable(incremental), comparable(fresh));
    });
  };

  let orchestrators = 0;
  let inBigFile = 0;
  before(() => {
    session.setDocuments(new Map());
    const cold = session.analyze({}).findings;
    assert.ok(cold.length > 0);
    const found = new Analyzer(createProgram(app.dir)).orchestrators();
    orchestrators = found.length;
    inBigFile = found.filter(({ fn }) => fn.getSourceFile().fileName === path.join(app.dir, app.big.file)).length;
  });
  after(() => {
    session.dispose();
    fs.rmSync(app.dir, { recursive: true, force: true });
  });

  const big = app.big.file;
  const insertAfter = (needle: string, line: string) => (text: string) => text.replace(needle, `${needle}\n${line}`);
  it("keeps everything when a document opens with the text on disk", () => {
    documents.set(path.join(app.dir, big), { text: texts.get(big) as string, version: ++version });
    session.setDocuments(new Map(documents));
    const { stats } = session.analyze({});
    assert.equal(stats.walksRun, 0);
    assert.equal(stats.orchestratorsKept, orchestrators);
  });
  step(
    "typing in a phase (only that function is walked again, under each orchestrator that reaches it)",
    big,
    insertAfter("  let failures = 0;", "  failures += 0;"),
    (stats) => {
      // The phase is an orchestrator of its own (a generator taking the context) and a step of the big one: it is walked
      // again under both, with the callbacks inside it.
      assert.ok(stats.walksRun >= 2 && stats.walksRun <= 16, `${stats.walksRun} walks run`);
      // All but two are kept whole (those of the big file moved to where their functions are now): the phase's own and
      // the big orchestrator's, which walks it.
      assert.ok(inBigFile > 2);
      assert.equal(stats.orchestratorsKept, orchestrators - 2);
    },
  );
  step(
    "a clock read added in the orchestrator",
    big,
    insertAfter(`const ${app.big.name}: OrchestrationHandler = function* (context: OrchestrationContext) {`, "  const startedAt = Date.now();"),
  );
  step("a clock read added in a helper in another file", app.helper.file, (text) =>
    text.replace(/(export function [a-z]+Adjust0\([^)]*\): Money \{)/, "$1\n  const t = Date.now();"),
  );
  step("the helper suppresses it", app.helper.file, (text) =>
    text.replace("  const t = Date.now();", "  // durable-devkit-ignore DD001\n  const t = Date.now();"),
  );
  step("a model interface changes (a signature other files see)", "src/models/common.ts", (text) =>
    text.replace("export interface Money {\n  amount: number;", "export interface Money {\n  amount: number;\n  rounded?: boolean;"),
  );
  step("text inserted at the top of the big file (everything moves)", big, (text) => `// Fulfilment, end to end.\n// (moved down two lines)\n${text}`);
  step("a local helper renamed where it is declared (its calls no longer resolve to it)", big, (text) =>
    text.replace("function stageWeight0(", "function stageWeightZero("),
  );
  step("and back", big, (text) => text.replace("function stageWeightZero(", "function stageWeight0("));
  step("an activity's registration renamed (DD009 elsewhere)", app.activities.file, (text) =>
    text.replace(`df.app.activity("${app.activities.name}"`, `df.app.activity("${app.activities.name}Renamed"`),
  );
  step("and back", app.activities.file, (text) => text.replace(`df.app.activity("${app.activities.name}Renamed"`, `df.app.activity("${app.activities.name}"`));
  step(
    "a new orchestrator in a new file",
    "src/orchestrators/extra.ts",
    () =>
      `import * as df from "durable-functions";\nimport { correlationId } from "../shared/ids";\n\ndf.app.orchestration("extra", function* (context) {\n  const id = correlationId("extra");\n  yield context.df.callActivity("nope", id);\n});\n`,
  );
  step("an unannotated helper's body changes (its inferred type is seen by its callers)", "src/shared/format.ts", (text) =>
    text.replace(
      "export function padId(id: string, width = 12): string {",
      "export function padIdLoose(id: string) {\n  return id.length > 3 ? Math.random() : id;\n}\n\nexport function padId(id: string, width = 12): string {",
    ),
  );
  step("a typing state that does not parse", big, insertAfter("  let failures = 0;", '  const broken = context.df.callActivity("x", '));
  step("the clock reads removed", big, (text) => text.replace("  const startedAt = Date.now();\n", ""));
});

/** A session over a workspace of these files, and a step that edits one, analyses incrementally and compares with a fresh analysis. */
function sessionSteps(files: Record<string, string>, existing?: string) {
  const texts = new Map(Object.entries(files));
  let dir = "";
  let session: WorkspaceSession;
  let version = 1;
  const documents = new Map<string, { text: string; version: number }>();
  const comparable = (findings: Finding[]) => findings.map((f) => JSON.stringify(f)).sort();
  const analyse = (file: string, text: string) => {
    texts.set(file, text);
    documents.set(path.join(dir, file), { text, version: ++version });
    session.setDocuments(new Map(documents));
    const result = session.analyze({});
    const overrides = new Map([...documents].map(([name, document]) => [name, document.text]));
    const fresh = new Analyzer(createProgram(dir, { overrides }), {}).analyze();
    assert.deepEqual(comparable(result.findings), comparable(fresh));
    return result.findings;
  };
  return {
    texts,
    setUp() {
      dir = existing ?? workspace(files);
      session = new WorkspaceSession(dir);
      session.setDocuments(new Map());
      session.analyze({});
    },
    tearDown() {
      session.dispose();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    /** Edits `file` and checks the incremental findings; `expect` sees the codes found (file: code, sorted). */
    edit(file: string, change: (text: string) => string, expect?: (codes: string[]) => void) {
      const before = texts.get(file) ?? "";
      const text = change(before);
      assert.notEqual(text, before, "the edit changes the text");
      const findings = analyse(file, text);
      expect?.(findings.map((f) => `${path.relative(dir, f.file)}: ${f.code}`).sort());
    },
  };
}

const DEPENDENCIES: Record<string, string> = {
  "src/names.ts": `export const WORK = "work";
export const COUNTER = "counter";
`,
  "src/activities.ts": `import * as df from "durable-functions";
import type { Order } from "./models";
df.app.activity("work", { handler: (n: number) => n + 1 });
df.app.activity("price", { handler: async (order: Order): Promise<number> => order.total });
`,
  "src/models.ts": `export interface Order {
  id: string;
  total: number;
}
`,
  "src/entity.ts": `import * as df from "durable-functions";
df.app.entity("counter", (context) => {
  switch (context.df.operationName) {
    case "add":
      context.df.setState(1);
      break;
    case "get":
      context.df.return(1);
      break;
  }
});
`,
  "src/register.ts": `import * as df from "durable-functions";
export function registerFlow(name: string, handler: (context: any) => Generator<unknown, unknown, unknown>): void {
  df.app.orchestration(name, handler);
}
`,
  "src/flows.ts": `import { registerFlow } from "./register";
registerFlow("helped", function* (context) {
  yield context.df.callActivity("work", 1);
});
`,
  "src/helpers.ts": `import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
export function schedule(context: OrchestrationContext) {
  return context.df.callActivity("work", 2);
}
export function store() {
  return require("fs");
}
export function counterId(key: string) {
  return new df.EntityId("counter", key);
}
`,
  "src/flow.ts": `import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";
import { WORK, COUNTER } from "./names";
import { counterId, schedule, store } from "./helpers";

df.app.orchestration("flow", function* (context: OrchestrationContext) {
  const a: number = yield context.df.callActivity(WORK, 1);
  const price: number = yield context.df.callActivity("price", { id: "o", total: a });
  yield context.df.callEntity(new df.EntityId(COUNTER, "k"), "add", price);
  yield context.df.callEntity(counterId("k"), "get");
  yield context.df.callSubOrchestrator("helped");
  schedule(context);
  const text: string = store().readFileSync("x", "utf8");
  return text;
});
`,
};

describe("the incremental analysis of what an orchestrator reads in other files, edit by edit, against a fresh analysis", function () {
  const steps = sessionSteps(DEPENDENCIES);
  before(() => steps.setUp());
  after(() => steps.tearDown());
  const codes = (expected: string[]) => (found: string[]) => assert.deepEqual(found, expected.sort());
  // At rest: the bare schedule() is a dropped task (DD008), store().readFileSync is I/O (DD004).
  const atRest = ["src/flow.ts: DD004", "src/flow.ts: DD008"];

  it("a constant used as an activity name", () => {
    steps.edit("src/names.ts", (t) => t.replace('WORK = "work"', 'WORK = "wrk"'), codes([...atRest, "src/flow.ts: DD009"]));
    steps.edit("src/names.ts", (t) => t.replace('WORK = "wrk"', 'WORK = "work"'), codes(atRest));
  });
  it("a registration's name", () => {
    steps.edit(
      "src/activities.ts",
      (t) => t.replace('df.app.activity("work"', 'df.app.activity("wrk"'),
      codes([...atRest, "src/flow.ts: DD009", "src/flows.ts: DD009", "src/helpers.ts: DD009"]),
    );
    steps.edit("src/activities.ts", (t) => t.replace('df.app.activity("wrk"', 'df.app.activity("work"'), codes(atRest));
  });
  it("an entity's operation switch", () => {
    steps.edit("src/entity.ts", (t) => t.replace('case "add":', 'case "increment":'), codes([...atRest, "src/flow.ts: DD015"]));
    steps.edit("src/entity.ts", (t) => t.replace('case "increment":', 'case "add":'), codes(atRest));
  });
  it("an entity name made by a helper", () => {
    steps.edit(
      "src/helpers.ts",
      (t) => t.replace('new df.EntityId("counter", key)', 'new df.EntityId("countr", key)'),
      codes([...atRest, "src/flow.ts: DD015"]),
    );
    steps.edit("src/helpers.ts", (t) => t.replace('new df.EntityId("countr", key)', 'new df.EntityId("counter", key)'), codes(atRest));
  });
  it("an activity handler's parameter type, its return type, and a type it uses (DD014)", () => {
    steps.edit("src/activities.ts", (t) => t.replace("(order: Order)", "(order: string)"), codes([...atRest, "src/flow.ts: DD014"]));
    steps.edit("src/activities.ts", (t) => t.replace("(order: string)", "(order: Order)"), codes(atRest));
    steps.edit(
      "src/activities.ts",
      (t) => t.replace("Promise<number> => order.total", "Promise<string> => order.id"),
      codes([...atRest, "src/flow.ts: DD014"]),
    );
    steps.edit("src/activities.ts", (t) => t.replace("Promise<string> => order.id", "Promise<number> => order.total"), codes(atRest));
    // The handler's parameter type, in a file the orchestrator's does not import: the input no longer fits it.
    steps.edit("src/models.ts", (t) => t.replace("  total: number;", "  total: string;"), codes([...atRest, "src/flow.ts: DD014"]));
    steps.edit("src/models.ts", (t) => t.replace("  total: string;", "  total: number;"), codes(atRest));
  });
  it("a registering helper's caller", () => {
    steps.edit("src/flows.ts", (t) => t.replace('registerFlow("helped"', 'registerFlow("helper"'), codes([...atRest, "src/flow.ts: DD009"]));
    steps.edit(
      "src/flows.ts",
      (t) => t.replace('yield context.df.callActivity("work", 1);', 'yield context.df.callActivity("work", Date.now());'),
      codes([...atRest, "src/flow.ts: DD009", "src/flows.ts: DD001"]),
    );
    steps.edit("src/flows.ts", () => DEPENDENCIES["src/flows.ts"], codes(atRest));
  });
  it("whether a helper returns a task, and what a helper's value is", () => {
    steps.edit(
      "src/helpers.ts",
      (t) => t.replace('return context.df.callActivity("work", 2);', "return context.df.instanceId;"),
      codes(["src/flow.ts: DD004"]),
    );
    steps.edit(
      "src/helpers.ts",
      (t) => t.replace('return require("fs");', "return { readFileSync: (name: string, encoding: string) => name + encoding };"),
      codes([]),
    );
    steps.edit("src/helpers.ts", () => DEPENDENCIES["src/helpers.ts"], codes(atRest));
  });
  it("a suppression comment above a finding in another function", () => {
    steps.edit(
      "src/flow.ts",
      (t) => t.replace("  schedule(context);", "  // durable-devkit-ignore DD008\n  schedule(context);"),
      codes(["src/flow.ts: DD004"]),
    );
    steps.edit("src/flow.ts", () => DEPENDENCIES["src/flow.ts"], codes(atRest));
  });
});

describe("the incremental analysis through a random series of edits, against a fresh analysis", function () {
  const app = generateTypedApp({ orchestrators: 6, totalLines: 1_800, bigOrchestratorLines: 500 });
  const files = Object.fromEntries([...app.files].map(([file, text]) => [file, text]));
  const steps = sessionSteps(files, app.dir);
  before(() => steps.setUp());
  after(() => steps.tearDown());

  // A small generator of pseudo-random numbers, seeded: the same series on every run.
  let seed = 20240611;
  const random = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const names = Object.keys(files).filter((file) => file.startsWith("src/"));
  /** Edits of every kind, at a random place: a line inserted in a function body, a name or a type changed, an undo. */
  const edits: ((text: string) => string)[] = [
    (text) => {
      const bodies = [...text.matchAll(/\) (?::[^{\n]+)?\{\n/g)];
      if (!bodies.length) return `${text}\n// edited\n`;
      const at = (bodies[random(bodies.length)].index ?? 0) + bodies[0][0].length;
      const line = ["  const stamp = Date.now();", '  console.log("here");', "  const id = Math.random();", "  process.env.X;", "  if (true) {"][random(5)];
      return `${text.slice(0, at)}${line}\n${text.slice(at)}`;
    },
    (text) => text.replace(/df\.app\.activity\("([A-Za-z0-9]+)"/, (_, name: string) => `df.app.activity("${name}X"`),
    (text) => text.replace(/: (number|string);/, (_, type: string) => `: ${type === "number" ? "string" : "number"};`),
    (text) => text.replace(/callActivity\("([A-Za-z0-9]+)"/, (_, name: string) => `callActivity("${name.slice(0, -1)}"`),
    (text) => `// a comment that moves everything\n${text}`,
  ];
  for (let i = 0; i < 14; i++) {
    it(`edit ${i + 1}`, () => {
      const file = names[random(names.length)];
      const original = files[file];
      // Every third edit puts a file back as it was (if it changed).
      if (i % 3 === 2 && steps.texts.get(file) !== original) {
        steps.edit(file, () => original);
        return;
      }
      const edit = edits[random(edits.length)];
      let changed = edit(steps.texts.get(file) ?? "");
      if (changed === steps.texts.get(file)) changed = `${changed}\n// touched ${i}\n`;
      steps.edit(file, () => changed);
    });
  }
});
