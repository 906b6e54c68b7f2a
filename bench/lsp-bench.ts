/**
 * The language server's speed: diagnostics latency after an edit to a 3,000-line orchestrator file (edit sent →
 * diagnostics received, over stdio, p50/p95), and a cold analysis of a 300-file workspace (lintPaths). Targets:
 * p95 < 100 ms, cold < 5 s.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { createProtocolConnection, StreamMessageReader, StreamMessageWriter, type PublishDiagnosticsParams } from "vscode-languageserver-protocol/node";
import { lintPaths } from "../language-server/analysis/lint";

const BIN = path.resolve(__dirname, "..", "..", "bin", "durable-devkit.js");
const EDITS = Number(process.env.BENCH_LSP_EDITS ?? 40);

/** An orchestrator file of about `lines` lines: one orchestrator calling many helpers, a few of them nondeterministic. */
function bigOrchestrator(lines: number): string {
  const helpers = Math.floor((lines - 20) / 10);
  const parts = ['const df = require("durable-functions");', 'df.app.activity("work", { handler: (n) => n + 1 });', ""];
  for (let i = 0; i < helpers; i++) {
    parts.push(
      `function helper${i}(value) {`,
      `  const doubled = value * 2;`,
      `  const label = "helper-${i}-" + doubled;`,
      i % 50 === 0 ? `  const stamp = Date.now();` : `  const stamp = ${i};`,
      `  if (doubled > ${i}) {`,
      `    return { label, stamp, value: doubled };`,
      `  }`,
      `  return { label, stamp, value };`,
      `}`,
      "",
    );
  }
  parts.push('df.app.orchestration("big", function* (context) {', "  let total = 0;");
  for (let i = 0; i < helpers; i++) parts.push(`  total += helper${i}(${i}).value;`);
  parts.push('  total += yield context.df.callActivity("work", total);', "  return total;", "});", "");
  return parts.join("\n");
}

function workspace(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dd-lsp-bench-"));
  fs.writeFileSync(path.join(dir, "package.json"), "{}");
  return dir;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function editLatency(): Promise<{ p50: number; p95: number; lines: number }> {
  const dir = workspace();
  const file = path.join(dir, "big.js");
  let text = bigOrchestrator(3000);
  fs.writeFileSync(file, text);
  const uri = pathToFileURL(file).toString();
  const child = spawn(process.execPath, [BIN, "lsp", "--stdio"], { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  let waiting: ((params: PublishDiagnosticsParams) => void) | undefined;
  connection.onNotification("textDocument/publishDiagnostics", (params: PublishDiagnosticsParams) => {
    if (params.uri === uri) waiting?.(params);
  });
  connection.listen();
  await connection.sendRequest("initialize", { processId: process.pid, rootUri: pathToFileURL(dir).toString(), capabilities: {} });
  await connection.sendNotification("initialized", {});
  const next = () => new Promise<PublishDiagnosticsParams>((resolve) => (waiting = resolve));
  let received = next();
  await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "javascript", version: 1, text } });
  await received;
  const latencies: number[] = [];
  for (let version = 2; version < EDITS + 2; version++) {
    // An edit inside the orchestrator, as someone typing would make.
    text = text.replace(/  let total = \d*;?/, `  let total = ${version};`);
    received = next();
    const started = performance.now();
    await connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
    const params = await received;
    latencies.push(performance.now() - started);
    if (params.diagnostics.length === 0) throw new Error("the big file lost its diagnostics");
  }
  await connection.sendRequest("shutdown");
  await connection.sendNotification("exit");
  child.kill();
  latencies.sort((a, b) => a - b);
  return { p50: percentile(latencies, 50), p95: percentile(latencies, 95), lines: text.split("\n").length };
}

function coldWorkspace(): { ms: number; files: number; findings: number } {
  const dir = workspace();
  for (let i = 0; i < 300; i++) {
    const helperCall = i > 0 ? `const { helper${i - 1} } = require("./file${i - 1}");\n` : "";
    fs.writeFileSync(
      path.join(dir, `file${i}.js`),
      `const df = require("durable-functions");\n${helperCall}exports.helper${i} = function helper${i}(n) { return ${i % 10 === 0 ? "Date.now()" : "n + 1"}; };\n` +
        `df.app.activity("act${i}", { handler: (n) => n });\n` +
        `df.app.orchestration("orch${i}", function* (context) {\n  const a = yield context.df.callActivity("act${i}", 1);\n  ${i > 0 ? `const b = helper${i - 1}(a);` : "const b = a;"}\n  return b;\n});\n`,
    );
  }
  const started = performance.now();
  const findings = lintPaths([dir]).length;
  return { ms: performance.now() - started, files: 300, findings };
}

async function main(): Promise<void> {
  console.log(`Durable Devkit language server benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}\n`);
  const cold = coldWorkspace();
  const edit = await editLatency();
  console.log("| measure | figure | target |");
  console.log("| --- | --- | --- |");
  console.log(`| diagnostics after an edit, ${edit.lines}-line orchestrator file (${EDITS} edits) | p50 ${edit.p50.toFixed(0)} ms, p95 ${edit.p95.toFixed(0)} ms | p95 < 100 ms |`);
  console.log(`| cold analysis of a ${cold.files}-file workspace | ${cold.ms.toFixed(0)} ms (${cold.findings} findings) | < 5 s |`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
