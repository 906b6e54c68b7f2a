/**
 * Line breakpoints stop on the history events of a durable call, so they are only meaningful on lines that make
 * one. The lines are found with the TypeScript parser (not a regular expression); a breakpoint elsewhere moves to the
 * next such line, and says so.
 */
import * as fs from "node:fs";
import * as ts from "typescript";

const DURABLE_METHODS = new Set([
  "callActivity",
  "callActivityWithRetry",
  "callSubOrchestrator",
  "callSubOrchestratorWithRetry",
  "callHttp",
  "callEntity",
  "signalEntity",
  "createTimer",
  "waitForExternalEvent",
  // A Durable Task SDK orchestration's (ctx.sendEvent, ctx.entities.lockEntities).
  "sendEvent",
  "lockEntities",
  "continueAsNew",
  "all",
  "any",
]);

export interface VerifiedLine {
  requested: number;
  /** The line the breakpoint is set on, or undefined when no line at or after it makes a durable call. */
  line?: number;
  message?: string;
}

const cache = new Map<string, { mtimeMs: number; lines: number[] }>();

/** 1-based lines of a file that make a durable call, sorted. */
export function durableCallLines(file: string): number[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return [];
  }
  const cached = cache.get(file);
  if (cached && cached.mtimeMs === stat.mtimeMs) return cached.lines;
  const text = fs.readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = new Set<number>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && DURABLE_METHODS.has(node.expression.name.text)) {
      const method = node.expression.name.text;
      // Task.all / Task.any only count on a `.Task` object, not on every `.all(...)`.
      const receiver = node.expression.expression;
      const isTaskHelper = ts.isPropertyAccessExpression(receiver) && receiver.name.text === "Task";
      if ((method !== "all" && method !== "any") || isTaskHelper) {
        lines.add(source.getLineAndCharacterOfPosition(node.expression.name.getStart(source)).line + 1);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  const sorted = [...lines].sort((a, b) => a - b);
  cache.set(file, { mtimeMs: stat.mtimeMs, lines: sorted });
  return sorted;
}

/** Who else stops at line breakpoints: nobody, or VS Code's JavaScript debugger, in replays too or only in new code. */
export type JavaScriptDebuggerBeside = false | "first run" | "every episode";

/**
 * Where each requested line breakpoint stops the replay debugger. Alone, a line without a durable call moves to the
 * next line that makes one. Beside VS Code's JavaScript debugger (a run with an inspector) nothing moves: that
 * debugger stops at the line itself (where the orchestrator runs it for the first time, or with `stopInReplay` in
 * every episode), so a moved stop would be a second, different one; a line with no durable call is the JavaScript
 * debugger's alone, and its message says why.
 */
export function verifyLines(file: string, requested: number[], javaScriptDebuggerBeside: JavaScriptDebuggerBeside = false): VerifiedLine[] {
  const lines = durableCallLines(file);
  const javaScriptStops =
    javaScriptDebuggerBeside === "first run"
      ? "where the orchestrator runs it for the first time, not in replays (durableDevkit.debug.stopInReplay)"
      : "in every episode that runs it, replays included";
  return requested.map((line) => {
    if (lines.includes(line)) {
      return javaScriptDebuggerBeside
        ? {
            requested: line,
            line,
            message: `The replay debugger stops on this call's history events; VS Code's JavaScript debugger also stops on this line ${javaScriptStops}.`,
          }
        : { requested: line, line };
    }
    if (javaScriptDebuggerBeside) {
      return {
        requested: line,
        message: `Not a durable stop: line ${line} makes no durable call, so no history event belongs to it. VS Code's JavaScript debugger stops here ${javaScriptStops}.`,
      };
    }
    const next = lines.find((candidate) => candidate > line);
    if (next === undefined) {
      return {
        requested: line,
        message: lines.length
          ? "No durable call at or after this line: the replay debugger stops only on lines that make one (callActivity, createTimer, waitForExternalEvent, Task.all…)."
          : "This file makes no durable calls, so no history event belongs to it.",
      };
    }
    return {
      requested: line,
      line: next,
      message: `Moved to line ${next}: the replay debugger stops on lines that make a durable call, and line ${line} makes none.`,
    };
  });
}
