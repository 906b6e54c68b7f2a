/**
 * The app's durable functions as the checker sees them: what `df.app.orchestration/activity/entity` register (names
 * through constants, enums, records and loops; handlers inline, by name, in options objects, records of handlers,
 * wrapper functions, registering helpers), plus orchestrator code found by type (OrchestrationHandler,
 * OrchestrationContext) and the old `df.orchestrator(fn)` wrapper; and the operations each entity handles.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import { isFunctionLike, skipOuter, type Origins } from "./origins";

export type FunctionKind = "activity" | "orchestration" | "entity";
const KINDS = new Set<string>(["activity", "orchestration", "entity"]);
const MAX_DEPTH = 8;

export class FunctionCatalog {
  readonly names: Record<FunctionKind, Set<string>> = { activity: new Set(), orchestration: new Set(), entity: new Set() };
  /** Kinds with a registration whose name cannot be known statically: their names are not checked (no false alarms). */
  readonly open: Record<FunctionKind, boolean> = { activity: false, orchestration: false, entity: false };
  /** Orchestrator functions and the name each is known by. */
  readonly orchestrators = new Map<ts.FunctionLikeDeclaration, string>();
  readonly handlers: Record<FunctionKind, Map<string, ts.FunctionLikeDeclaration>> = { activity: new Map(), orchestration: new Map(), entity: new Map() };
  private readonly operations = new Map<string, Set<string> | undefined>();
  private callIndex?: Map<string, ts.CallExpression[]>;

  constructor(
    private readonly files: readonly ts.SourceFile[],
    private readonly origins: Origins,
  ) {
    for (const file of files) {
      try {
        this.scan(file);
      } catch {
        // One file the catalog cannot read costs only its own registrations; its orchestrators still get DD000 or findings.
      }
    }
  }

  private scan(file: ts.SourceFile): void {
    const visit = (node: ts.Node): void => {
      if (ts.isCallExpression(node)) {
        const kind = this.registrationKind(node);
        if (kind) this.register(kind, node);
        if (ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "orchestrator" && this.origins.of(node.expression) === "module:durable-functions|orchestrator") {
          const fn = this.origins.functionOf(node.arguments[0]);
          if (fn && !this.orchestrators.has(fn)) this.orchestrators.set(fn, "orchestrator");
        }
      }
      if (ts.isVariableDeclaration(node) && node.type && /\bOrchestrationHandler\b/.test(node.type.getText(file))) {
        const fn = this.origins.functionOf(node.initializer);
        if (fn && !this.orchestrators.has(fn)) this.orchestrators.set(fn, ts.isIdentifier(node.name) ? node.name.text : "orchestrator");
      }
      if (ts.isSatisfiesExpression(node) && /\bOrchestrationHandler\b/.test(node.type.getText(file))) {
        const fn = this.origins.functionOf(node.expression);
        if (fn && !this.orchestrators.has(fn)) this.orchestrators.set(fn, "orchestrator");
      }
      // Generators that take the orchestration context are orchestrator code, wherever they are registered from.
      if (isFunctionLike(node) && node.asteriskToken && node.parameters[0]?.type && /\bOrchestrationContext\b/.test(node.parameters[0].type.getText(file)) && !this.orchestrators.has(node)) {
        this.orchestrators.set(node, node.name && ts.isIdentifier(node.name) ? node.name.text : "orchestrator");
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  private registrationKind(call: ts.CallExpression): FunctionKind | undefined {
    if (!ts.isPropertyAccessExpression(call.expression) || !KINDS.has(call.expression.name.text)) return undefined;
    const target = call.expression.expression;
    const onApp = this.origins.of(target) === "module:durable-functions|app" || (ts.isPropertyAccessExpression(target) && target.name.text === "app" && this.origins.of(target) === undefined);
    return onApp ? (call.expression.name.text as FunctionKind) : undefined;
  }

  private register(kind: FunctionKind, call: ts.CallExpression): void {
    const [nameArgument, options] = call.arguments;
    const names = this.namesOf(nameArgument);
    if (names) for (const name of names) this.names[kind].add(name);
    else this.open[kind] = true;
    const handlers = this.handlersOf(options, 0);
    // Only an unambiguous name → handler pair is kept (type checks need the exact handler; a loop pairs many with many).
    if (names?.length === 1 && handlers.length === 1 && !this.handlers[kind].has(names[0])) this.handlers[kind].set(names[0], handlers[0]);
    for (const handler of handlers) {
      if (kind === "orchestration") this.orchestrators.set(handler, names?.length === 1 ? names[0] : (names?.join("|") ?? "orchestrator"));
    }
  }

  private namesOf(node: ts.Expression | undefined): string[] | undefined {
    if (!node) return undefined;
    const known = this.origins.strings(node);
    if (known) return known;
    const values = this.argumentsForParameter(node);
    if (!values) return undefined;
    const all = values.map((value) => this.origins.strings(value));
    return all.every((v) => v !== undefined) ? (all.flat() as string[]) : undefined;
  }

  /** The functions a handler argument may be. */
  private handlersOf(node: ts.Expression | undefined, depth: number): ts.FunctionLikeDeclaration[] {
    if (!node || depth > MAX_DEPTH) return [];
    node = skipOuter(node);
    const fn = this.origins.functionOf(node);
    if (fn) return [fn];
    const object = this.origins.objectOf(node);
    if (object) {
      const found: ts.FunctionLikeDeclaration[] = [];
      for (const property of object.properties) {
        const named = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : undefined;
        if (ts.isSpreadAssignment(property)) found.push(...this.handlersOf(property.expression, depth + 1));
        else if (named === "handler" && ts.isMethodDeclaration(property)) found.push(property);
        else if (named === "handler" && ts.isPropertyAssignment(property)) found.push(...this.handlersOf(property.initializer, depth + 1));
        else if (named === "handler" && ts.isShorthandPropertyAssignment(property)) found.push(...this.handlersOf(property.name, depth + 1));
      }
      return found;
    }
    if (ts.isCallExpression(node)) return this.wrappedHandlers(node, depth);
    // record[name] inside a loop over the record: any of its values.
    if (ts.isElementAccessExpression(node)) {
      const record = this.origins.objectOf(node.expression);
      return record ? record.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? this.handlersOf(p.initializer, depth + 1) : ts.isShorthandPropertyAssignment(p) ? this.handlersOf(p.name, depth + 1) : ts.isMethodDeclaration(p) ? [p] : [])) : [];
    }
    if (ts.isIdentifier(node)) {
      const values = this.loopValues(node) ?? this.argumentsForParameter(node);
      return (values ?? []).flatMap((value) => this.handlersOf(value, depth + 1));
    }
    return [];
  }

  /** `withLogging(function* (context) {...})`: the functions the wrapper returns, and the functions handed to it. */
  private wrappedHandlers(call: ts.CallExpression, depth: number): ts.FunctionLikeDeclaration[] {
    const found: ts.FunctionLikeDeclaration[] = [];
    for (const argument of call.arguments) {
      const fn = this.origins.functionOf(argument);
      if (fn) found.push(fn);
    }
    const wrapper = this.origins.functionOf(call.expression);
    if (wrapper?.body) {
      const returned = ts.isBlock(wrapper.body) ? [] : [wrapper.body];
      const visit = (node: ts.Node): void => {
        if (node !== wrapper && isFunctionLike(node) && !ts.isReturnStatement(node.parent)) return;
        if (ts.isReturnStatement(node) && node.expression) returned.push(node.expression);
        ts.forEachChild(node, visit);
      };
      if (ts.isBlock(wrapper.body)) visit(wrapper.body);
      for (const value of returned) found.push(...this.handlersOf(value as ts.Expression, depth + 1));
    }
    return found;
  }

  /** `for (const [name, handler] of Object.entries(record))` and its forEach form: the record's values. */
  private loopValues(identifier: ts.Identifier): ts.Expression[] | undefined {
    const declaration = this.origins.declarationOf(identifier);
    if (!declaration || !ts.isBindingElement(declaration) || !ts.isArrayBindingPattern(declaration.parent) || declaration.parent.elements.indexOf(declaration) !== 1) return undefined;
    const holder = declaration.parent.parent;
    const source = ts.isVariableDeclaration(holder) && ts.isForOfStatement(holder.parent.parent) ? holder.parent.parent.expression : ts.isParameter(holder) ? this.origins.callbackReceiver(holder) : undefined;
    if (!source || !ts.isCallExpression(source) || source.expression.getText() !== "Object.entries") return undefined;
    const record = this.origins.objectOf(source.arguments[0]);
    return record?.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : ts.isShorthandPropertyAssignment(p) ? [p.name] : []));
  }

  /** A parameter of a registering helper (`function register(name, handler) { df.app.orchestration(name, handler) }`): what its callers pass. */
  private argumentsForParameter(node: ts.Expression): ts.Expression[] | undefined {
    if (!ts.isIdentifier(node)) return undefined;
    const declaration = this.origins.declarationOf(node);
    if (!declaration || !ts.isParameter(declaration) || !isFunctionLike(declaration.parent)) return undefined;
    const fn = declaration.parent;
    const index = fn.parameters.indexOf(declaration);
    const name = fn.name && ts.isIdentifier(fn.name) ? fn.name.text : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name) ? fn.parent.name.text : undefined;
    if (!name) return undefined;
    const calls = (this.callIndex ??= this.indexCalls()).get(name) ?? [];
    const values = calls.filter((call) => this.origins.functionOf(call.expression) === fn).map((call) => call.arguments[index]).filter((a): a is ts.Expression => a !== undefined);
    return values.length ? values : undefined;
  }

  private indexCalls(): Map<string, ts.CallExpression[]> {
    const index = new Map<string, ts.CallExpression[]>();
    for (const file of this.files) {
      const visit = (node: ts.Node): void => {
        if (ts.isCallExpression(node)) {
          const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
          if (ts.isIdentifier(callee)) index.set(callee.text, [...(index.get(callee.text) ?? []), node]);
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    return index;
  }

  /** The operation names an entity's handler tests for (`switch (context.df.operationName)` cases, `=== "op"`); undefined when none are visible. */
  operationsOf(entity: string): Set<string> | undefined {
    if (this.operations.has(entity)) return this.operations.get(entity);
    const handler = this.handlers.entity.get(entity);
    let found: Set<string> | undefined;
    const isOperationName = (node: ts.Expression) => /\boperationName$/.test(skipOuter(node).getText()) || /^(op|operation|operationName)$/.test(skipOuter(node).getText());
    const visit = (node: ts.Node): void => {
      if (ts.isSwitchStatement(node) && isOperationName(node.expression)) {
        for (const clause of node.caseBlock.clauses) if (ts.isCaseClause(clause) && ts.isStringLiteralLike(clause.expression)) (found ??= new Set()).add(clause.expression.text);
      }
      if (ts.isBinaryExpression(node) && /^===?$/.test(node.operatorToken.getText()) && isOperationName(node.left) && ts.isStringLiteralLike(node.right)) (found ??= new Set()).add(node.right.text);
      // operations[context.df.operationName]: the record's keys are operations too; a record we cannot read makes them unknowable.
      if (ts.isElementAccessExpression(node) && isOperationName(node.argumentExpression)) {
        const record = this.origins.objectOf(node.expression);
        if (!record) dynamic = true;
        for (const property of record?.properties ?? []) {
          const key = property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name)) ? property.name.text : undefined;
          if (key === undefined) dynamic = true;
          else (found ??= new Set()).add(key);
        }
      }
      ts.forEachChild(node, visit);
    };
    let dynamic = false;
    if (handler?.body) visit(handler.body);
    if (dynamic) found = undefined;
    this.operations.set(entity, found);
    return found;
  }
}
