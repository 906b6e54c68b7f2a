/**
 * The determinism checker on a corpus of small workspaces: each rule positive and negative, calls followed across
 * files, aliases, destructuring, renamed imports, JavaScript and TypeScript.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";
import { lintPaths, type LintResult } from "../../language-server/analysis/lint";
import { Analyzer } from "../../language-server/analysis/analyzer";
import { createProgram } from "../../language-server/analysis/project";
import { tempDir } from "../emulator/harness";
import { BIN, cli } from "../emulator/cli-runner";
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type Diagnostic,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";

type Files = Record<string, string>;

function workspace(files: Files): string {
  const dir = tempDir("dd-lint-");
  fs.writeFileSync(path.join(dir, "package.json"), "{}");
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

function lint(files: Files): LintResult[] {
  return lintPaths([workspace(files)]);
}

const ORCH = (body: string, prelude = "") =>
  `const df = require("durable-functions");\n${prelude}\ndf.app.activity("work", { handler: () => 1 });\ndf.app.orchestration("main", function* (context) {\n${body}\n});\n`;
const TS_ORCH = (body: string, prelude = "") =>
  `import * as df from "durable-functions";\nimport type { OrchestrationContext, OrchestrationHandler } from "durable-functions";\n${prelude}\ndf.app.activity("work", { handler: () => 1 });\nconst main: OrchestrationHandler = function* (context: OrchestrationContext) {\n${body}\n};\ndf.app.orchestration("main", main);\n`;

interface Case {
  name: string;
  files: Files;
  /** Expected codes, in order of position; [] for none. */
  codes: string[];
  check?: (results: LintResult[]) => void;
}

const CASES: Case[] = [
  // DD001 time
  { name: "Date.now() in an orchestrator", files: { "a.js": ORCH("const t = Date.now();") }, codes: ["DD001"] },
  { name: "new Date() in an orchestrator", files: { "a.js": ORCH("const t = new Date();") }, codes: ["DD001"] },
  { name: "Date() in an orchestrator", files: { "a.js": ORCH("const t = Date();") }, codes: ["DD001"] },
  {
    name: "currentUtcDateTime is fine",
    files: { "a.js": ORCH("const t = context.df.currentUtcDateTime; const d = new Date(context.df.currentUtcDateTime);") },
    codes: [],
  },
  { name: "new Date(literal) is fine", files: { "a.js": ORCH('const d = new Date("2026-01-01T00:00:00Z");') }, codes: [] },
  {
    name: "Date.now() in an activity is fine",
    files: { "a.js": 'const df = require("durable-functions");\ndf.app.activity("stamp", { handler: () => Date.now() });\n' },
    codes: [],
  },
  // DD002 randomness
  { name: "Math.random()", files: { "a.js": ORCH("const r = Math.random();") }, codes: ["DD002"] },
  { name: "crypto.randomUUID() global", files: { "a.js": ORCH("const id = crypto.randomUUID();") }, codes: ["DD002"] },
  {
    name: "randomUUID imported from node:crypto",
    files: { "a.ts": TS_ORCH("const id = randomUUID();", 'import { randomUUID } from "node:crypto";') },
    codes: ["DD002"],
  },
  { name: "uuid v4 renamed import", files: { "a.ts": TS_ORCH("const id = makeId();", 'import { v4 as makeId } from "uuid";') }, codes: ["DD002"] },
  { name: "context.df.newGuid is fine", files: { "a.js": ORCH("const id = context.df.newGuid(context.df.instanceId);") }, codes: [] },
  // DD003 timers
  { name: "setTimeout", files: { "a.js": ORCH("setTimeout(() => undefined, 10);") }, codes: ["DD003"] },
  { name: "timers/promises setTimeout", files: { "a.js": ORCH("sleep(100);", 'const { setTimeout: sleep } = require("timers/promises");') }, codes: ["DD003"] },
  {
    name: "createTimer is fine",
    files: { "a.js": ORCH("yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 1000));") },
    codes: [],
  },
  // DD004 I/O
  { name: "fs.readFileSync", files: { "a.js": ORCH('const text = fs.readFileSync("x");', 'const fs = require("fs");') }, codes: ["DD004"] },
  {
    name: "readFile destructured from node:fs/promises",
    files: { "a.js": ORCH('readFile("x");', 'const { readFile } = require("node:fs/promises");') },
    codes: ["DD004"],
  },
  { name: "fetch", files: { "a.js": ORCH('fetch("http://example.test");') }, codes: ["DD004"] },
  { name: "axios default import", files: { "a.ts": TS_ORCH('axios.get("http://x");', 'import axios from "axios";') }, codes: ["DD004"] },
  { name: "child_process.execSync", files: { "a.js": ORCH('cp.execSync("ls");', 'const cp = require("child_process");') }, codes: ["DD004"] },
  {
    name: "fs in an activity is fine",
    files: {
      "a.js":
        'const df = require("durable-functions");\nconst fs = require("fs");\ndf.app.activity("read", { handler: () => fs.readFileSync("x", "utf8") });\n',
    },
    codes: [],
  },
  // DD005 environment
  { name: "process.env", files: { "a.js": ORCH("const url = process.env.API_URL;") }, codes: ["DD005"] },
  { name: "os.hostname()", files: { "a.js": ORCH("const h = os.hostname();", 'const os = require("os");') }, codes: ["DD005"] },
  // DD006 async
  {
    name: "async orchestrator",
    files: { "a.js": 'const df = require("durable-functions");\ndf.app.orchestration("main", async function (context) {\n  return 1;\n});\n' },
    codes: ["DD006"],
  },
  {
    name: "await inside an orchestrator",
    files: { "a.js": 'const df = require("durable-functions");\ndf.app.orchestration("main", async function (context) {\n  await Promise.resolve(1);\n});\n' },
    codes: ["DD006", "DD006"],
  },
  // DD007 Promise combinators
  { name: "Promise.all over tasks", files: { "a.js": ORCH('const r = yield Promise.all([context.df.callActivity("work")]);') }, codes: ["DD010", "DD007"] },
  { name: "Promise.race", files: { "a.js": ORCH('yield Promise.race([context.df.callActivity("work")]);') }, codes: ["DD010", "DD007"] },
  { name: "Task.all is fine", files: { "a.js": ORCH('const r = yield context.df.Task.all([context.df.callActivity("work")]);') }, codes: [] },
  // DD008 missing yield
  { name: "callActivity without yield", files: { "a.js": ORCH('context.df.callActivity("work");') }, codes: ["DD008"] },
  {
    name: "destructured df, createTimer without yield",
    files: { "a.js": ORCH("const { df } = context;\ndf.createTimer(new Date(df.currentUtcDateTime.getTime() + 5));") },
    codes: ["DD008"],
  },
  {
    name: "tasks kept for Task.all are fine",
    files: { "a.js": ORCH('const t = context.df.callActivity("work");\nyield context.df.Task.all([t]);') },
    codes: [],
  },
  // DD009 unknown names
  {
    name: "misspelled activity with a suggestion",
    files: { "a.js": ORCH('yield context.df.callActivity("wrok");') },
    codes: ["DD009"],
    check: (r) => assert.match(r[0].message, /did you mean 'work'/),
  },
  { name: "unknown sub-orchestration", files: { "a.js": ORCH('yield context.df.callSubOrchestrator("nope");') }, codes: ["DD009"] },
  {
    name: "activity registered in another file is known",
    files: {
      "a.js": ORCH('yield context.df.callActivity("elsewhere");'),
      "b.js": 'const df = require("durable-functions");\ndf.app.activity("elsewhere", { handler: () => 2 });\n',
    },
    codes: [],
  },
  // DD010 yielding something that is not a task
  { name: "yield of a promise", files: { "a.ts": TS_ORCH("const x: unknown = yield Promise.resolve(1);") }, codes: ["DD010"] },
  { name: "yield of a plain value", files: { "a.js": ORCH("yield 42;") }, codes: ["DD010"] },
  { name: "yield of a task kept in a variable is fine", files: { "a.js": ORCH('const t = context.df.callActivity("work");\nconst r = yield t;') }, codes: [] },
  // DD011 logging
  { name: "console.log", files: { "a.js": ORCH('console.log("hi");') }, codes: ["DD011"], check: (r) => assert.equal(r[0].severity, "information") },
  { name: "console.log behind !isReplaying is fine", files: { "a.js": ORCH('if (!context.df.isReplaying) console.log("hi");') }, codes: [] },
  { name: "context.log is fine", files: { "a.js": ORCH('context.log("hi");') }, codes: [] },
  // DD012 module state
  { name: "writes a module-level counter", files: { "a.js": ORCH("calls++;", "let calls = 0;") }, codes: ["DD012"] },
  { name: "writes a property of a module-level object", files: { "a.js": ORCH("cache.last = 1;", "const cache = {};") }, codes: ["DD012"] },
  { name: "local state is fine", files: { "a.js": ORCH("let n = 0; n++; const o = {}; o.x = 1;") }, codes: [] },
  // DD013 threads
  {
    name: "new Worker from worker_threads",
    files: { "a.js": ORCH('new Worker("./w.js");', 'const { Worker } = require("worker_threads");') },
    codes: ["DD013"],
  },
  { name: "cluster.fork()", files: { "a.js": ORCH("cluster.fork();", 'const cluster = require("cluster");') }, codes: ["DD013"] },
  // Following calls
  {
    name: "a helper in the same file",
    files: { "a.js": ORCH("const t = now();", "function now() { return Date.now(); }") },
    codes: ["DD001"],
    check: (r) => assert.match(r[0].message, /reached from orchestrator 'main' via now\(\)/),
  },
  {
    name: "a helper imported from another file (TS, renamed import)",
    files: {
      "src/orch.ts": TS_ORCH("const v = check(1);", 'import { validate as check } from "./helpers";'),
      "src/helpers.ts": "export function validate(n: number) { return stamp() + n; }\nfunction stamp() { return Date.now(); }\n",
    },
    codes: ["DD001"],
    check: (r) => {
      assert.match(r[0].file, /helpers\.ts$/);
      assert.match(r[0].message, /via validate\(\) → stamp\(\)/);
    },
  },
  {
    name: "a helper required from another JS file, destructured",
    files: {
      "orch.js": ORCH("const x = pick([1, 2]);", 'const { pick } = require("./util");'),
      "util.js": "function pick(list) { return list[Math.floor(Math.random() * list.length)]; }\nmodule.exports = { pick };\n",
    },
    codes: ["DD002"],
  },
  { name: "an arrow helper assigned to a const", files: { "a.js": ORCH("tick();", "const tick = () => setInterval(() => 0, 5);") }, codes: ["DD003"] },
  {
    name: "a deterministic helper is fine",
    files: { "a.js": ORCH("const s = sum([1, 2]);", "function sum(list) { return list.reduce((a, b) => a + b, 0); }") },
    codes: [],
  },
  { name: "a helper called twice reports once", files: { "a.js": ORCH("now(); now();", "function now() { return Date.now(); }") }, codes: ["DD001"] },
  // Finding orchestrators
  {
    name: "a handler passed by name",
    files: { "a.js": 'const df = require("durable-functions");\nfunction* flow(context) { const t = Date.now(); }\ndf.app.orchestration("flow", flow);\n' },
    codes: ["DD001"],
  },
  {
    name: "a handler in an options object",
    files: { "a.js": 'const df = require("durable-functions");\ndf.app.orchestration("flow", { handler: function* (context) { Math.random(); } });\n' },
    codes: ["DD002"],
  },
  {
    name: "an OrchestrationHandler-typed function not registered here",
    files: {
      "a.ts":
        'import type { OrchestrationHandler } from "durable-functions";\nexport const flow: OrchestrationHandler = function* (context) { const t = new Date(); };\n',
    },
    codes: ["DD001"],
  },
  {
    name: "a handler imported from another file",
    files: {
      "reg.js": 'const df = require("durable-functions");\nconst { flow } = require("./flow");\ndf.app.orchestration("flow", flow);\n',
      "flow.js": "exports.flow = function* (context) { Date.now(); };\n",
    },
    codes: ["DD001"],
  },
  {
    name: "df.orchestrator() wrapper",
    files: { "a.js": 'const df = require("durable-functions");\nmodule.exports = df.orchestrator(function* (context) { Date.now(); });\n' },
    codes: ["DD001"],
  },
  {
    name: "HTTP and entity functions are never flagged",
    files: {
      "a.js":
        'const { app } = require("@azure/functions");\nconst df = require("durable-functions");\napp.http("h", { handler: async () => ({ body: String(Date.now() + Math.random()) }) });\ndf.app.entity("e", (context) => { context.df.setState(Date.now()); });\n',
    },
    codes: [],
  },
  // Suppression
  { name: "suppressed on the line above", files: { "a.js": ORCH("// durable-devkit-ignore DD001\nconst t = Date.now();") }, codes: [] },
  { name: "suppression of another rule does not hide it", files: { "a.js": ORCH("// durable-devkit-ignore DD002\nconst t = Date.now();") }, codes: ["DD001"] },
  { name: "suppressed on the same line", files: { "a.js": ORCH("const t = Date.now(); // durable-devkit-ignore DD001") }, codes: [] },
  // Several findings and positions
  {
    name: "positions are 1-based and cover the call",
    files: { "a.js": ORCH("  const t = Date.now();") },
    codes: ["DD001"],
    check: (r) => {
      assert.equal(r[0].line, 5);
      assert.equal(r[0].column, 13);
      assert.equal(r[0].endColumn, 23);
    },
  },
  {
    name: "several problems in one orchestrator",
    files: { "a.js": ORCH('const a = Date.now();\nconst b = Math.random();\nconsole.log(a, b);\ncontext.df.callActivity("work");') },
    codes: ["DD001", "DD002", "DD011", "DD008"],
  },
  // Issue 15: the forms real code uses.
  {
    name: "property shorthand handler does not crash and is checked",
    files: {
      "a.js":
        'const df = require("durable-functions");\nconst handler = function* (context) { Date.now(); };\ndf.app.orchestration("flow", { handler });\ndf.app.activity("act", { handler });\n',
    },
    codes: ["DD001"],
  },
  { name: "an aliased Date constructor", files: { "a.js": ORCH("const D = Date;\nconst t = new D();") }, codes: ["DD001"] },
  { name: "globalThis.Date.now()", files: { "a.js": ORCH("const t = globalThis.Date.now();") }, codes: ["DD001"] },
  { name: "random destructured from Math", files: { "a.js": ORCH("const r = random();", "const { random } = Math;") }, codes: ["DD002"] },
  { name: 'Math["random"]()', files: { "a.js": ORCH('const r = Math["random"]();') }, codes: ["DD002"] },
  { name: "globalThis.setTimeout", files: { "a.js": ORCH("globalThis.setTimeout(() => 0, 5);") }, codes: ["DD003"] },
  { name: "env destructured from process", files: { "a.js": ORCH("const url = env.API_URL;", "const { env } = process;") }, codes: ["DD005"] },
  { name: "performance.now()", files: { "a.js": ORCH("const t = performance.now();") }, codes: ["DD001"] },
  {
    name: "a default parameter reading the clock",
    files: { "a.js": ORCH("const t = stamp();", "function stamp(at = new Date()) { return at.toISOString(); }") },
    codes: ["DD001"],
  },
  {
    name: "luxon DateTime.now()",
    files: { "a.ts": TS_ORCH('const t = DateTime.now();\nconst u = DateTime.fromISO("2026-01-01");', 'import { DateTime } from "luxon";') },
    codes: ["DD001"],
  },
  {
    name: "moment() and dayjs() without arguments (not with one)",
    files: {
      "a.js": ORCH(
        'const a = moment();\nconst b = dayjs();\nconst c = moment("2026-01-01");',
        'const moment = require("moment");\nconst dayjs = require("dayjs");',
      ),
    },
    codes: ["DD001", "DD001"],
  },
  {
    name: "uuid v7 and nanoid",
    files: { "a.ts": TS_ORCH("const a = v7();\nconst b = nanoid();", 'import { v7 } from "uuid";\nimport { nanoid } from "nanoid";') },
    codes: ["DD002", "DD002"],
  },
  { name: "a parameter named random is not Math.random", files: { "a.js": ORCH("const pick = (random) => random();\nconst n = pick(() => 4);") }, codes: [] },
  { name: "a local Date class is not the clock", files: { "a.ts": TS_ORCH("const d = new Date();", "class Date { constructor() {} }") }, codes: [] },
  { name: "a sort comparator callback", files: { "a.js": ORCH("const shuffled = [1, 2, 3].sort(() => Math.random() - 0.5);") }, codes: ["DD002"] },
  {
    name: "a named function passed to map",
    files: { "a.js": ORCH("const stamped = [1, 2].map(addStamp);", "function addStamp(x) { return { x, at: Date.now() }; }") },
    codes: ["DD001"],
  },
  { name: "a callback inside new Promise", files: { "a.js": ORCH("yield new Promise((resolve) => setTimeout(resolve, 100));") }, codes: ["DD010", "DD003"] },
  { name: "a task kept in a variable and never yielded", files: { "a.js": ORCH('const t = context.df.callActivity("work");\nreturn 1;') }, codes: ["DD008"] },
  {
    name: "tasks pushed into an array that is never yielded",
    files: { "a.js": ORCH('const tasks = [];\nfor (const x of [1, 2]) tasks.push(context.df.callActivity("work", x));\nreturn tasks.length;') },
    codes: ["DD008"],
  },
  {
    name: "tasks pushed into an array and yielded with Task.all are fine",
    files: {
      "a.js": ORCH('const tasks = [];\nfor (const x of [1, 2]) tasks.push(context.df.callActivity("work", x));\nconst r = yield context.df.Task.all(tasks);'),
    },
    codes: [],
  },
  {
    name: "tasks mapped and yielded are fine",
    files: { "a.js": ORCH('const tasks = [1, 2].map((x) => context.df.callActivity("work", x));\nyield context.df.Task.all(tasks);') },
    codes: [],
  },
  {
    name: "tasks mapped and dropped",
    files: { "a.js": ORCH('const tasks = [1, 2].map((x) => context.df.callActivity("work", x));\nreturn 2;') },
    codes: ["DD008"],
  },
  { name: "a task made in forEach is dropped", files: { "a.js": ORCH('[1, 2].forEach((x) => context.df.callActivity("work", x));') }, codes: ["DD008"] },
  {
    name: "a Task.all that is never yielded",
    files: { "a.js": ORCH('const all = context.df.Task.all([context.df.callActivity("work")]);') },
    codes: ["DD008"],
  },
  {
    name: "a helper's task dropped by the orchestrator",
    files: { "a.js": ORCH("notify(context);", 'function notify(ctx) { return ctx.df.callActivity("work"); }') },
    codes: ["DD008"],
  },
  {
    name: "a helper's task yielded is fine",
    files: { "a.js": ORCH("yield notify(context);", 'function notify(ctx) { return ctx.df.callActivity("work"); }') },
    codes: [],
  },
  {
    name: "a sub-generator called without yield*",
    files: { "a.js": ORCH("step(context);", 'function* step(ctx) { yield ctx.df.callActivity("work"); }') },
    codes: ["DD008"],
  },
  {
    name: "a sub-generator run with yield* is fine",
    files: { "a.js": ORCH("yield* step(context);", 'function* step(ctx) { yield ctx.df.callActivity("work"); }') },
    codes: [],
  },
  { name: "yield of signalEntity", files: { "a.js": ORCH('yield context.df.signalEntity(new df.EntityId("counter", "k"), "add", 1);') }, codes: ["DD010"] },
  { name: "yield of continueAsNew", files: { "a.js": ORCH("yield context.df.continueAsNew(1);") }, codes: ["DD010"] },
  {
    name: "a handler in an options variable",
    files: {
      "a.js":
        'const df = require("durable-functions");\nconst options = { handler: function* (context) { Math.random(); } };\ndf.app.orchestration("flow", options);\n',
    },
    codes: ["DD002"],
  },
  {
    name: "a record of handlers registered in a loop",
    files: {
      "a.js":
        'const df = require("durable-functions");\nconst flows = { a: function* (context) { Date.now(); }, b: function* (context) { Math.random(); } };\nfor (const [name, handler] of Object.entries(flows)) df.app.orchestration(name, handler);\ndf.app.orchestration("main", function* (context) { yield context.df.callSubOrchestrator("a"); yield context.df.callSubOrchestrator("c"); });\n',
    },
    codes: ["DD001", "DD002", "DD009"],
  },
  {
    name: "a wrapper function around the generator",
    files: {
      "a.js":
        'const df = require("durable-functions");\nfunction withLogging(fn) { return function* (context) { context.log("start"); return yield* fn(context); }; }\ndf.app.orchestration("flow", withLogging(function* (context) { Date.now(); }));\n',
    },
    codes: ["DD001"],
  },
  {
    name: "a registering helper",
    files: {
      "a.js":
        'const df = require("durable-functions");\nfunction register(name, handler) { df.app.orchestration(name, handler); }\nregister("flow", function* (context) { Date.now(); });\n',
    },
    codes: ["DD001"],
  },
  {
    name: "activity names through a const (the official cancelTimer sample)",
    files: {
      "a.js":
        'const df = require("durable-functions");\nconst activityName = "sayHello";\ndf.app.activity(activityName, { handler: (n) => `Hello ${n}` });\ndf.app.orchestration("flow", function* (context) { yield context.df.callActivity("sayHello", "x"); });\n',
    },
    codes: [],
  },
  {
    name: "activity names through an enum and a const record",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\nenum Acts { Pay = "pay" }\nconst Names = { Ship: "ship" } as const;\ndf.app.activity(Acts.Pay, { handler: () => 1 });\ndf.app.activity(Names.Ship, { handler: () => 1 });\ndf.app.orchestration("flow", function* (context) { yield context.df.callActivity(Acts.Pay); yield context.df.callActivity(Names.Ship); yield context.df.callActivity("pya"); });\n',
    },
    codes: ["DD009"],
  },
  {
    name: "activity names registered in a loop",
    files: {
      "a.js":
        'const df = require("durable-functions");\nfor (const name of ["a", "b"]) df.app.activity(name, { handler: () => 1 });\ndf.app.orchestration("flow", function* (context) { yield context.df.callActivity("b"); yield context.df.callActivity("c"); });\n',
    },
    codes: ["DD009"],
  },
  {
    name: "a name that cannot be known turns the check off",
    files: {
      "a.js":
        'const df = require("durable-functions");\nfor (const name of loadNames()) df.app.activity(name, { handler: () => 1 });\ndf.app.orchestration("flow", function* (context) { yield context.df.callActivity("anything"); });\n',
    },
    codes: [],
  },
  { name: "guard with &&", files: { "a.js": ORCH('!context.df.isReplaying && console.log("hi");') }, codes: [] },
  { name: "guard through a local", files: { "a.js": ORCH('const replaying = context.df.isReplaying;\nif (!replaying) console.log("hi");') }, codes: [] },
  { name: "early-return guard", files: { "a.js": ORCH('const log = () => { if (context.df.isReplaying) return; console.log("hi"); };\nlog();') }, codes: [] },
  {
    name: "a helper called under the guard",
    files: { "a.js": ORCH('if (!context.df.isReplaying) trace("x");', "function trace(m) { console.log(m); }") },
    codes: [],
  },
  { name: "a helper called without the guard logs", files: { "a.js": ORCH('trace("x");', "function trace(m) { console.log(m); }") }, codes: ["DD011"] },
  {
    name: "activity input type mismatch",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\ninterface Order { id: string; total: number }\ndf.app.activity("charge", { handler: (order: Order) => order.total });\ndf.app.orchestration("flow", function* (context) {\n  yield context.df.callActivity("charge", { id: "1" });\n  const ok: number = yield context.df.callActivity("charge", { id: "1", total: 2 });\n  const bad: string = yield context.df.callActivity("charge", { id: "1", total: 2 });\n});\n',
    },
    codes: ["DD014", "DD014"],
  },
  // DD014 first tries the type the code declares (declared-types.ts), then the precise, narrowed one.
  {
    name: "activity input declared wider than the handler takes, narrowed to fit",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\ndf.app.activity("greet", { handler: (name: string) => name });\ndf.app.orchestration("flow", function* (context) {\n  const name: string | undefined = context.df.getInput<string>();\n  if (name !== undefined) yield context.df.callActivity("greet", name);\n});\n',
    },
    codes: [],
  },
  {
    name: "activity input declared with the wrong type, and returned by a helper with the wrong type",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\ninterface Order { id: string; total: number }\nfunction orderId(order: Order): string { return order.id; }\ndf.app.activity("charge", { handler: (order: Order) => order.total });\ndf.app.orchestration("flow", function* (context) {\n  const order: Order = { id: "1", total: 2 };\n  const id: string = orderId(order);\n  yield context.df.callActivity("charge", id);\n  yield context.df.callActivity("charge", orderId(order));\n  yield context.df.callActivity("charge", order);\n});\n',
    },
    codes: ["DD014", "DD014"],
  },
  {
    name: "activity input from an overloaded helper: the overload the call picks decides",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\nfunction make(kind: "n"): number;\nfunction make(kind: "s"): string;\nfunction make(kind: string): unknown { return kind === "n" ? 1 : "s"; }\ndf.app.activity("count", { handler: (n: number) => n });\ndf.app.orchestration("flow", function* (context) {\n  yield context.df.callActivity("count", make("n"));\n  yield context.df.callActivity("count", make("s"));\n});\n',
    },
    codes: ["DD014"],
  },
  {
    name: "activity inputs built from a spread, an array callback's parameters and nested literals",
    files: {
      "a.ts":
        'import * as df from "durable-functions";\ninterface Line { sku: string }\ninterface Step { id: string; lines: Line[]; payload: Record<string, unknown>; meta: { n: number; tag?: string } }\nfunction base(id: string): { id: string } { return { id }; }\nfunction batches(): Line[][] { return [[{ sku: "a" }]]; }\nfunction counts(): number[][] { return [[1]]; }\ndf.app.activity("step", { handler: (step: Step) => step.id });\ndf.app.orchestration("flow", function* (context) {\n  yield context.df.Task.all(batches().map((lines, batch) => context.df.callActivity("step", { ...base("x"), lines, payload: { batch }, meta: { n: batch } })));\n  yield context.df.Task.all(counts().map((lines, batch) => context.df.callActivity("step", { ...base("x"), lines, payload: { batch }, meta: { n: batch } })));\n  yield context.df.callActivity("step", { ...base("x"), lines: [], payload: {}, meta: { n: "one" } });\n  yield context.df.callActivity("step", { id: "x", lines: [], payload: {} });\n});\n',
    },
    codes: ["DD014", "DD014", "DD014"],
  },
  {
    name: "unknown entity and operation",
    files: {
      "a.js":
        'const df = require("durable-functions");\ndf.app.entity("Counter", (context) => { switch (context.df.operationName) { case "add": break; case "reset": break; } });\ndf.app.orchestration("flow", function* (context) {\n  const id = new df.EntityId("Counter", "k");\n  yield context.df.callEntity(id, "add", 1);\n  context.df.signalEntity(id, "ad", 1);\n  context.df.signalEntity(new df.EntityId("Countr", "k"), "add", 1);\n});\n',
    },
    codes: ["DD015", "DD015"],
  },
  {
    name: "a durable client in an orchestrator",
    files: {
      "a.js":
        'const df = require("durable-functions");\ndf.app.orchestration("flow", function* (context) { const client = df.getClient(context); const x = context.extraInputs.get("x"); });\n',
    },
    codes: ["DD016", "DD016"],
  },
  {
    name: "an eternal loop without continueAsNew",
    files: {
      "a.js": ORCH(
        'while (true) {\n  yield context.df.callActivity("work");\n  yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60000));\n}',
      ),
    },
    codes: ["DD017"],
  },
  {
    name: "a loop with continueAsNew or a way out is fine",
    files: {
      "a.js": ORCH(
        'while (true) {\n  const r = yield context.df.callActivity("work");\n  if (r) break;\n}\nyield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + 60000));\ncontext.df.continueAsNew(1);',
      ),
    },
    codes: [],
  },
  {
    name: "an SDK client's calls are I/O, its factories are not",
    files: {
      "a.ts": TS_ORCH(
        'const container = blobs.getContainerClient("orders");\nyield container.getBlockBlobClient("x").upload("x", 1);',
        'import { BlobServiceClient } from "@azure/storage-blob";\nconst blobs = BlobServiceClient.fromConnectionString("c");',
      ),
    },
    codes: ["DD010", "DD004"],
  },
  {
    name: "a TypeScript orchestrator with no problems",
    files: { "a.ts": TS_ORCH('const x: number = yield context.df.callActivity("work", 1);\nreturn x;') },
    codes: [],
  },
];

describe("the determinism checker (corpus)", function () {
  for (const testCase of CASES) {
    it(testCase.name, () => {
      const results = lint(testCase.files);
      assert.deepEqual(
        results.map((r) => r.code),
        testCase.codes,
        JSON.stringify(results, null, 2),
      );
      testCase.check?.(results);
    });
  }
});

describe("the determinism checker when it fails", function () {
  it("reports an internal error on the one orchestrator it happened in (DD000), and every other orchestrator keeps its findings", () => {
    const dir = workspace({
      "a.js": 'const df = require("durable-functions");\ndf.app.orchestration("explodes", function* (context) { Date.now(); });\n',
      "b.js": 'const df = require("durable-functions");\ndf.app.orchestration("fine", function* (context) { Math.random(); });\n',
    });
    const analyzer = new Analyzer(createProgram(dir));
    // A stand-in for a bug in one rule: the only way to make the checker fail on purpose.
    const internals = analyzer as unknown as { checkCall: (node: ts.CallExpression, ...rest: unknown[]) => void };
    const checkCall = internals.checkCall.bind(analyzer);
    internals.checkCall = (node, ...rest) => {
      if (node.getSourceFile().fileName.endsWith("a.js")) throw new Error("boom");
      checkCall(node, ...rest);
    };
    const findings = analyzer.analyze();
    assert.deepEqual(findings.map((f) => [path.basename(f.file), f.code]).sort(), [
      ["a.js", "DD000"],
      ["b.js", "DD002"],
    ]);
    assert.match(findings.find((f) => f.code === "DD000")!.message, /failed on orchestrator 'explodes' \(boom\); other orchestrators are checked/);
  });
});

describe("the determinism checker (corpus) through a real LSP client over stdio", function () {
  let child: ChildProcess;
  let connection: ProtocolConnection;
  const published = new Map<string, Diagnostic[]>();
  const listeners = new Set<() => void>();

  before(async () => {
    child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
    connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
      published.set(params.uri, params.diagnostics);
      for (const listener of listeners) listener();
    });
    connection.listen();
    await connection.sendRequest("initialize", { processId: process.pid, rootUri: null, capabilities: {} });
    await connection.sendNotification("initialized", {});
  });
  after(async () => {
    await connection.sendRequest("shutdown").catch(() => undefined);
    connection.dispose();
    child.kill();
  });

  const diagnosticsFor = (uris: string[]) =>
    new Promise<Map<string, Diagnostic[]>>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error(`no diagnostics for ${uris.join(", ")}`)), 20_000);
      const check = () => {
        if (!uris.every((uri) => published.has(uri))) return;
        clearTimeout(timeout);
        listeners.delete(check);
        resolve(new Map(uris.map((uri) => [uri, published.get(uri) as Diagnostic[]])));
      };
      listeners.add(check);
      check();
    });

  for (const testCase of CASES) {
    it(testCase.name, async () => {
      const dir = workspace(testCase.files);
      const uris = Object.keys(testCase.files).map((file) => pathToFileURL(path.join(dir, file)).toString());
      for (const [file, text] of Object.entries(testCase.files)) {
        const uri = pathToFileURL(path.join(dir, file)).toString();
        await connection.sendNotification("textDocument/didOpen", {
          textDocument: { uri, languageId: file.endsWith(".ts") ? "typescript" : "javascript", version: 1, text },
        });
      }
      // The last open triggers the analysis that counts; wait for every file to hear from it.
      await new Promise((resolve) => setTimeout(resolve, 40));
      for (const uri of uris) published.delete(uri);
      await connection.sendNotification("textDocument/didSave", { textDocument: { uri: uris[uris.length - 1] } });
      const byUri = await diagnosticsFor(uris);
      const expected = lint(testCase.files);
      const actual = [...byUri].flatMap(([uri, list]) =>
        list.map((d) => ({ file: fileURLToPath(uri), line: d.range.start.line + 1, column: d.range.start.character + 1, code: String(d.code) })),
      );
      actual.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
      assert.deepEqual(
        actual.map((d) => d.code),
        testCase.codes,
      );
      assert.deepEqual(
        actual.map((d) => [d.line, d.column]),
        expected.map((r) => [r.line, r.column]),
        "the same ranges as the command line",
      );
      for (const uri of uris) await connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
    });
  }
});

describe("durable-devkit lint", function () {
  it("prints findings, exits 1 on errors, speaks JSON, and takes rule settings", () => {
    const dir = workspace({ "a.js": ORCH("const t = Date.now();\nconst e = process.env.X;") });
    const text = cli(["lint", dir]);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /a\.js:5:11 error DD001 Date\.now\(\) reads the clock/);
    assert.match(text.stdout, /2 problems \(1 error\)/);
    const json = cli(["lint", dir, "--format", "json"]);
    const results = JSON.parse(json.stdout) as LintResult[];
    assert.deepEqual(
      results.map((r) => [r.code, r.severity, r.line, r.column, r.endLine, r.endColumn]),
      [
        ["DD001", "error", 5, 11, 5, 21],
        ["DD005", "warning", 6, 11, 6, 22],
      ],
    );
    const relaxed = cli(["lint", dir, "--rule", "DD001=warning", "--rule", "DD005=off"]);
    assert.equal(relaxed.code, 0, "no errors left");
    assert.match(relaxed.stdout, /warning DD001/);
    assert.doesNotMatch(relaxed.stdout, /DD005/);
    assert.equal(cli(["lint", dir, "--rule", "DD001=loud"]).code, 2);
    assert.match(cli(["lint", path.join(dir, "missing")]).stderr, /does not exist/);
    assert.equal(cli(["lint", workspace({ "ok.js": ORCH('yield context.df.callActivity("work");') })]).code, 0);
  });
});
