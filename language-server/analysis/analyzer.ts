/**
 * Finds nondeterministic code and durable API misuse in orchestrators with the TypeScript compiler API: it finds the
 * orchestrator functions (df.app.orchestration handlers, OrchestrationHandler-typed functions, df.orchestrator
 * wrappers), follows their calls into the workspace's own functions (same file or imported, aliases included), and
 * reports each problem where it happens, with the call path that reaches it from the orchestrator.
 */
import * as ts from "typescript";
import * as path from "node:path";
import { RULES, type Severity } from "./rules";

export interface TextRange {
  file: string;
  start: number;
  end: number;
}

export interface Fix {
  title: string;
  edits: (TextRange & { newText: string })[];
}

export interface Finding extends TextRange {
  code: string;
  severity: Severity;
  message: string;
  related: (TextRange & { message: string })[];
  fixes: Fix[];
}

export interface AnalyzerSettings {
  /** Rules turned off ("off") or given another severity. */
  rules?: Record<string, Severity | "off">;
}

interface Reach {
  orchestratorName: string;
  /** Function names from the orchestrator down to the current function. */
  path: string[];
  /** The orchestrator's context parameter name, when we are in the orchestrator's own body. */
  contextName?: string;
  origin: TextRange;
}

const DURABLE_TASK_METHODS = new Set([
  "callActivity",
  "callActivityWithRetry",
  "callSubOrchestrator",
  "callSubOrchestratorWithRetry",
  "createTimer",
  "waitForExternalEvent",
  "callEntity",
  "callHttp",
]);
const IO_MODULES = new Set(["fs", "fs/promises", "http", "https", "http2", "net", "tls", "dgram", "dns", "dns/promises", "child_process", "readline", "axios", "node-fetch", "got", "pg", "mysql", "mysql2", "mongodb", "mssql", "redis", "ioredis", "@azure/storage-blob", "@azure/cosmos", "@azure/service-bus"]);
const IO_GLOBALS = new Set(["fetch", "XMLHttpRequest", "WebSocket"]);
const TIMER_GLOBALS = new Set(["setTimeout", "setInterval", "setImmediate"]);
const THREAD_MODULES = new Set(["worker_threads", "cluster"]);
const CRYPTO_RANDOM = new Set(["randomUUID", "randomBytes", "getRandomValues", "randomInt", "randomFillSync", "randomFill"]);

function moduleName(specifier: string): string {
  return specifier.replace(/^node:/, "");
}

/** Local names bound to modules in a file: import x / * as x / { a as b } from "m", and require("m") forms. */
function importsOf(file: ts.SourceFile): Map<string, { module: string; member?: string }> {
  const imports = new Map<string, { module: string; member?: string }>();
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && node.importClause) {
      const module = moduleName(node.moduleSpecifier.text);
      const clause = node.importClause;
      if (clause.name) imports.set(clause.name.text, { module });
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) imports.set(bindings.name.text, { module });
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) imports.set(element.name.text, { module, member: (element.propertyName ?? element.name).text });
      }
    } else if (ts.isVariableDeclaration(node) && node.initializer && ts.isCallExpression(node.initializer)) {
      const call = node.initializer;
      if (ts.isIdentifier(call.expression) && call.expression.text === "require" && call.arguments.length === 1 && ts.isStringLiteral(call.arguments[0])) {
        const module = moduleName(call.arguments[0].text);
        if (ts.isIdentifier(node.name)) imports.set(node.name.text, { module });
        if (ts.isObjectBindingPattern(node.name)) {
          for (const element of node.name.elements) {
            if (ts.isIdentifier(element.name)) imports.set(element.name.text, { module, member: element.propertyName && ts.isIdentifier(element.propertyName) ? element.propertyName.text : element.name.text });
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return imports;
}

function isFunctionLike(node: ts.Node): node is ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node);
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1].toLowerCase() === b[j - 1].toLowerCase() ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export class Analyzer {
  private readonly checker: ts.TypeChecker;
  private readonly imports = new Map<ts.SourceFile, Map<string, { module: string; member?: string }>>();
  readonly registered = { activity: new Set<string>(), orchestration: new Set<string>(), entity: new Set<string>() };

  constructor(
    private readonly program: ts.Program,
    private readonly settings: AnalyzerSettings = {},
  ) {
    this.checker = program.getTypeChecker();
  }

  /** Source files of the workspace (not libraries, not declaration files). */
  private workspaceFiles(): ts.SourceFile[] {
    return this.program.getSourceFiles().filter((file) => !file.isDeclarationFile && !file.fileName.includes(`${path.sep}node_modules${path.sep}`) && !file.fileName.includes("/node_modules/"));
  }

  private importsFor(file: ts.SourceFile) {
    let map = this.imports.get(file);
    if (!map) {
      map = importsOf(file);
      this.imports.set(file, map);
    }
    return map;
  }

  /** `df.app.<kind>(...)` / `app.<kind>(...)` registrations from durable-functions, with their names and handlers. */
  private registrations(): { kind: "activity" | "orchestration" | "entity"; name?: string; handler?: ts.Node; call: ts.CallExpression }[] {
    const found: { kind: "activity" | "orchestration" | "entity"; name?: string; handler?: ts.Node; call: ts.CallExpression }[] = [];
    for (const file of this.workspaceFiles()) {
      const visit = (node: ts.Node) => {
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression)) {
          const kind = node.expression.name.text;
          const target = node.expression.expression;
          const onApp = (ts.isPropertyAccessExpression(target) && target.name.text === "app") || (ts.isIdentifier(target) && this.isDurableApp(file, target));
          if (onApp && (kind === "activity" || kind === "orchestration" || kind === "entity")) {
            const [nameArg, options] = node.arguments;
            const name = nameArg && ts.isStringLiteralLike(nameArg) ? nameArg.text : undefined;
            let handler: ts.Node | undefined = options;
            if (options && ts.isObjectLiteralExpression(options)) {
              const property = options.properties.find((p) => p.name && ts.isIdentifier(p.name) && p.name.text === "handler");
              handler = property && ts.isPropertyAssignment(property) ? property.initializer : property && ts.isShorthandPropertyAssignment(property) ? property.name : undefined;
            }
            found.push({ kind, name, handler, call: node });
          }
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    return found;
  }

  /** `app` imported from durable-functions (`import { app } from "durable-functions"`). */
  private isDurableApp(file: ts.SourceFile, identifier: ts.Identifier): boolean {
    const binding = this.importsFor(file).get(identifier.text);
    return binding?.module === "durable-functions" && binding.member === "app";
  }

  /** The function a handler expression denotes (inline, a local or imported identifier, a wrapper call). */
  private resolveFunction(node: ts.Node | undefined): ts.FunctionLikeDeclaration | undefined {
    if (!node) return undefined;
    if (isFunctionLike(node)) return node;
    if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node)) return this.resolveFunction(node.expression);
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "orchestrator") {
      return this.resolveFunction(node.arguments[0]);
    }
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node)) {
      let symbol = this.checker.getSymbolAtLocation(ts.isPropertyAccessExpression(node) ? node.name : node);
      if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = this.checker.getAliasedSymbol(symbol);
      const declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
      if (declaration && isFunctionLike(declaration)) return declaration;
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) return this.resolveFunction(declaration.initializer);
      if (declaration && ts.isShorthandPropertyAssignment(declaration)) return this.resolveFunction(declaration.name);
      // Destructured requires, exports.x = function...: the value's type knows the function it came from.
      const typed = this.checker.getTypeAtLocation(node).getSymbol()?.valueDeclaration;
      if (typed && isFunctionLike(typed)) return typed;
    }
    return undefined;
  }

  /** Orchestrator functions: registered handlers, OrchestrationHandler-typed declarations, df.orchestrator wrappers. */
  orchestrators(): { name: string; fn: ts.FunctionLikeDeclaration }[] {
    const result = new Map<ts.Node, string>();
    const handlers = new Set<ts.Node>();
    for (const registration of this.registrations()) {
      if (registration.name) this.registered[registration.kind].add(registration.name);
      const fn = this.resolveFunction(registration.handler);
      if (!fn) continue;
      handlers.add(fn);
      if (registration.kind === "orchestration") result.set(fn, registration.name ?? "orchestrator");
    }
    for (const file of this.workspaceFiles()) {
      const visit = (node: ts.Node) => {
        if (ts.isVariableDeclaration(node) && node.type && /\bOrchestrationHandler\b/.test(node.type.getText(file))) {
          const fn = this.resolveFunction(node.initializer);
          if (fn && !result.has(fn)) result.set(fn, ts.isIdentifier(node.name) ? node.name.text : "orchestrator");
        }
        if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "orchestrator" && ts.isIdentifier(node.expression.expression)) {
          const binding = this.importsFor(file).get(node.expression.expression.text);
          const fn = binding?.module === "durable-functions" ? this.resolveFunction(node.arguments[0]) : undefined;
          if (fn && !result.has(fn)) result.set(fn, "orchestrator");
        }
        ts.forEachChild(node, visit);
      };
      visit(file);
    }
    return [...result].map(([fn, name]) => ({ name, fn: fn as ts.FunctionLikeDeclaration }));
  }

  /** Every finding in the workspace, or only those in `onlyFile`. */
  analyze(onlyFile?: string): Finding[] {
    const findings: Finding[] = [];
    for (const { name, fn } of this.orchestrators()) {
      const file = fn.getSourceFile();
      const contextParameter = fn.parameters[0] && ts.isIdentifier(fn.parameters[0].name) ? fn.parameters[0].name.text : undefined;
      const origin = { file: file.fileName, start: fn.getStart(file), end: fn.body ? fn.body.getStart(file) : fn.getEnd() };
      const reach: Reach = { orchestratorName: name, path: [], contextName: contextParameter, origin };
      if (fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword)) {
        this.report(findings, "DD006", fn, `Orchestrator '${name}' is an async function: orchestrators must be generator functions (function*) that yield durable tasks, or the replay breaks.`, reach);
      }
      this.walk(fn, reach, new Set([fn]), findings);
    }
    const unique = new Map<string, Finding>();
    for (const finding of findings) unique.set(`${finding.file}:${finding.start}:${finding.end}:${finding.code}`, finding);
    return [...unique.values()].filter((f) => !onlyFile || path.resolve(f.file) === path.resolve(onlyFile)).filter((f) => !this.suppressed(f));
  }

  private suppressed(finding: Finding): boolean {
    const file = this.program.getSourceFile(finding.file);
    if (!file) return false;
    const { line } = file.getLineAndCharacterOfPosition(finding.start);
    const lines = file.text.split("\n");
    const marker = new RegExp(`durable-devkit-ignore(?:\\s+([A-Z0-9, ]+))?`);
    return [lines[line], lines[line - 1] ?? ""].some((text) => {
      const match = marker.exec(text);
      if (!match) return false;
      return !match[1] || match[1].split(/[ ,]+/).includes(finding.code);
    });
  }

  private report(findings: Finding[], code: string, node: ts.Node, message: string, reach: Reach, fixes: Fix[] = []): void {
    const setting = this.settings.rules?.[code];
    if (setting === "off") return;
    const file = node.getSourceFile();
    const related: Finding["related"] = [];
    if (reach.path.length) {
      related.push({ ...reach.origin, message: `reached from orchestrator '${reach.orchestratorName}' via ${reach.path.map((p) => `${p}()`).join(" → ")}` });
    }
    findings.push({
      file: file.fileName,
      start: node.getStart(file),
      end: node.getEnd(),
      code,
      severity: setting ?? RULES[code].severity,
      message: reach.path.length ? `${message} (reached from orchestrator '${reach.orchestratorName}' via ${reach.path.map((p) => `${p}()`).join(" → ")})` : message,
      related,
      fixes,
    });
  }

  private walk(fn: ts.FunctionLikeDeclaration, reach: Reach, visited: Set<ts.Node>, findings: Finding[]): void {
    const file = fn.getSourceFile();
    const imports = this.importsFor(file);
    const inOrchestrator = reach.path.length === 0;
    const visit = (node: ts.Node, guardedByReplayCheck: boolean): void => {
      // Nested functions run when called, not when defined: follow them through calls only.
      if (node !== fn && isFunctionLike(node)) return;
      if (ts.isAwaitExpression(node) && inOrchestrator) {
        this.report(findings, "DD006", node, "await in an orchestrator: yield the durable task instead (yield context.df.callActivity(...)).", reach);
      }
      if (ts.isIfStatement(node) && /!\s*[\w.]*\bisReplaying\b|\bisReplaying\s*===?\s*false/.test(node.expression.getText(file))) {
        visit(node.expression, guardedByReplayCheck);
        visit(node.thenStatement, true);
        if (node.elseStatement) visit(node.elseStatement, guardedByReplayCheck);
        return;
      }
      if (ts.isYieldExpression(node) && inOrchestrator) this.checkYield(node, reach, findings);
      if (ts.isNewExpression(node)) this.checkNew(node, reach, imports, findings);
      if (ts.isCallExpression(node)) {
        this.checkCall(node, reach, imports, guardedByReplayCheck, findings);
        this.follow(node, reach, visited, findings);
      }
      if (ts.isPropertyAccessExpression(node) && node.expression.getText(file) === "process" && node.name.text === "env") {
        this.report(findings, "DD005", node, "process.env in an orchestrator: the environment can differ between replays and hosts. Read it in an activity or pass the value in as input.", reach);
      }
      if (ts.isExpressionStatement(node) && ts.isCallExpression(node.expression)) this.checkUnyielded(node.expression, reach, findings);
      if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
        this.checkModuleStateWrite(node.left, reach, findings);
      }
      if ((ts.isPostfixUnaryExpression(node) || ts.isPrefixUnaryExpression(node)) && (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)) {
        this.checkModuleStateWrite(node.operand, reach, findings);
      }
      ts.forEachChild(node, (child) => visit(child, guardedByReplayCheck));
    };
    if (fn.body) visit(fn.body, false);
  }

  private checkNew(node: ts.NewExpression, reach: Reach, imports: Map<string, { module: string; member?: string }>, findings: Finding[]): void {
    const file = node.getSourceFile();
    const callee = node.expression.getText(file);
    if (callee === "Date" && (!node.arguments || node.arguments.length === 0)) {
      const fixes = reach.contextName
        ? [{ title: `Use ${reach.contextName}.df.currentUtcDateTime`, edits: [{ file: file.fileName, start: node.getStart(file), end: node.getEnd(), newText: `${reach.contextName}.df.currentUtcDateTime` }] }]
        : [];
      this.report(findings, "DD001", node, "new Date() reads the clock, which differs on every replay: use context.df.currentUtcDateTime.", reach, fixes);
    }
    const base = ts.isIdentifier(node.expression) ? imports.get(node.expression.text) : undefined;
    const viaNamespace = ts.isPropertyAccessExpression(node.expression) && ts.isIdentifier(node.expression.expression) ? imports.get(node.expression.expression.text) : undefined;
    if ((base && THREAD_MODULES.has(base.module)) || (viaNamespace && THREAD_MODULES.has(viaNamespace.module))) {
      this.report(findings, "DD013", node, `${callee} starts a thread in an orchestrator: do parallel work with activities and context.df.Task.all.`, reach);
    }
  }

  private checkCall(node: ts.CallExpression, reach: Reach, imports: Map<string, { module: string; member?: string }>, guarded: boolean, findings: Finding[]): void {
    const file = node.getSourceFile();
    const callee = node.expression;
    const text = callee.getText(file);
    if (text === "Date.now" || text === "Date") {
      const fixes =
        reach.contextName && text === "Date.now"
          ? [{ title: `Use ${reach.contextName}.df.currentUtcDateTime`, edits: [{ file: file.fileName, start: node.getStart(file), end: node.getEnd(), newText: `${reach.contextName}.df.currentUtcDateTime.getTime()` }] }]
          : [];
      this.report(findings, "DD001", node, `${text}() reads the clock, which differs on every replay: use context.df.currentUtcDateTime.`, reach, fixes);
      return;
    }
    if (text === "Math.random") {
      this.report(findings, "DD002", node, "Math.random() gives a different value on every replay: use context.df.newGuid() for ids, or get random values from an activity.", reach);
      return;
    }
    if (ts.isIdentifier(callee) && TIMER_GLOBALS.has(callee.text) && !imports.has(callee.text)) {
      this.report(findings, "DD003", node, `${callee.text} is a real timer that replays do not see: use yield context.df.createTimer(fireAt).`, reach);
      return;
    }
    if (ts.isIdentifier(callee) && IO_GLOBALS.has(callee.text) && !imports.has(callee.text)) {
      this.report(findings, "DD004", node, `${callee.text}() does I/O in an orchestrator, again on every replay: move it into an activity (or use context.df.callHttp).`, reach);
      return;
    }
    if (/^Promise\.(all|race|any|allSettled)$/.test(text)) {
      const combinator = text.split(".")[1];
      const replacement = combinator === "all" || combinator === "allSettled" ? "all" : "any";
      const context = reach.contextName ?? "context";
      this.report(findings, "DD007", node, `${text} does not work on durable tasks: use yield ${context}.df.Task.${replacement}(tasks).`, reach, [
        { title: `Use ${context}.df.Task.${replacement}`, edits: [{ file: file.fileName, start: callee.getStart(file), end: callee.getEnd(), newText: `${context}.df.Task.${replacement}` }] },
      ]);
      return;
    }
    if (/^console\.(log|info|warn|error|debug|trace)$/.test(text) && !guarded) {
      this.report(findings, "DD011", node, `${text} repeats on every replay: use context.log, or guard it with if (!context.df.isReplaying).`, reach);
      return;
    }
    // Module members: fs.readFileSync(), readFile() imported from fs, crypto.randomUUID(), os.hostname()...
    const root = ts.isPropertyAccessExpression(callee) ? callee.expression : callee;
    const rootName = ts.isIdentifier(root) ? root.text : ts.isPropertyAccessExpression(root) && ts.isIdentifier(root.expression) ? root.expression.text : undefined;
    const member = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? imports.get(callee.text)?.member ?? callee.text : undefined;
    const binding = rootName ? imports.get(rootName) : undefined;
    const module = binding?.module;
    if (module && IO_MODULES.has(module)) {
      this.report(findings, "DD004", node, `${text}() does I/O (${module}) in an orchestrator, again on every replay: move it into an activity.`, reach);
    } else if ((module === "crypto" || rootName === "crypto") && member && CRYPTO_RANDOM.has(member)) {
      this.report(findings, "DD002", node, `${text}() gives a different value on every replay: use context.df.newGuid(), or an activity.`, reach);
    } else if (module === "uuid" && member && /^v[14]$/.test(member)) {
      this.report(findings, "DD002", node, `${text}() makes a new id on every replay: use context.df.newGuid().`, reach);
    } else if (module === "os") {
      this.report(findings, "DD005", node, `${text}() reads the machine's environment, which can differ between replays: pass the value in as input.`, reach);
    } else if (module === "timers/promises" || (module === "timers" && member && /^set/.test(member))) {
      this.report(findings, "DD003", node, `${text}() is a real timer that replays do not see: use yield context.df.createTimer(fireAt).`, reach);
    } else if (module && THREAD_MODULES.has(module)) {
      this.report(findings, "DD013", node, `${text}() uses threads or processes in an orchestrator: do parallel work with activities and context.df.Task.all.`, reach);
    }
    this.checkFunctionName(node, reach, findings);
  }

  /** DD009: callActivity("name") etc. with a literal name that no registration defines. */
  private checkFunctionName(node: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    if (!ts.isPropertyAccessExpression(node.expression)) return;
    const method = node.expression.name.text;
    const kind = method.startsWith("callActivity") ? "activity" : method.startsWith("callSubOrchestrator") ? "orchestration" : undefined;
    const [first] = node.arguments;
    if (!kind || !first || !ts.isStringLiteralLike(first)) return;
    const known = this.registered[kind];
    if (known.size === 0 || known.has(first.text)) return;
    const file = node.getSourceFile();
    const closest = [...known].map((name) => ({ name, distance: levenshtein(name, first.text) })).sort((a, b) => a.distance - b.distance)[0];
    const suggestion = closest && closest.distance <= Math.max(2, Math.floor(first.text.length / 3)) ? closest.name : undefined;
    const quote = first.getText(file)[0];
    this.report(
      findings,
      "DD009",
      first,
      `No ${kind} function named '${first.text}' is registered in this app${suggestion ? `: did you mean '${suggestion}'?` : `. Registered: ${[...known].map((n) => `'${n}'`).join(", ")}.`}`,
      reach,
      suggestion ? [{ title: `Change to '${suggestion}'`, edits: [{ file: file.fileName, start: first.getStart(file), end: first.getEnd(), newText: `${quote}${suggestion}${quote}` }] }] : [],
    );
  }

  /** DD010: `yield` of something the package cannot wait for (a promise, a plain value, nothing). */
  private checkYield(node: ts.YieldExpression, reach: Reach, findings: Finding[]): void {
    if (node.asteriskToken) return;
    const expression = node.expression;
    if (!expression) {
      this.report(findings, "DD010", node, "yield with nothing to wait for: yield a durable task (context.df.callActivity(...), createTimer, Task.all...).", reach);
      return;
    }
    const literal =
      ts.isLiteralExpression(expression) ||
      ts.isObjectLiteralExpression(expression) ||
      ts.isArrayLiteralExpression(expression) ||
      expression.kind === ts.SyntaxKind.TrueKeyword ||
      expression.kind === ts.SyntaxKind.FalseKeyword ||
      expression.kind === ts.SyntaxKind.NullKeyword;
    // Promise.all/race/... are reported as DD007, with their own fix.
    if (ts.isCallExpression(expression) && /^Promise\.(all|race|any|allSettled)$/.test(expression.expression.getText(expression.getSourceFile()))) return;
    const type = this.checker.getTypeAtLocation(expression);
    const promise = type.getSymbol()?.getName() === "Promise" || ts.isAwaitExpression(expression);
    if (literal || promise) {
      this.report(
        findings,
        "DD010",
        expression,
        `yield ${promise ? "of a Promise" : "of a plain value"}: orchestrators may only yield durable tasks (context.df.callActivity(...), createTimer, waitForExternalEvent, Task.all/any). Do async work in an activity.`,
        reach,
      );
    }
  }

  /** DD008: a durable call whose task is dropped on the floor (no yield, not kept). */
  private checkUnyielded(call: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    if (!ts.isPropertyAccessExpression(call.expression) || !DURABLE_TASK_METHODS.has(call.expression.name.text)) return;
    const owner = call.expression.expression.getText(call.getSourceFile());
    if (!/\.df$|^df$/.test(owner)) return;
    const file = call.getSourceFile();
    const fixes = reach.path.length === 0 ? [{ title: "Add yield", edits: [{ file: file.fileName, start: call.getStart(file), end: call.getStart(file), newText: "yield " }] }] : [];
    this.report(findings, "DD008", call, `The task from ${call.expression.name.text}() is never yielded, so the orchestrator does not wait for it (and its result is lost): yield it, or collect it for context.df.Task.all.`, reach, fixes);
  }

  /** DD012: assignments to variables declared at a module's top level. */
  private checkModuleStateWrite(target: ts.Expression, reach: Reach, findings: Finding[]): void {
    let base: ts.Expression = target;
    while (ts.isPropertyAccessExpression(base) || ts.isElementAccessExpression(base)) base = base.expression;
    if (!ts.isIdentifier(base)) return;
    const symbol = this.checker.getSymbolAtLocation(base);
    const declaration = symbol?.valueDeclaration;
    if (!declaration || !ts.isVariableDeclaration(declaration)) return;
    const statement = declaration.parent?.parent;
    if (!statement || !ts.isVariableStatement(statement) || !ts.isSourceFile(statement.parent)) return;
    this.report(findings, "DD012", target, `'${base.text}' is module-level state: every replay and every instance in this process sees the change. Keep state in local variables, or in a durable entity.`, reach);
  }

  /** Follows a call into a workspace function, remembering the path. */
  private follow(node: ts.CallExpression, reach: Reach, visited: Set<ts.Node>, findings: Finding[]): void {
    const target = this.resolveFunction(node.expression);
    if (!target || visited.has(target)) return;
    const file = target.getSourceFile();
    if (file.isDeclarationFile || file.fileName.includes("node_modules")) return;
    const name = target.name && ts.isIdentifier(target.name) ? target.name.text : node.expression.getText(node.getSourceFile());
    visited.add(target);
    this.walk(target, { ...reach, path: [...reach.path, name], contextName: undefined }, visited, findings);
  }
}
