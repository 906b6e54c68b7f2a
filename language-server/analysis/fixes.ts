/**
 * Quick fixes that keep the code's meaning, in the spelling of the orchestrator's SDK (sdk.ts): each returns edits, or
 * nothing when it cannot rewrite the code safely (no context parameter in reach, not a generator, a form it does not
 * know). The durabletask-js-only fixes are in durabletask-fixes.ts.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { Fix } from "./model";
import { isFunctionLike, skipOuter, type Origins } from "./origins";
import { SPELLING, type Sdk } from "./sdk";

export function replace(node: ts.Node, newText: string, title: string): Fix {
  const file = node.getSourceFile();
  return { title, edits: [{ file: file.fileName, start: node.getStart(file), end: node.getEnd(), newText }] };
}

/**
 * `new Date()` → a copy of the orchestration's clock, so a later setHours does not move it: `new
 * Date(context.df.currentUtcDateTime)`; `new Date(ctx.currentUtcDateTime.getTime())` for durabletask-js (a Date too).
 */
export function currentTimeFix(node: ts.NewExpression | ts.CallExpression, context: string, callee: string, sdk: Sdk): Fix | undefined {
  const now = SPELLING[sdk].now(context);
  if (ts.isNewExpression(node)) {
    const copy = sdk === "durabletask" ? `new Date(${now}.getTime())` : `new Date(${now})`;
    return replace(node, copy, `Use ${copy}`);
  }
  if (callee === "Date.now") return replace(node, `${now}.getTime()`, `Use ${now}.getTime()`);
  if (callee === "Date") return replace(node, `${now}.toString()`, `Use ${now}.toString()`);
  return undefined;
}

/** A random id → `context.df.newGuid(context.df.instanceId)`, `ctx.newGuid()` (the same id on every replay). */
export function newGuidFix(node: ts.CallExpression, context: string, sdk: Sdk): Fix {
  const guid = SPELLING[sdk].newGuid(context);
  return replace(node, guid, `Use ${guid}`);
}

function fireAt(context: string, milliseconds: string, sdk: Sdk): string {
  const spelling = SPELLING[sdk];
  return `${spelling.createTimer(context)}(new Date(${spelling.now(context)}.getTime() + ${milliseconds}))`;
}

export function indentAt(node: ts.Node): string {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
  return /^\s*/.exec(file.text.slice(file.getLineStarts()[line]))?.[0] ?? "";
}

/**
 * Real timers → a durable timer, for the forms with one meaning: `yield new Promise((r) => setTimeout(r, ms))`,
 * `yield sleep(ms)` from timers/promises, and a `setTimeout(() => work(), ms);` statement in a generator orchestrator.
 */
export function durableTimerFix(call: ts.CallExpression, context: string, inGenerator: boolean, fromPromisesModule: boolean, sdk: Sdk): Fix | undefined {
  const title = `Use yield ${SPELLING[sdk].createTimer(context)}(...)`;
  // `await sleep(ms)` becomes `yield`: in durabletask-js a task is not a Promise, and await would not wait for it.
  const timer = (node: ts.Node, ms: string): Fix => {
    const fix = replace(node, fireAt(context, ms, sdk), title);
    if (sdk === "durabletask" && ts.isAwaitExpression(node.parent)) {
      const file = node.getSourceFile();
      fix.edits.unshift({ file: file.fileName, start: node.parent.getStart(file), end: node.getStart(file), newText: "yield " });
    }
    return fix;
  };
  if (fromPromisesModule) {
    const ms = call.arguments[0]?.getText() ?? "0";
    return ts.isYieldExpression(call.parent) || ts.isAwaitExpression(call.parent) ? timer(call, ms) : undefined;
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
    return timer(promise, ms);
  }
  if (!inGenerator || !ts.isExpressionStatement(call.parent) || !callback) return undefined;
  const work = skipOuter(callback);
  if (!ts.isArrowFunction(work) && !ts.isFunctionExpression(work)) return undefined;
  const indent = indentAt(call);
  const body = ts.isBlock(work.body) ? work.body.statements.map((statement) => statement.getText()) : [`${work.body.getText()};`];
  return replace(call.parent, [`yield ${fireAt(context, ms, sdk)};`, ...body].join(`\n${indent}`), title);
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
  const name = newActivityName(call, takenNames);
  const inputs = activityInputs(call, orchestrator, checker);
  const typed = /\.(c|m)?tsx?$/.test(file.fileName);
  if (inputs.has(context)) return undefined;
  const names = [...inputs.keys()];
  const parameter = names.length ? `{ ${names.join(", ")} }${typed ? `: { ${names.map((n) => `${n}: ${inputs.get(n)}`).join("; ")} }` : ""}` : "";
  const argument = names.length ? `, { ${names.join(", ")} }` : "";
  const yielded = `yield ${context}.df.callActivity("${name}"${argument})`;
  const replacement = ts.isYieldExpression(io.parent) ? `${context}.df.callActivity("${name}"${argument})` : isBare(io) ? yielded : `(${yielded})`;
  const activity = `\n${app}.activity("${name}", {\n    handler: async (${parameter}) => {\n        return await ${call.getText()};\n    },\n});\n`;
  return {
    title: `Move ${call.getText().slice(0, 40)}${call.getText().length > 40 ? "…" : ""} into a new activity '${name}'`,
    edits: [
      { file: file.fileName, start: io.getStart(file), end: io.getEnd(), newText: replacement },
      { file: file.fileName, start: file.getEnd(), end: file.getEnd(), newText: activity },
    ],
  };
}

/** A name for the activity an I/O call moves into: `readFileSyncActivity`, numbered past the names taken. */
export function newActivityName(call: ts.Expression, takenNames: Set<string>): string {
  const callee = ts.isCallExpression(call) ? call.expression : call;
  const member = (ts.isPropertyAccessExpression(callee) ? callee.name.text : callee.getText()).replace(/\W/g, "");
  let name = `${member}Activity`;
  for (let n = 2; takenNames.has(name); n++) name = `${member}Activity${n}`;
  return name;
}

/** Where an expression may stand without parentheses in place of a `yield` (a statement, an initializer, a return...). */
export function isBare(node: ts.Expression): boolean {
  const parent = node.parent;
  return (
    ts.isExpressionStatement(parent) ||
    (ts.isVariableDeclaration(parent) && parent.initializer === node) ||
    ts.isReturnStatement(parent) ||
    ts.isYieldExpression(parent) ||
    ts.isParenthesizedExpression(parent)
  );
}

/** The orchestrator's local variables an I/O call reads, with their types: the new activity's input. */
export function activityInputs(call: ts.Expression, orchestrator: ts.FunctionLikeDeclaration, checker: ts.TypeChecker): Map<string, string> {
  const inputs = new Map<string, string>();
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
  return inputs;
}
