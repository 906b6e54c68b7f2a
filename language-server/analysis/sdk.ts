/**
 * The two orchestration SDKs the checker knows, and what tells their code apart: durable-functions 3 (`df.app.*`
 * registrations, `context.df.*`, `Task.all/any`, plain generators) and the Durable Task SDK @microsoft/durabletask-js
 * (`worker.addOrchestrator(fn)`, `ctx.*`, `whenAll/whenAny`, async generators). Which calls make durable tasks, which
 * combine them, which register functions, how the SDK names a function it is given, and how each SDK spells the
 * replay-safe APIs that messages and fixes name.
 *
 * Code is recognised by its type where TypeScript knows it (a receiver typed as the package's OrchestrationContext or
 * TaskHubGrpcWorker) and by its shape where the type is unknown (JavaScript without types): a known type that is
 * something else is never taken for the SDK's.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { FunctionKind } from "./model";
import { skipOuter, type Origins } from "./origins";

export type Sdk = "durable-functions" | "durabletask";

export const DURABLETASK_MODULE = "@microsoft/durabletask-js";
const DURABLETASK_ORIGIN = `module:${DURABLETASK_MODULE}`;
const DURABLETASK_PATH = /[\\/]@microsoft[\\/]durabletask-js[\\/]/;

/** durable-functions' task-making methods of `context.df`. */
const DURABLE_FUNCTIONS_TASKS = new Set([
  "callActivity",
  "callActivityWithRetry",
  "callSubOrchestrator",
  "callSubOrchestratorWithRetry",
  "createTimer",
  "waitForExternalEvent",
  "callEntity",
  "callHttp",
]);
/** durabletask-js's task-making methods of OrchestrationContext, and of its `entities` (OrchestrationEntityFeature). */
const DURABLETASK_CONTEXT_TASKS = new Set(["callActivity", "callSubOrchestrator", "createTimer", "waitForExternalEvent"]);
const DURABLETASK_ENTITY_TASKS = new Set(["callEntity", "lockEntities"]);
/** Context methods that return nothing: yielding their result makes the SDK throw ("yielded a non-Task object"). */
export const DURABLETASK_VOID_METHODS = new Set(["continueAsNew", "setCustomStatus", "sendEvent", "signalEntity"]);

/** The worker's registering methods (TaskHubGrpcWorker, and the SDK's in-memory TestOrchestrationWorker). */
const WORKER_REGISTRATIONS: Record<string, { kind: FunctionKind; named: boolean }> = {
  addOrchestrator: { kind: "orchestration", named: false },
  addNamedOrchestrator: { kind: "orchestration", named: true },
  addActivity: { kind: "activity", named: false },
  addNamedActivity: { kind: "activity", named: true },
  addEntity: { kind: "entity", named: false },
  addNamedEntity: { kind: "entity", named: true },
};
/** What a worker method of this name registers, and whether it takes the name first; undefined for other methods. */
export function workerRegistration(method: string): { kind: FunctionKind; named: boolean } | undefined {
  return Object.prototype.hasOwnProperty.call(WORKER_REGISTRATIONS, method) ? WORKER_REGISTRATIONS[method] : undefined;
}
const WORKER_TYPES = new Set(["TaskHubGrpcWorker", "TestOrchestrationWorker"]);
const CONTEXT_TYPES = new Set(["OrchestrationContext"]);
const ENTITY_FEATURE_TYPES = new Set(["OrchestrationEntityFeature"]);

/** How an SDK spells its replay-safe APIs in messages (`context` unnamed) and fixes (the orchestrator's parameter). */
export interface SdkSpelling {
  now(context?: string): string;
  newGuid(context?: string): string;
  createTimer(context?: string): string;
  /** The combinator that waits for every task, as a message names it (`context.df.Task.all`, `whenAll`). */
  all(context?: string): string;
  isReplaying(context?: string): string;
  /** What to log with instead of console. */
  logger(context?: string): string;
  continueAsNew(context?: string): string;
  /** What may be yielded, for DD010's messages. */
  yieldables(context?: string): string;
  /** Where I/O goes instead. */
  ioInstead(context?: string): string;
}

const durableFunctions: SdkSpelling = {
  now: (c = "context") => `${c}.df.currentUtcDateTime`,
  newGuid: (c = "context") => `${c}.df.newGuid(${c}.df.instanceId)`,
  createTimer: (c = "context") => `${c}.df.createTimer`,
  all: (c = "context") => `${c}.df.Task.all`,
  isReplaying: (c = "context") => `${c}.df.isReplaying`,
  logger: (c = "context") => `${c}.log`,
  continueAsNew: (c = "context") => `yield ${c}.df.continueAsNew(state)`,
  yieldables: (c = "context") => `${c}.df.callActivity(...), createTimer, waitForExternalEvent, Task.all/any`,
  ioInstead: (c = "context") => `move it into an activity (or use ${c}.df.callHttp)`,
};

const durableTask: SdkSpelling = {
  now: (c = "ctx") => `${c}.currentUtcDateTime`,
  newGuid: (c = "ctx") => `${c}.newGuid()`,
  createTimer: (c = "ctx") => `${c}.createTimer`,
  all: () => "whenAll",
  isReplaying: (c = "ctx") => `${c}.isReplaying`,
  logger: (c = "ctx") => `a logger from ${c}.createReplaySafeLogger(logger)`,
  continueAsNew: (c = "ctx") => `${c}.continueAsNew(state, false) and a return`,
  yieldables: (c = "ctx") => `${c}.callActivity(...), createTimer, waitForExternalEvent, whenAll/whenAny`,
  ioInstead: (c = "ctx") => `move it into an activity (yield ${c}.callActivity(...))`,
};

export const SPELLING: Record<Sdk, SdkSpelling> = { "durable-functions": durableFunctions, durabletask: durableTask };

/** Whether a symbol is declared by @microsoft/durabletask-js (its .d.ts files). */
function fromDurableTask(symbol: ts.Symbol | undefined): boolean {
  return !!symbol?.declarations?.some((declaration) => DURABLETASK_PATH.test(declaration.getSourceFile().fileName));
}

/**
 * The name the SDK registers or calls a function by (its `getName(fn)`: the function's `name`): a declaration's own
 * name, or the binding an anonymous function is assigned to (`const chain = async function* ...`), as JavaScript names
 * it. Undefined where JavaScript gives it none (an inline lambda: the SDK throws).
 */
export function runtimeNameOf(fn: ts.FunctionLikeDeclaration): string | undefined {
  if (fn.name && (ts.isIdentifier(fn.name) || ts.isStringLiteral(fn.name))) return fn.name.text;
  let node: ts.Node = fn;
  while (ts.isParenthesizedExpression(node.parent) || ts.isAsExpression(node.parent) || ts.isSatisfiesExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) && parent.initializer === node && ts.isIdentifier(parent.name)) return parent.name.text;
  if ((ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.initializer === node) {
    if (ts.isIdentifier(parent.name) || ts.isStringLiteral(parent.name)) return parent.name.text;
  }
  if (ts.isBinaryExpression(parent) && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken && parent.right === node && ts.isIdentifier(parent.left))
    return parent.left.text;
  return undefined;
}

/** Recognises each SDK's durable calls, combinators, contexts and workers in a program (answers kept per node). */
export class DurableApis {
  private readonly taskCalls = new Map<ts.Node, boolean>();

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly origins: Origins,
  ) {}

  /** `context.df.callActivity(...)`, `df.createTimer(...)` (a destructured df), `ctx.callActivity(...)`, `ctx.entities.callEntity(...)`. */
  isTaskCall(node: ts.Node): node is ts.CallExpression & { expression: ts.PropertyAccessExpression } {
    if (!ts.isCallExpression(node) || !ts.isPropertyAccessExpression(node.expression)) return false;
    const method = node.expression.name.text;
    if (!DURABLE_FUNCTIONS_TASKS.has(method) && !DURABLETASK_ENTITY_TASKS.has(method)) return false;
    let known = this.taskCalls.get(node);
    if (known === undefined) {
      const receiver = skipOuter(node.expression.expression);
      known =
        (DURABLE_FUNCTIONS_TASKS.has(method) && /(\.df|^df)$/.test(receiver.getText())) ||
        (DURABLETASK_CONTEXT_TASKS.has(method) && this.isDurableTaskContext(receiver)) ||
        (DURABLETASK_ENTITY_TASKS.has(method) && this.isEntityFeature(receiver));
      this.taskCalls.set(node, known);
    }
    return known;
  }

  /** `context.df.Task.all(...)` / `Task.any(...)`; durabletask-js's `whenAll(...)` / `whenAny(...)` (however imported). */
  isCombinator(node: ts.Node): node is ts.CallExpression {
    if (!ts.isCallExpression(node)) return false;
    const callee = node.expression;
    // The callee's name first: its text or origin is read only for the calls that may be one (most calls are not).
    const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : undefined;
    if (name === "all" || name === "any") return ts.isPropertyAccessExpression(callee) && /(^|\.)Task\.(all|any)$/.test(callee.getText());
    if (name !== "whenAll" && name !== "whenAny") return false;
    return this.origins.of(callee) === `${DURABLETASK_ORIGIN}|${name}`;
  }

  /** An expression that is durabletask-js's OrchestrationContext: by its type, or (untyped) any name or property. */
  isDurableTaskContext(node: ts.Expression): boolean {
    return this.typeIs(node, CONTEXT_TYPES) ?? (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node));
  }

  /** `ctx.entities` (or a name holding it): the context's entity feature. */
  isEntityFeature(node: ts.Expression): boolean {
    const typed = this.typeIs(node, ENTITY_FEATURE_TYPES);
    if (typed !== undefined) return typed;
    if (ts.isPropertyAccessExpression(node)) return node.name.text === "entities" && this.isDurableTaskContext(skipOuter(node.expression));
    return ts.isIdentifier(node);
  }

  /** The receiver of `addOrchestrator(...)` and its kin is a durabletask-js worker: by type, or (untyped) by the method alone. */
  isWorker(node: ts.Expression): boolean {
    return this.typeIs(node, WORKER_TYPES) ?? true;
  }

  /** Which SDK's OrchestrationContext a parameter's type names (durable-functions has one too). */
  contextTypeSdk(type: ts.TypeNode): Sdk {
    const name = ts.isTypeReferenceNode(type) ? type.typeName : undefined;
    const head = name && (ts.isQualifiedName(name) ? leftmost(name) : name);
    if (!head) return "durable-functions";
    const origin = this.origins.of(head);
    return origin === DURABLETASK_ORIGIN || origin?.startsWith(`${DURABLETASK_ORIGIN}|`) ? "durabletask" : "durable-functions";
  }

  /** Whether the value is one of the package's classes: true/false where its type is known, undefined where it is not (any). */
  private typeIs(node: ts.Expression, names: Set<string>): boolean | undefined {
    const type = this.checker.getNonNullableType(this.checker.getTypeAtLocation(node));
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
    const symbol = type.getSymbol() ?? type.aliasSymbol;
    return !!symbol && names.has(symbol.getName()) && fromDurableTask(symbol);
  }
}

function leftmost(name: ts.QualifiedName): ts.Identifier {
  let left: ts.EntityName = name;
  while (ts.isQualifiedName(left)) left = left.left;
  return left;
}

/** The class an entity factory makes (`() => new Counter()`), and the operations the SDK dispatches to on it. */
export function taskEntityOperations(
  factory: ts.FunctionLikeDeclaration,
  origins: Origins,
  inWorkspace: (file: ts.SourceFile) => boolean,
): Set<string> | undefined {
  if (!factory.body) return undefined;
  const body = ts.isBlock(factory.body)
    ? factory.body.statements.length === 1 && ts.isReturnStatement(factory.body.statements[0])
      ? factory.body.statements[0].expression
      : undefined
    : factory.body;
  const made = body && skipOuter(body as ts.Expression);
  if (!made || !ts.isNewExpression(made)) return undefined;
  // TaskEntity dispatches an operation to a method of the class (or a base class up to TaskEntity) whose name matches
  // it case-insensitively; "delete" it handles itself.
  const found = new Set<string>();
  let declaration: ts.Declaration | undefined = origins.declarationOf(made.expression);
  for (let depth = 0; depth < 8 && declaration; depth++) {
    if (!ts.isClassDeclaration(declaration) && !ts.isClassExpression(declaration)) return undefined;
    if (!inWorkspace(declaration.getSourceFile()))
      return declaration.name?.text === "TaskEntity" && DURABLETASK_PATH.test(declaration.getSourceFile().fileName) ? found.add("delete") : undefined;
    for (const member of declaration.members) {
      if (!ts.isMethodDeclaration(member) || !member.name || !(ts.isIdentifier(member.name) || ts.isStringLiteral(member.name))) continue;
      // A class of its own dispatch (its own run) handles what it likes.
      if (member.name.text === "run") return undefined;
      if (member.name.text !== "initializeState") found.add(member.name.text);
    }
    const base = declaration.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)?.types[0]?.expression;
    declaration = base && origins.declarationOf(base);
  }
  return undefined;
}
