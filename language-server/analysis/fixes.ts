/**
 * Quick fixes that keep the code's meaning: each returns edits, or nothing when it cannot rewrite the code safely
 * (no context parameter in reach, not a generator, a form it does not know).
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { Fix } from "./model";
import { isFunctionLike, skipOuter, type Origins } from "./origins";

function replace(node: ts.Node, newText: string, title: string): Fix {
  const file = node.getSourceFile();
  return { title, edits: [{ file: file.fileName, start: node.getStart(file), end: node.getEnd(), newText }] };
}

/** `new Date()` → `new Date(context.df.currentUtcDateTime)`: a copy, so a later setHours does not move the orchestration's clock. */
export function currentTimeFix(node: ts.NewExpression | ts.CallExpression, context: string, callee: string): Fix | undefined {
  if (ts.isNewExpression(node)) return replace(node, `new Date(${context}.df.currentUtcDateTime)`, `Use new Date(${context}.df.currentUtcDateTime)`);
  if (callee === "Date.now") return replace(node, `${context}.df.currentUtcDateTime.getTime()`, `Use ${context}.df.currentUtcDateTime.getTime()`);
  if (callee === "Date") return replace(node, `${context}.df.currentUtcDateTime.toString()`, `Use ${context}.df.currentUtcDateTime.toString()`);
  return undefined;
}

/** A random id → `context.df.newGuid(context.df.instanceId)` (the same id on every replay). */
export function newGuidFix(node: ts.CallExpression, context: string): Fix {
  return replace(node, `${context}.df.newGuid(${context}.df.instanceId)`, `Use ${context}.df.newGuid(${context}.df.instanceId)`);
}

function fireAt(context: string, milliseconds: string): string {
  return `${context}.df.createTimer(new Date(${context}.df.currentUtcDateTime.getTime() + ${milliseconds}))`;
}

function indentAt(node: ts.Node): string {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return /^\s*/.exec(file.text.slice(file.getLineStarts()[line]))?.[0] ?? "";
}

/**
 * Real timers → a durable timer, for the forms with one meaning: `yield new Promise((r) => setTimeout(r, ms))`,
 * `yield sleep(ms)` from timers/promises, and a `setTimeout(() => work(), ms);` statement in a generator orchestrator.
 */
export function durableTimerFix(call: ts.CallExpression, context: string, inGenerator: boolean, fromPromisesModule: boolean): Fix | undefined {
  const title = `Use yield ${context}.df.createTimer(...)`;
  if (fromPromisesModule) {
    const ms = call.arguments[0]?.getText() ?? "0";
    return ts.isYieldExpression(call.parent) || ts.isAwaitExpression(call.parent) ? replace(call, fireAt(context, ms), title) : undefined;
  }
  const [callback, delay] = call.arguments;
  const ms = delay?.getText() ?? "0";
  const executor = ts.findAncestor(call.parent, (node) => isFunctionLike(node) || ts.isStatement(node));
  const promise = executor && isFunctionLike(executor) ? executor.parent : undefined;
  if (
    promise &&
    ts.isNewExpression(promise) &&
    promise.expression.getText() === "Promise" &&
    (ts.isYieldExpression(promise.parent) || ts.isAwaitExpression(promise.parent))
  ) {
    return replace(promise, fireAt(context, ms), title);
  }
  if (!inGenerator || !ts.isExpressionStatement(call.parent) || !callback) return undefined;
  const work = skipOuter(callback);
  if (!ts.isArrowFunction(work) && !ts.isFunctionExpression(work)) return undefined;
  const indent = indentAt(call);
  const body = ts.isBlock(work.body) ? work.body.statements.map((statement) => statement.getText()) : [`${work.body.getText()};`];
  return replace(call.parent, [`yield ${fireAt(context, ms)};`, ...body].join(`\n${indent}`), title);
}

/** The name the file gives durable-functions' `app` (`df.app`, `app`), to register a generated activity with. */
export function durableAppIn(file: ts.SourceFile, origins: Origins): string | undefined {
  let found: string | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node.parent)) {
      const origin = origins.of(node);
      if (origin === "module:durable-functions") found = `${node.text}.app`;
      else if (origin === "module:durable-functions|app") found = node.text;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/**
 * I/O in the orchestrator's own body → a new activity (registered with `app`, see durableAppIn): the call moves into `df.app.activity("<name>", ...)` at the end of
 * the file, its free local variables become the activity's input, and the orchestrator yields `callActivity` instead.
 */
export function moveToActivityFix(
  call: ts.Expression,
  orchestrator: ts.FunctionLikeDeclaration,
  context: string,
  takenNames: Set<string>,
  app: string,
  checker: ts.TypeChecker,
): Fix | undefined {
  const file = call.getSourceFile();
  if (!orchestrator.asteriskToken) return undefined;
  const io = ts.isAwaitExpression(call.parent) ? call.parent : call;
  const callee = ts.isCallExpression(call) ? call.expression : call;
  const member = (ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText()).replace(/\W/g, "");
  let name = `${member}Activity`;
  for (let n = 2; takenNames.has(name); n++) name = `${member}Activity${n}`;
  const inputs = new Map<string, string>();
  const typed = /\.(c|m)?tsx?$/.test(file.fileName);
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && !(ts.isPropertyAccessExpression(node.parent) && node.parent.name === node)) {
      const declaration = checker.getSymbolAtLocation(node)?.valueDeclaration;
      if (
        declaration &&
        declaration.pos >= orchestrator.pos &&
        declaration.end <= orchestrator.end &&
        (ts.isVariableDeclaration(declaration) || ts.isParameter(declaration) || ts.isBindingElement(declaration))
      ) {
        inputs.set(node.text, checker.typeToString(checker.getTypeAtLocation(node)));
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(call);
  if (inputs.has(context)) return undefined;
  const names = [...inputs.keys()];
  const parameter = names.length ? `{ ${names.join(", ")} }${typed ? `: { ${names.map((n) => `${n}: ${inputs.get(n)}`).join("; ")} }` : ""}` : "";
  const argument = names.length ? `, { ${names.join(", ")} }` : "";
  const yielded = `yield ${context}.df.callActivity("${name}"${argument})`;
  const parent = io.parent;
  const bare =
    ts.isExpressionStatement(parent) ||
    (ts.isVariableDeclaration(parent) && parent.initializer === io) ||
    ts.isReturnStatement(parent) ||
    ts.isYieldExpression(parent);
  const replacement = ts.isYieldExpression(parent) ? `${context}.df.callActivity("${name}"${argument})` : bare ? yielded : `(${yielded})`;
  const activity = `\n${app}.activity("${name}", {\n    handler: async (${parameter}) => {\n        return await ${call.getText()};\n    },\n});\n`;
  return {
    title: `Move ${call.getText().slice(0, 40)}${call.getText().length > 40 ? "…" : ""} into a new activity '${name}'`,
    edits: [
      { file: file.fileName, start: io.getStart(file), end: io.getEnd(), newText: replacement },
      { file: file.fileName, start: file.getEnd(), end: file.getEnd(), newText: activity },
    ],
  };
}
