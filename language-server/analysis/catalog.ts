/**
 * The app's durable functions as the checker sees them: what `df.app.orchestration/activity/entity` register (names
 * through constants, enums, records and loops; handlers inline, by name, in options objects, records of handlers,
 * wrapper functions, registering helpers), plus orchestrator code found by type (OrchestrationHandler,
 * OrchestrationContext) and the old `df.orchestrator(fn)` wrapper; what a durabletask-js worker registers
 * (`addOrchestrator(fn)` by the function's name, `addNamedOrchestrator(name, fn)`, and the same for activities and
 * entities, also in loops over lists of functions) and its orchestrator code found by type (TOrchestrator, its
 * OrchestrationContext); and the operations each entity handles.
 *
 * Each file is scanned on its own into a list of what it registers (FileRegistrations), and the lists are applied in
 * the program's file order: the language server's incremental analysis keeps a file's list while nothing it was made
 * of changed (see reads.ts). The analysis reads the catalog through the methods below, which tell the hook what they
 * answered.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { FileRegistrations, FunctionKind, OrchestratorInfo, Registration } from "./model";
export type { FileRegistrations, FunctionKind, Registration } from "./model";
import { isFunctionLike, skipOuter, type Origins } from "./origins";
import type { AnalysisHook, CatalogRead, ReadListener } from "./reads";
import { runtimeNameOf, taskEntityOperations, workerRegistration, type DurableApis, type Sdk } from "./sdk";

const KINDS = new Set<string>(["activity", "orchestration", "entity"]);
const MAX_DEPTH = 8;

/** Calls by callee name, per file version (for registering helpers: what their callers pass). */
const callsByFile = new WeakMap<ts.SourceFile, Map<string, ts.CallExpression[]>>();

export class FunctionCatalog {
  private readonly names: Record<FunctionKind, Set<string>> = { activity: new Set(), orchestration: new Set(), entity: new Set() };
  private readonly open: Record<FunctionKind, boolean> = { activity: false, orchestration: false, entity: false };
  /** Orchestrator functions, the name each is known by and its SDK. */
  readonly orchestrators = new Map<ts.FunctionLikeDeclaration, OrchestratorInfo>();
  private readonly handlers: Record<FunctionKind, Map<string, ts.FunctionLikeDeclaration>> = {
    activity: new Map(),
    orchestration: new Map(),
    entity: new Map(),
  };
  private readonly operations = new Map<string, Set<string> | undefined>();
  private callIndex?: Map<string, ts.CallExpression[]>;
  /** While a file is scanned: what it registers. */
  private scanning: Registration[] = [];

  constructor(
    private readonly files: readonly ts.SourceFile[],
    private readonly origins: Origins,
    private readonly apis: DurableApis,
    private readonly hook?: AnalysisHook,
  ) {
    for (const file of files) {
      const scanned = hook ? hook.scan(file, () => this.scanFile(file)) : this.scanFile(file);
      for (const registration of scanned.registrations) this.apply(registration);
    }
  }

  private get listener(): ReadListener | undefined {
    return this.hook;
  }

  // ---- what the analysis reads (each answer told to the hook) ----

  /** Whether a kind has a registration whose name cannot be known. */
  isOpen(kind: FunctionKind): boolean {
    const value = this.open[kind];
    this.listener?.catalog({ kind, read: "open", value });
    return value;
  }

  isRegistered(kind: FunctionKind, name: string): boolean {
    const value = this.names[kind].has(name);
    this.listener?.catalog({ kind, read: "has", name, value });
    return value;
  }

  count(kind: FunctionKind): number {
    const value = this.names[kind].size;
    this.listener?.catalog({ kind, read: "size", value });
    return value;
  }

  /** The registered names of a kind, in registration order. */
  namesOf(kind: FunctionKind): string[] {
    const value = [...this.names[kind]];
    this.listener?.catalog({ kind, read: "names", value: value.join("\u0000") });
    return value;
  }

  /** The one handler registered under a name (undefined when there is none, or no single one). */
  handlerOf(kind: FunctionKind, name: string): ts.FunctionLikeDeclaration | undefined {
    const value = this.handlers[kind].get(name);
    this.listener?.catalog({ kind, read: "handler", name, value });
    return value;
  }

  /** The operation names an entity's handler tests for; undefined when none are visible. */
  operationsOf(entity: string): Set<string> | undefined {
    const value = this.readOperations(entity);
    this.listener?.catalog({ kind: "entity", read: "operations", name: entity, value: value && [...value].join("\u0000") });
    return value;
  }

  /** The answer the catalog gives now to the question of a read. */
  ask(question: CatalogRead): CatalogRead {
    const { kind } = question;
    switch (question.read) {
      case "open":
        return { kind, read: "open", value: this.isOpen(kind) };
      case "has":
        return { kind, read: "has", name: question.name, value: this.isRegistered(kind, question.name) };
      case "size":
        return { kind, read: "size", value: this.count(kind) };
      case "names":
        return { kind, read: "names", value: this.namesOf(kind).join("\u0000") };
      case "handler":
        return { kind, read: "handler", name: question.name, value: this.handlerOf(kind, question.name) };
      case "operations": {
        const operations = this.operationsOf(question.name);
        return { kind, read: "operations", name: question.name, value: operations && [...operations].join("\u0000") };
      }
    }
  }

  /** Registered names by kind (for callers outside the analysis). */
  registeredNames(): Record<FunctionKind, Set<string>> {
    return { activity: new Set(this.names.activity), orchestration: new Set(this.names.orchestration), entity: new Set(this.names.entity) };
  }

  private apply(registration: Registration): void {
    switch (registration.op) {
      case "name":
        this.names[registration.kind].add(registration.name);
        break;
      case "open":
        this.open[registration.kind] = true;
        break;
      case "handler":
        if (!this.handlers[registration.kind].has(registration.name)) this.handlers[registration.kind].set(registration.name, registration.fn);
        break;
      case "orchestrator":
        if (registration.replace || !this.orchestrators.has(registration.fn))
          this.orchestrators.set(registration.fn, { name: registration.name, sdk: registration.sdk, registered: registration.replace });
        break;
    }
  }

  // ---- scanning one file ----

  private scanFile(file: ts.SourceFile): FileRegistrations {
    this.scanning = [];
    try {
      this.scan(file);
    } catch {
      // One file the catalog cannot read costs only its own registrations (those after the failure); its orchestrators
      // still get DD000 or findings.
    }
    const registrations = this.scanning;
    this.scanning = [];
    return { registrations };
  }

  private addOrchestrator(fn: ts.FunctionLikeDeclaration, name: string, replace: boolean, sdk: Sdk): void {
    this.scanning.push({ op: "orchestrator", fn, name, replace, sdk });
  }

  /** Generators that take the orchestration context are orchestrator code, wherever they are registered from. */
  private addTypedOrchestrator(node: ts.FunctionLikeDeclaration, file: ts.SourceFile): void {
    const type = node.parameters[0]?.type;
    if (!node.asteriskToken || !type || !/\bOrchestrationContext\b/.test(type.getText(file))) return;
    const sdk = this.apis.contextTypeSdk(type);
    const name = sdk === "durabletask" ? runtimeNameOf(node) : node.name && ts.isIdentifier(node.name) ? node.name.text : undefined;
    this.addOrchestrator(node, name ?? "orchestrator", false, sdk);
  }

  /** `const x: OrchestrationHandler = ...` / `satisfies` (durable-functions), `TOrchestrator` (durabletask-js). */
  private addTypedValue(value: ts.Expression | undefined, type: ts.TypeNode, name: string | undefined, file: ts.SourceFile): void {
    const text = type.getText(file);
    const sdk: Sdk | undefined = /\bOrchestrationHandler\b/.test(text) ? "durable-functions" : /\bTOrchestrator\b/.test(text) ? "durabletask" : undefined;
    if (!sdk) return;
    const fn = this.origins.functionOf(value);
    if (fn) this.addOrchestrator(fn, name ?? "orchestrator", false, sdk);
  }

  private scan(file: ts.SourceFile): void {
    const visit = (node: ts.Node): void => {
      // A function body with nothing of the forms below (by syntax alone) registers nothing: not read node by node.
      if (isFunctionLike(node) && node.body && !mayRegister(node.body, file)) {
        visitOwnParts(node, visit);
        this.addTypedOrchestrator(node, file);
        return;
      }
      if (ts.isCallExpression(node)) {
        const kind = this.registrationKind(node);
        if (kind) this.register(kind, node);
        else this.registerOnWorker(node);
        if (
          ts.isPropertyAccessExpression(node.expression) &&
          node.expression.name.text === "orchestrator" &&
          this.origins.of(node.expression) === "module:durable-functions|orchestrator"
        ) {
          const fn = this.origins.functionOf(node.arguments[0]);
          if (fn) this.addOrchestrator(fn, "orchestrator", false, "durable-functions");
        }
      }
      if (ts.isVariableDeclaration(node) && node.type)
        this.addTypedValue(node.initializer, node.type, ts.isIdentifier(node.name) ? node.name.text : undefined, file);
      if (ts.isSatisfiesExpression(node)) this.addTypedValue(node.expression, node.type, undefined, file);
      if (isFunctionLike(node)) this.addTypedOrchestrator(node, file);
      ts.forEachChild(node, visit);
    };
    visit(file);
  }

  /**
   * `worker.addOrchestrator(fn)` and its kin on a durabletask-js worker: the name is the function's own (the SDK's
   * getName), or the one given; entity names are lowercased as the SDK does. A function without a name registers
   * nothing (the SDK throws); functions that cannot be found make the kind's names unknowable.
   */
  private registerOnWorker(call: ts.CallExpression): void {
    if (!ts.isPropertyAccessExpression(call.expression)) return;
    const method = call.expression.name.text;
    const registration = workerRegistration(method);
    if (!registration || !this.apis.isWorker(call.expression.expression)) return;
    const { kind, named } = registration;
    const [first, second] = call.arguments;
    const handlers = this.handlersOf(named ? second : first, 0);
    const given = named ? this.registeredNamesOf(first) : undefined;
    const normal = (name: string) => (kind === "entity" ? name.toLowerCase() : name);
    if (named ? !given : !handlers.length) this.scanning.push({ op: "open", kind });
    for (const name of given ?? []) this.scanning.push({ op: "name", kind, name: normal(name) });
    for (const handler of handlers) {
      const name = named ? (given?.length === 1 ? given[0] : undefined) : runtimeNameOf(handler);
      if (!named && name) this.scanning.push({ op: "name", kind, name: normal(name) });
      // Each function of a loop pairs with its own name; a named registration pairs only one with one.
      if (name && (!named || handlers.length === 1)) this.scanning.push({ op: "handler", kind, name: normal(name), fn: handler });
      if (kind === "orchestration") this.addOrchestrator(handler, name ?? given?.join("|") ?? "orchestrator", true, "durabletask");
    }
  }

  private registrationKind(call: ts.CallExpression): FunctionKind | undefined {
    if (!ts.isPropertyAccessExpression(call.expression) || !KINDS.has(call.expression.name.text)) return undefined;
    const target = call.expression.expression;
    const onApp =
      this.origins.of(target) === "module:durable-functions|app" ||
      (ts.isPropertyAccessExpression(target) && target.name.text === "app" && this.origins.of(target) === undefined);
    return onApp ? (call.expression.name.text as FunctionKind) : undefined;
  }

  private register(kind: FunctionKind, call: ts.CallExpression): void {
    const [nameArgument, options] = call.arguments;
    const names = this.registeredNamesOf(nameArgument);
    if (names) for (const name of names) this.scanning.push({ op: "name", kind, name });
    else this.scanning.push({ op: "open", kind });
    const handlers = this.handlersOf(options, 0);
    // Only an unambiguous name → handler pair is kept (type checks need the exact handler; a loop pairs many with many).
    if (names?.length === 1 && handlers.length === 1) this.scanning.push({ op: "handler", kind, name: names[0], fn: handlers[0] });
    for (const handler of handlers) {
      if (kind === "orchestration")
        this.addOrchestrator(handler, names?.length === 1 ? names[0] : (names?.join("|") ?? "orchestrator"), true, "durable-functions");
    }
  }

  private registeredNamesOf(node: ts.Expression | undefined): string[] | undefined {
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
      return record
        ? record.properties.flatMap((p) =>
            ts.isPropertyAssignment(p)
              ? this.handlersOf(p.initializer, depth + 1)
              : ts.isShorthandPropertyAssignment(p)
                ? this.handlersOf(p.name, depth + 1)
                : ts.isMethodDeclaration(p)
                  ? [p]
                  : [],
          )
        : [];
    }
    if (ts.isIdentifier(node)) {
      const values = this.loopValues(node) ?? this.listValues(node) ?? this.argumentsForParameter(node);
      return (values ?? []).flatMap((value) => this.handlersOf(value, depth + 1));
    }
    return [];
  }

  /** `for (const fn of orchestrators)`, `[chain, fanOut].forEach((fn) => ...)`, `Object.values(record)`: the list's elements. */
  private listValues(identifier: ts.Identifier): ts.Expression[] | undefined {
    const declaration = this.origins.declarationOf(identifier);
    if (!declaration) return undefined;
    let list: ts.Expression | undefined;
    if (ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name) && ts.isVariableDeclarationList(declaration.parent)) {
      const loop = declaration.parent.parent;
      if (ts.isForOfStatement(loop)) list = loop.expression;
    } else if (ts.isParameter(declaration) && ts.isIdentifier(declaration.name) && declaration.parent.parameters[0] === declaration) {
      list = this.origins.callbackReceiver(declaration);
    }
    if (!list) return undefined;
    list = skipOuter(list);
    if (ts.isCallExpression(list) && list.expression.getText() === "Object.values" && list.arguments[0]) {
      const record = this.origins.objectOf(list.arguments[0]);
      if (record) return record.properties.flatMap((p) => (ts.isPropertyAssignment(p) ? [p.initializer] : ts.isShorthandPropertyAssignment(p) ? [p.name] : []));
      return this.origins.exportedNames(list.arguments[0]);
    }
    const array = this.origins.arrayOf(list);
    return array?.elements.flatMap((element) => (ts.isSpreadElement(element) ? (this.origins.arrayOf(element.expression)?.elements ?? []) : [element]));
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
      this.origins.readBody(wrapper);
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
    if (
      !declaration ||
      !ts.isBindingElement(declaration) ||
      !ts.isArrayBindingPattern(declaration.parent) ||
      declaration.parent.elements.indexOf(declaration) !== 1
    )
      return undefined;
    const holder = declaration.parent.parent;
    const source =
      ts.isVariableDeclaration(holder) && ts.isForOfStatement(holder.parent.parent)
        ? holder.parent.parent.expression
        : ts.isParameter(holder)
          ? this.origins.callbackReceiver(holder)
          : undefined;
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
    const name =
      fn.name && ts.isIdentifier(fn.name)
        ? fn.name.text
        : ts.isVariableDeclaration(fn.parent) && ts.isIdentifier(fn.parent.name)
          ? fn.parent.name.text
          : undefined;
    if (!name) return undefined;
    // What every file's calls pass: more than the incremental analysis can check again.
    this.listener?.uncheckable();
    const calls = (this.callIndex ??= this.indexCalls()).get(name) ?? [];
    const values = calls
      .filter((call) => this.origins.functionOf(call.expression) === fn)
      .map((call) => call.arguments[index])
      .filter((a): a is ts.Expression => a !== undefined);
    return values.length ? values : undefined;
  }

  private indexCalls(): Map<string, ts.CallExpression[]> {
    const index = new Map<string, ts.CallExpression[]>();
    for (const file of this.files) {
      for (const [name, calls] of callsIn(file)) {
        const list = index.get(name);
        if (list) list.push(...calls);
        else index.set(name, [...calls]);
      }
    }
    return index;
  }

  /** The operation names an entity's handler tests for (`switch (context.df.operationName)` cases, `=== "op"`); undefined when none are visible. */
  private readOperations(entity: string): Set<string> | undefined {
    if (this.operations.has(entity)) return this.operations.get(entity);
    const handler = this.handlers.entity.get(entity);
    let found: Set<string> | undefined;
    const isOperationName = (node: ts.Expression) =>
      /\boperationName$/.test(skipOuter(node).getText()) || /^(op|operation|operationName)$/.test(skipOuter(node).getText());
    const visit = (node: ts.Node): void => {
      if (ts.isSwitchStatement(node) && isOperationName(node.expression)) {
        for (const clause of node.caseBlock.clauses)
          if (ts.isCaseClause(clause) && ts.isStringLiteralLike(clause.expression)) (found ??= new Set()).add(clause.expression.text);
      }
      if (ts.isBinaryExpression(node) && /^===?$/.test(node.operatorToken.getText()) && isOperationName(node.left) && ts.isStringLiteralLike(node.right))
        (found ??= new Set()).add(node.right.text);
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
    // A durabletask-js entity: a factory of a TaskEntity class, whose methods are its operations.
    const entityClass = handler && taskEntityOperations(handler, this.origins, (file) => this.files.includes(file));
    if (entityClass) found = entityClass;
    else if (handler?.body) visit(handler.body);
    if (dynamic) found = undefined;
    this.operations.set(entity, found);
    return found;
  }
}

/** A file's calls by callee name (`f(...)`, `x.f(...)`), kept per version of the file. */
function callsIn(file: ts.SourceFile): Map<string, ts.CallExpression[]> {
  let index = callsByFile.get(file);
  if (index) return index;
  const built = new Map<string, ts.CallExpression[]>();
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const callee = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
      if (ts.isIdentifier(callee)) {
        const list = built.get(callee.text);
        if (list) list.push(node);
        else built.set(callee.text, [node]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  index = built;
  callsByFile.set(file, index);
  return index;
}

/** Whether a function body has a form the catalog reads (kept by the body's text: an edit reads only the edited function's). */
const mayRegisterByText = new Map<string, boolean>();
const MAX_BODY_TEXTS = 20_000;

function mayRegister(body: ts.Node, file: ts.SourceFile): boolean {
  const key = file.text.slice(body.pos, body.end);
  let found = mayRegisterByText.get(key);
  if (found !== undefined) return found;
  found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (
      ts.isCallExpression(node) &&
      ts.isPropertyAccessExpression(node.expression) &&
      (KINDS.has(node.expression.name.text) || node.expression.name.text === "orchestrator" || workerRegistration(node.expression.name.text) !== undefined)
    )
      found = true;
    else if (ts.isVariableDeclaration(node) && node.type && /\b(OrchestrationHandler|TOrchestrator)\b/.test(node.type.getText(file))) found = true;
    else if (ts.isSatisfiesExpression(node) && /\b(OrchestrationHandler|TOrchestrator)\b/.test(node.type.getText(file))) found = true;
    else if (isFunctionLike(node) && node.asteriskToken && node.parameters[0]?.type && /\bOrchestrationContext\b/.test(node.parameters[0].type.getText(file)))
      found = true;
    else ts.forEachChild(node, visit);
  };
  visit(body);
  if (mayRegisterByText.size >= MAX_BODY_TEXTS) mayRegisterByText.clear();
  mayRegisterByText.set(key, found);
  return found;
}

/** Visits a function's children but its body (its name, parameters, type, decorators). */
function visitOwnParts(fn: ts.FunctionLikeDeclaration, visit: (node: ts.Node) => void): void {
  ts.forEachChild(fn, (child) => {
    if (child !== fn.body) visit(child);
  });
}
