/**
 * Where a durable task goes after it is created. durable-functions 3 schedules a task only when the orchestrator yields
 * it (alone or inside Task.all/any): a task stored in a variable or an array that is never yielded, a bare call, a
 * helper's task whose result is dropped, a task returned from a forEach callback, all silently never run.
 * (durabletask-js schedules it when it is made, but then nothing waits for it and its result or failure is lost.) This
 * follows a task value through variables, arrays, `push`, `map` and helpers; wherever it cannot tell, it assumes the
 * task is used (no false alarms). What makes a task, in either SDK, is sdk.ts's.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import { isFunctionLike, skipOuter, type Origins } from "./origins";
import type { ReadListener } from "./reads";
import type { DurableApis } from "./sdk";

const MAX_DEPTH = 10;
// A timer that is cancelled counts as handled: Microsoft's cancelTimer sample creates one, never yields it, and cancels it.
const NOT_A_USE = new Set(["push", "unshift", "length", "isCompleted", "isFaulted", "result"]);
const ARRAY_COPIES = new Set(["slice", "concat", "filter", "reverse", "flat", "splice", "toReversed", "toSpliced", "at"]);

export type TaskKind = "task" | "generator";

export class TaskFlow {
  private readonly returnsTask = new Map<ts.Node, boolean>();
  private readonly identifiers = new Map<ts.Node, Map<string, ts.Identifier[]>>();
  private readonly computing = new Set<ts.Node>();
  private readonly usedCache = new Map<ts.Node, boolean>();
  /** Told whether each function asked about returns a task (see reads.ts); set by the incremental analysis. */
  listener?: ReadListener;

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly origins: Origins,
    private readonly apis: DurableApis,
  ) {}

  /** Whether an expression makes a durable task (or a list of them), or runs a sub-generator that needs `yield*`. */
  kind(node: ts.Expression, depth = 0): TaskKind | undefined {
    if (depth > MAX_DEPTH) return undefined;
    node = skipOuter(node);
    if (this.apis.isTaskCall(node) || this.apis.isCombinator(node)) return "task";
    if (ts.isArrayLiteralExpression(node) && node.elements.some((element) => this.kind(element, depth + 1) === "task")) return "task";
    if (!ts.isCallExpression(node)) return undefined;
    // items.map((item) => context.df.callActivity(...)): a list of tasks.
    if (ts.isPropertyAccessExpression(node.expression) && /^(map|flatMap)$/.test(node.expression.name.text)) {
      const callback = node.arguments[0] && this.origins.functionOf(node.arguments[0]);
      if (callback && this.functionReturnsTask(callback, depth + 1)) return "task";
    }
    const helper = this.origins.functionOf(node.expression);
    if (!helper || helper === node.arguments[0]) return undefined;
    if (helper.asteriskToken) return "generator";
    return this.functionReturnsTask(helper, depth + 1) ? "task" : undefined;
  }

  /** Whether a function returns a durable task (or a list of them): its body's return expressions. */
  returnsTaskOf(fn: ts.FunctionLikeDeclaration): boolean {
    return this.functionReturnsTask(fn, 0);
  }

  private functionReturnsTask(fn: ts.FunctionLikeDeclaration, depth: number): boolean {
    const cached = this.returnsTask.get(fn);
    if (cached !== undefined) {
      // The answer, but not the placeholder of a recursion still under way.
      if (!this.computing.has(fn)) this.listener?.returnsTask(fn, cached);
      return cached;
    }
    this.returnsTask.set(fn, false);
    this.computing.add(fn);
    let found = false;
    if (fn.body && !ts.isBlock(fn.body)) found = this.kind(fn.body as ts.Expression, depth) === "task";
    const visit = (node: ts.Node): void => {
      if (found || (node !== fn.body && isFunctionLike(node))) return;
      if (ts.isReturnStatement(node) && node.expression && this.kind(node.expression, depth) === "task") found = true;
      ts.forEachChild(node, visit);
    };
    if (fn.body && ts.isBlock(fn.body) && !fn.asteriskToken) visit(fn.body);
    this.returnsTask.set(fn, found);
    this.computing.delete(fn);
    this.listener?.returnsTask(fn, found);
    return found;
  }

  /** Whether the value of `node` reaches a yield, a Task.all/any that is yielded, a return or anything we cannot follow. */
  used(node: ts.Expression, depth = 0): boolean {
    if (depth > MAX_DEPTH) return true;
    // Asked again on every path that reaches the node: the answer is the node's.
    if (depth === 0) {
      let known = this.usedCache.get(node);
      if (known === undefined) this.usedCache.set(node, (known = this.usedUncached(node, 0)));
      return known;
    }
    return this.usedUncached(node, depth);
  }

  private usedUncached(node: ts.Expression, depth: number): boolean {
    let child: ts.Node = node;
    let parent = node.parent;
    while (ts.isParenthesizedExpression(parent) || ts.isAsExpression(parent) || ts.isNonNullExpression(parent) || ts.isSatisfiesExpression(parent))
      [child, parent] = [parent, parent.parent];
    if (ts.isExpressionStatement(parent) || ts.isVoidExpression(parent)) return false;
    if (ts.isYieldExpression(parent)) return true;
    if (ts.isReturnStatement(parent) || (ts.isArrowFunction(parent) && parent.body === child)) return this.returnedUsed(parent, depth);
    if (ts.isVariableDeclaration(parent) && parent.initializer === child) return ts.isIdentifier(parent.name) ? this.referencesUsed(parent.name, depth) : true;
    if (ts.isBinaryExpression(parent) && parent.right === child && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      let target: ts.Expression = parent.left;
      while (ts.isPropertyAccessExpression(target) || ts.isElementAccessExpression(target)) target = target.expression;
      return ts.isIdentifier(target) && this.isLocal(target) ? this.referencesUsed(target, depth) : true;
    }
    if (ts.isArrayLiteralExpression(parent) || ts.isSpreadElement(parent) || (ts.isConditionalExpression(parent) && parent.condition !== child))
      return this.used(parent as ts.Expression, depth + 1);
    if (ts.isCallExpression(parent) && parent.arguments.includes(child as ts.Expression)) {
      if (ts.isPropertyAccessExpression(parent.expression) && /^(push|unshift)$/.test(parent.expression.name.text)) {
        const target = skipOuter(parent.expression.expression);
        return ts.isIdentifier(target) && this.isLocal(target) ? this.referencesUsed(target, depth) : true;
      }
      return this.apis.isCombinator(parent) ? this.used(parent, depth + 1) : true;
    }
    return true;
  }

  /** A task returned from a callback: forEach drops it, map hands it to its result. */
  private returnedUsed(from: ts.Node, depth: number): boolean {
    const fn = ts.isArrowFunction(from) ? from : ts.findAncestor(from, isFunctionLike);
    const call = fn?.parent;
    if (!fn || !call || !ts.isCallExpression(call) || !call.arguments.includes(fn as ts.Expression) || !ts.isPropertyAccessExpression(call.expression))
      return true;
    if (call.expression.name.text === "forEach") return false;
    if (/^(map|flatMap)$/.test(call.expression.name.text)) return this.used(call, depth + 1);
    return true;
  }

  private isLocal(identifier: ts.Identifier): boolean {
    const declaration = this.checker.getSymbolAtLocation(identifier)?.valueDeclaration;
    return (
      !!declaration &&
      (ts.isVariableDeclaration(declaration) || ts.isParameter(declaration)) &&
      !ts.isSourceFile(declaration.parent?.parent?.parent ?? declaration)
    );
  }

  /** Any read of the variable that uses the task(s) it holds. */
  private referencesUsed(name: ts.Identifier, depth: number): boolean {
    const symbol = this.checker.getSymbolAtLocation(name);
    const scope = ts.findAncestor(name, (node) => isFunctionLike(node) || ts.isSourceFile(node));
    if (!symbol || !scope) return true;
    return (this.identifiersIn(scope).get(name.text) ?? []).some(
      (node) => node !== name && this.checker.getSymbolAtLocation(node) === symbol && this.referenceUses(node, depth),
    );
  }

  /** The identifiers of a function by name, read once: a long orchestrator keeps many tasks in variables. */
  private identifiersIn(scope: ts.Node): Map<string, ts.Identifier[]> {
    let index = this.identifiers.get(scope);
    if (index) return index;
    const built = new Map<string, ts.Identifier[]>();
    const visit = (node: ts.Node): void => {
      if (ts.isIdentifier(node)) {
        const list = built.get(node.text);
        if (list) list.push(node);
        else built.set(node.text, [node]);
      }
      ts.forEachChild(node, visit);
    };
    visit(scope);
    index = built;
    this.identifiers.set(scope, index);
    return index;
  }

  private referenceUses(reference: ts.Identifier, depth: number): boolean {
    const parent = reference.parent;
    if ((ts.isVariableDeclaration(parent) || ts.isParameter(parent) || ts.isBindingElement(parent)) && parent.name === reference) return false;
    if (ts.isPropertyAccessExpression(parent) && parent.expression === reference) {
      if (NOT_A_USE.has(parent.name.text)) return false;
      if (ARRAY_COPIES.has(parent.name.text) && ts.isCallExpression(parent.parent)) return this.used(parent.parent, depth + 1);
      return true;
    }
    if (ts.isElementAccessExpression(parent) && parent.expression === reference) return this.used(parent, depth + 1);
    if (ts.isForOfStatement(parent) && parent.expression === reference) {
      const list = parent.initializer;
      const declared = ts.isVariableDeclarationList(list) ? list.declarations[0]?.name : undefined;
      return declared && ts.isIdentifier(declared) ? this.referencesUsed(declared, depth + 1) : true;
    }
    // The target of an assignment (tasks = []) is not a read.
    if (ts.isBinaryExpression(parent) && parent.left === reference && parent.operatorToken.kind === ts.SyntaxKind.EqualsToken) return false;
    return this.used(reference, depth + 1);
  }
}
