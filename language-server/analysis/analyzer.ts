/**
 * Finds nondeterministic code and durable API misuse in orchestrators with the TypeScript compiler API, for
 * durable-functions and the Durable Task SDK durabletask-js alike (sdk.ts: what each SDK's APIs are, and how its
 * messages and fixes name them): it finds the orchestrator functions (catalog.ts), walks each one and every workspace
 * function it calls or hands out as a callback (same file or imported, aliases included), matches what each
 * expression denotes against the hazards (origins.ts, builtins.ts), follows durable tasks to their yield
 * (task-flow.ts), and reports each problem where it happens, with the call path that reaches it from the
 * orchestrator. A failure on one orchestrator is reported on it (DD000) and costs no other its findings.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import { declaredTypeOf, literalFitsDeclared } from "./declared-types";
import * as path from "node:path";
import { RULES, type Severity } from "./rules";
import { FunctionCatalog } from "./catalog";
import type { Finding, Fix, FunctionKind, OrchestratorInfo, Reach } from "./model";

export type { Finding, Fix, Reach, TextRange } from "./model";
import { HAZARD_CODE, THREAD_IDENTITY, hazardOfCall, hazardOfRead, type Hazard } from "./builtins";
import { Origins, isFunctionLike, moduleOf, skipOuter } from "./origins";
import { TaskFlow } from "./task-flow";
import { currentTimeFix, durableAppIn, durableTimerFix, moveToActivityFix, newGuidFix } from "./fixes";
import { asyncGeneratorFix, awaitToYieldFix, moveToWorkerActivityFix, whenAllOfListFix, whenFix, workerSiteIn } from "./durabletask-fixes";
import { DURABLETASK_MODULE, DURABLETASK_VOID_METHODS, DurableApis, SPELLING, runtimeNameOf, type Sdk, type SdkSpelling } from "./sdk";
import type { AnalysisHook } from "./reads";

export interface AnalyzerSettings {
  /** Rules turned off ("off") or given another severity. */
  rules?: Record<string, Severity | "off">;
}

/** Each hazard's message, naming the replay-safe API of the orchestrator's SDK. */
const HAZARD_MESSAGE: Record<Hazard, (text: string, api: SdkSpelling) => string> = {
  time: (text, api) => `${text} reads the clock, which differs on every replay: use ${api.now()}.`,
  random: (text, api) => `${text} gives a different value on every replay: use ${api.newGuid()} for ids, or get random values from an activity.`,
  timer: (text, api) => `${text} is a real timer that replays do not see: use yield ${api.createTimer()}(fireAt).`,
  io: (text, api) => `${text} does I/O in an orchestrator, again on every replay: ${api.ioInstead()}.`,
  env: (text) => `${text} reads the machine's environment, which can differ between replays and hosts: read it in an activity or pass the value in as input.`,
  thread: (text, api) => `${text} uses threads or processes in an orchestrator: do parallel work with activities and ${api.all()}.`,
  log: (text, api) => `${text} repeats on every replay: use ${api.logger()}, or guard it with if (!${api.isReplaying()}).`,
};
/** The package's client: it starts and queries orchestrations from outside, never from inside one. */
const DURABLETASK_CLIENT = `module:${DURABLETASK_MODULE}|TaskHubGrpcClient`;

/** ==, ===, != and !== (the tokens whose text is one of these). */
const EQUALITY = new Set([
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
]);

const CALLBACK_METHODS = /^(map|flatMap|forEach|filter|find|findIndex|findLast|findLastIndex|some|every|reduce|reduceRight|sort|toSorted|then|catch|finally)$/;

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

function shortText(node: ts.Node): string {
  const text = node.getText().replace(/\s+/g, " ");
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

export class Analyzer {
  private readonly checker: ts.TypeChecker;
  private readonly origins: Origins;
  private readonly apis: DurableApis;
  private readonly flow: TaskFlow;
  private catalogCache?: FunctionCatalog;
  private readonly activityTypeProblems = new Map<ts.CallExpression, { node: ts.Node; message: string }[]>();
  private readonly eternalLoops = new Map<ts.Node, ts.IterationStatement[]>();

  /** `hook`: the language server's incremental analysis (see reads.ts); without it every function is walked. */
  constructor(
    private readonly program: ts.Program,
    private readonly settings: AnalyzerSettings = {},
    private readonly hook?: AnalysisHook,
  ) {
    this.checker = program.getTypeChecker();
    this.origins = new Origins(
      this.checker,
      (file) => this.isWorkspaceFile(file),
      () => this.workspaceFiles(),
    );
    this.apis = new DurableApis(this.checker, this.origins);
    this.flow = new TaskFlow(this.checker, this.origins, this.apis);
    this.origins.listener = hook;
    this.flow.listener = hook;
    hook?.begin(program, JSON.stringify(settings.rules ?? {}), {
      returnsTask: (fn) => this.flow.returnsTaskOf(fn),
      catalog: (question) => this.catalog.ask(question),
      durableApp: (file, sdk) => this.activityHostIn(file, sdk),
    });
  }

  private isWorkspaceFile(file: ts.SourceFile): boolean {
    return !file.isDeclarationFile && !/[\\/]node_modules[\\/]/.test(file.fileName);
  }

  /** Source files of the workspace (not libraries, not declaration files). */
  private workspaceFiles(): ts.SourceFile[] {
    return this.program.getSourceFiles().filter((file) => this.isWorkspaceFile(file));
  }

  private get catalog(): FunctionCatalog {
    return (this.catalogCache ??= new FunctionCatalog(this.workspaceFiles(), this.origins, this.apis, this.hook));
  }

  /** Registered names by kind. */
  get registered(): Record<FunctionKind, Set<string>> {
    return this.catalog.registeredNames();
  }

  /**
   * Orchestrator functions: registered handlers (df.app.orchestration, a durabletask-js worker's addOrchestrator),
   * OrchestrationHandler- and TOrchestrator-typed declarations, generators taking an OrchestrationContext,
   * df.orchestrator wrappers.
   */
  orchestrators(): ({ fn: ts.FunctionLikeDeclaration } & OrchestratorInfo)[] {
    return [...this.catalog.orchestrators].map(([fn, info]) => ({ fn, ...info }));
  }

  /** What a fix that moves I/O into a new activity registers it with in a file: durable-functions' app, a durabletask-js worker. */
  private activityHostIn(file: ts.SourceFile, sdk: Sdk): string | undefined {
    return sdk === "durabletask" ? workerSiteIn(file, this.apis)?.name : durableAppIn(file, this.origins);
  }

  /** Every finding in the workspace, or only those in `onlyFile`. */
  analyze(onlyFile?: string): Finding[] {
    const findings: Finding[] = [];
    for (const { fn, ...info } of this.orchestrators()) findings.push(...this.analyzeOrchestrator(info.name, fn, info));
    const unique = new Map<string, Finding>();
    for (const finding of findings)
      if (!unique.has(`${finding.file}:${finding.start}:${finding.end}:${finding.code}`))
        unique.set(`${finding.file}:${finding.start}:${finding.end}:${finding.code}`, finding);
    return [...unique.values()].filter((f) => !onlyFile || path.resolve(f.file) === path.resolve(onlyFile)).filter((f) => !this.suppressed(f));
  }

  /** One orchestrator's findings; an internal error becomes a DD000 finding on it instead of ending the analysis. */
  analyzeOrchestrator(
    name: string,
    fn: ts.FunctionLikeDeclaration,
    info: Pick<OrchestratorInfo, "sdk" | "registered"> = { sdk: "durable-functions", registered: false },
  ): Finding[] {
    const findings: Finding[] = [];
    const file = fn.getSourceFile();
    const contextParameter = fn.parameters[0] && ts.isIdentifier(fn.parameters[0].name) ? fn.parameters[0].name.text : undefined;
    const origin = { file: file.fileName, start: fn.getStart(file), end: fn.body ? fn.body.getStart(file) : fn.getEnd() };
    const reach: Reach = {
      orchestratorName: name,
      orchestrator: fn,
      sdk: info.sdk,
      path: [],
      contextName: contextParameter,
      origin,
      guarded: false,
      inCallback: false,
    };
    try {
      const isAsync = !!fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword);
      if (info.sdk === "durable-functions" && isAsync) {
        this.report(
          findings,
          "DD006",
          fn,
          `Orchestrator '${name}' is an async function: orchestrators must be generator functions (function*) that yield durable tasks, or the replay breaks.`,
          reach,
        );
      }
      if (info.sdk === "durabletask" && info.registered && isAsync !== !!fn.asteriskToken) this.checkDurableTaskShape(fn, isAsync, reach, findings);
      this.walk(fn, reach, new Map(), findings);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      findings.push({
        ...origin,
        code: "DD000",
        severity: "warning",
        message: `The determinism checker failed on orchestrator '${name}' (${reason}); other orchestrators are checked. Please report this with the code.`,
        related: [],
        fixes: [],
      });
    }
    return findings;
  }

  /**
   * DD018: durabletask-js runs an orchestrator's result as an async generator only (it tests for Symbol.asyncIterator).
   * A plain generator's result is not one: the SDK completes the orchestration at once with it (serialized `{}`), and
   * never runs the body. An async function's promise it awaits once and completes with what it returns: its tasks are
   * scheduled but never waited for (`await` of a task gives back the task).
   */
  private checkDurableTaskShape(fn: ts.FunctionLikeDeclaration, isAsync: boolean, reach: Reach, findings: Finding[]): void {
    const name = reach.orchestratorName;
    const message = isAsync
      ? `Orchestrator '${name}' is an async function, not an async generator: durabletask-js awaits it once and completes the orchestration with what it returns, without waiting for any durable task (await of a task gives back the task, not its result). Make it an async function* that yields its tasks.`
      : `Orchestrator '${name}' is a plain generator (function*): durabletask-js runs only async generators (async function*), and completes this orchestration at once with {} without running its body.`;
    this.report(findings, "DD018", fn, message, reach, [asyncGeneratorFix(fn)]);
  }

  private suppressed(finding: Finding): boolean {
    const file = this.program.getSourceFile(finding.file);
    if (!file) return false;
    const { line } = file.getLineAndCharacterOfPosition(finding.start);
    const starts = file.getLineStarts();
    const lineText = (n: number) => (n < 0 ? "" : file.text.slice(starts[n], n + 1 < starts.length ? starts[n + 1] : file.text.length));
    const marker = /durable-devkit-ignore(?:\s+([A-Z0-9, ]+))?/;
    return [lineText(line), lineText(line - 1)].some((text) => {
      const match = marker.exec(text);
      if (!match) return false;
      return !match[1] || match[1].split(/[ ,]+/).includes(finding.code);
    });
  }

  private report(findings: Finding[], code: string, node: ts.Node, message: string, reach: Reach, fixes: (Fix | undefined)[] = []): void {
    const setting = this.settings.rules?.[code];
    if (setting === "off") return;
    const file = node.getSourceFile();
    const via = reach.path.length ? `reached from orchestrator '${reach.orchestratorName}' via ${reach.path.map((p) => `${p}()`).join(" → ")}` : undefined;
    findings.push({
      file: file.fileName,
      start: node.getStart(file),
      end: node.getEnd(),
      code,
      severity: setting ?? RULES[code].severity,
      message: via ? `${message} (${via})` : message,
      related: via ? [{ ...reach.origin, message: via }] : [],
      fixes: fixes.filter((fix): fix is Fix => fix !== undefined),
    });
  }

  /** `!context.df.isReplaying` (true = not replaying), `context.df.isReplaying` (false), through a local `replaying` too. */
  private replayTest(node: ts.Expression): boolean | undefined {
    node = skipOuter(node);
    if (ts.isPrefixUnaryExpression(node) && node.operator === ts.SyntaxKind.ExclamationToken) {
      const inner = this.replayTest(node.operand);
      return inner === undefined ? undefined : !inner;
    }
    if (ts.isBinaryExpression(node) && EQUALITY.has(node.operatorToken.kind)) {
      const value = node.right.kind === ts.SyntaxKind.FalseKeyword ? false : node.right.kind === ts.SyntaxKind.TrueKeyword ? true : undefined;
      const inner = value === undefined ? undefined : this.replayTest(node.left);
      if (inner === undefined || value === undefined) return undefined;
      const equal = node.operatorToken.getText().startsWith("=");
      return equal === value ? inner : !inner;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken) {
      return this.replayTest(node.left) === true || this.replayTest(node.right) === true ? true : undefined;
    }
    if (ts.isPropertyAccessExpression(node) && node.name.text === "isReplaying") return false;
    if (ts.isIdentifier(node)) {
      const declaration = this.origins.declarationOf(node);
      if (declaration && ts.isVariableDeclaration(declaration) && declaration.initializer) return this.replayTest(declaration.initializer);
      if (declaration && ts.isBindingElement(declaration) && (declaration.propertyName ?? declaration.name).getText() === "isReplaying") return false;
    }
    return undefined;
  }

  private walk(fn: ts.FunctionLikeDeclaration, reach: Reach, visited: Map<ts.Node, Set<string>>, findings: Finding[]): void {
    this.hook?.walkAsked(fn, reach);
    // A call back into the orchestrator from a function it calls is not walked again.
    if (reach.path.length > 0 && fn === reach.orchestrator) return;
    const key = `${reach.guarded}:${reach.inCallback}`;
    const seen = visited.get(fn) ?? new Set<string>();
    if (seen.has(key)) return;
    seen.add(key);
    visited.set(fn, seen);
    if (this.hook)
      this.hook.walk(
        fn,
        reach,
        findings,
        () => this.walkBody(fn, reach, visited, findings),
        (next, nextReach) => this.walk(next, nextReach, visited, findings),
      );
    else this.walkBody(fn, reach, visited, findings);
  }

  /** One function's own checks, and the walks of the functions it calls or hands out as callbacks. */
  private walkBody(fn: ts.FunctionLikeDeclaration, reach: Reach, visited: Map<ts.Node, Set<string>>, findings: Finding[]): void {
    const inOrchestratorBody = reach.path.length === 0 && !reach.inCallback;
    // A durabletask-js sub-generator run with yield* (an async generator called from the orchestration): its awaits
    // are the orchestration's too.
    const awaitsAreTheOrchestrations =
      inOrchestratorBody ||
      (reach.sdk === "durabletask" && !reach.inCallback && !!fn.asteriskToken && !!fn.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword));
    // The reach as calls see it, guarded or not (made once, not per call).
    const guardedReach = reach.guarded ? reach : { ...reach, guarded: true };
    const unguardedReach = reach.guarded ? { ...reach, guarded: false } : reach;
    const visitGuarded = (child: ts.Node) => visit(child, true);
    const visitUnguarded = (child: ts.Node) => visit(child, false);
    const visit = (node: ts.Node, guarded: boolean): void => {
      if (node !== fn && isFunctionLike(node)) {
        // Nested functions run when called; callbacks handed to a call (map, forEach, new Promise...) run now.
        const host = node.parent;
        if (ts.isCallExpression(host) || ts.isNewExpression(host)) {
          if ((host.arguments ?? []).some((argument) => argument === node)) this.walk(node, { ...reach, guarded, inCallback: true }, visited, findings);
        }
        return;
      }
      if (ts.isAwaitExpression(node) && awaitsAreTheOrchestrations) this.checkAwait(node, fn, reach, findings);
      if (ts.isIfStatement(node)) {
        const test = this.replayTest(node.expression);
        if (test !== undefined) {
          visit(node.expression, guarded);
          visit(node.thenStatement, guarded || test);
          if (node.elseStatement) visit(node.elseStatement, guarded || !test);
          return;
        }
      }
      if (ts.isBlock(node) || ts.isSourceFile(node) || ts.isCaseClause(node) || ts.isDefaultClause(node)) {
        // `if (context.df.isReplaying) return;` guards the rest of the block.
        let rest = guarded;
        for (const statement of node.statements) {
          visit(statement, rest);
          if (ts.isIfStatement(statement) && !statement.elseStatement && this.replayTest(statement.expression) === false && this.exits(statement.thenStatement))
            rest = true;
        }
        return;
      }
      if (
        ts.isBinaryExpression(node) &&
        (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken || node.operatorToken.kind === ts.SyntaxKind.BarBarToken)
      ) {
        const test = this.replayTest(node.left);
        if (test !== undefined) {
          visit(node.left, guarded);
          visit(node.right, guarded || (node.operatorToken.kind === ts.SyntaxKind.AmpersandAmpersandToken ? test : !test));
          return;
        }
      }
      if (ts.isConditionalExpression(node)) {
        const test = this.replayTest(node.condition);
        if (test !== undefined) {
          visit(node.condition, guarded);
          visit(node.whenTrue, guarded || test);
          visit(node.whenFalse, guarded || !test);
          return;
        }
      }
      if (ts.isYieldExpression(node) && inOrchestratorBody) this.checkYield(node, reach, findings);
      if (ts.isNewExpression(node)) this.checkNew(node, reach, findings);
      const callReach = guarded ? guardedReach : unguardedReach;
      if (ts.isCallExpression(node)) {
        this.checkCall(node, callReach, findings);
        this.follow(node, callReach, visited, findings);
      }
      if (ts.isCallExpression(node) || ts.isArrayLiteralExpression(node)) this.checkDropped(node, reach, findings);
      if (ts.isPropertyAccessExpression(node) || ts.isIdentifier(node) || ts.isElementAccessExpression(node)) this.checkRead(node, reach, findings);
      if (ts.isForOfStatement(node) && node.awaitModifier && inOrchestratorBody) {
        this.report(
          findings,
          "DD006",
          node,
          "for await in an orchestrator: each iteration awaits a Promise the replay does not see. Get the items from an activity, then yield tasks for them.",
          reach,
        );
      }
      if (ts.isNewExpression(node)) this.followConstructor(node, callReach, visited, findings);
      if (ts.isBinaryExpression(node) && node.operatorToken.kind >= ts.SyntaxKind.FirstAssignment && node.operatorToken.kind <= ts.SyntaxKind.LastAssignment) {
        this.checkModuleStateWrite(node.left, reach, findings);
      }
      if (
        (ts.isPostfixUnaryExpression(node) || ts.isPrefixUnaryExpression(node)) &&
        (node.operator === ts.SyntaxKind.PlusPlusToken || node.operator === ts.SyntaxKind.MinusMinusToken)
      ) {
        this.checkModuleStateWrite(node.operand, reach, findings);
      }
      ts.forEachChild(node, guarded ? visitGuarded : visitUnguarded);
    };
    if (fn.asteriskToken && !reach.inCallback) this.checkEternalLoops(fn, reach, findings);
    // Default parameter values run on every call (`at = new Date()`).
    for (const parameter of fn.parameters) if (parameter.initializer) visit(parameter.initializer, reach.guarded);
    if (fn.body) visit(fn.body, reach.guarded);
  }

  /** DD006: `await` in an orchestrator's body. */
  private checkAwait(node: ts.AwaitExpression, fn: ts.FunctionLikeDeclaration, reach: Reach, findings: Finding[]): void {
    if (reach.sdk === "durable-functions") {
      this.report(findings, "DD006", node, "await in an orchestrator: yield the durable task instead (yield context.df.callActivity(...)).", reach);
      return;
    }
    // durabletask-js runs async generators, so await is allowed, but a Task is not a Promise: awaiting one gives back the
    // task at once; and a real Promise is work the history does not record, done again on every replay.
    if (this.flow.kind(node.expression) === "task") {
      this.report(
        findings,
        "DD006",
        node,
        "await does not wait for a durable task (a Task is not a Promise: await gives back the task itself, not its result): yield it instead.",
        reach,
        fn.asteriskToken ? [awaitToYieldFix(node, this.checker)] : [],
      );
      return;
    }
    this.report(
      findings,
      "DD006",
      node,
      "await in an orchestrator waits for a Promise that the history does not record, and runs again on every replay: do the work in an activity and yield ctx.callActivity(...).",
      reach,
    );
  }

  private exits(statement: ts.Statement): boolean {
    if (ts.isReturnStatement(statement) || ts.isThrowStatement(statement) || ts.isContinueStatement(statement) || ts.isBreakStatement(statement)) return true;
    return ts.isBlock(statement) && statement.statements.length > 0 && this.exits(statement.statements[statement.statements.length - 1]);
  }

  private checkNew(node: ts.NewExpression, reach: Reach, findings: Finding[]): void {
    const callee = this.origins.of(node.expression);
    if (callee === undefined) return;
    if (callee === DURABLETASK_CLIENT) {
      this.report(findings, "DD016", node, this.durableTaskClientMessage(`new ${shortText(node.expression)}()`), reach);
      return;
    }
    const hazard = hazardOfCall(callee, node.arguments?.length ?? 0, true);
    if (!hazard) return;
    const fix = hazard === "time" && reach.contextName ? currentTimeFix(node, reach.contextName, callee, reach.sdk) : undefined;
    const text = hazard === "time" ? "new Date()" : `new ${shortText(node.expression)}()`;
    this.report(findings, HAZARD_CODE[hazard], node, HAZARD_MESSAGE[hazard](text, SPELLING[reach.sdk]), reach, [fix]);
  }

  private durableTaskClientMessage(text: string): string {
    return `${text} in an orchestrator: a TaskHubGrpcClient is for code outside orchestrations; orchestrators use their context (ctx.callSubOrchestrator, ctx.sendEvent, ctx.entities.signalEntity...).`;
  }

  private checkCall(node: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    const callee = ts.isPropertyAccessExpression(node.expression) && this.apis.isTaskCall(node) ? undefined : this.origins.of(node.expression);
    if (callee !== undefined) {
      const hazard = hazardOfCall(callee, node.arguments.length, false);
      if (hazard && !(hazard === "log" && reach.guarded) && !this.innerLinkOfReportedChain(node, hazard)) {
        this.report(
          findings,
          HAZARD_CODE[hazard],
          node,
          HAZARD_MESSAGE[hazard](`${shortText(node.expression)}()`, SPELLING[reach.sdk]),
          reach,
          this.hazardFixes(node, hazard, callee, reach),
        );
        return;
      }
      if (/^Promise\.(all|race|any|allSettled)$/.test(callee)) {
        const fix = this.taskCombinatorFix(node, callee, reach);
        const instead = this.combinatorName(callee, reach);
        this.report(findings, "DD007", node, `${callee} does not work on durable tasks: use yield ${instead}(tasks).`, reach, [fix]);
        return;
      }
      if (callee.startsWith(`${DURABLETASK_CLIENT}.`)) {
        this.report(findings, "DD016", node, this.durableTaskClientMessage(`${shortText(node.expression)}()`), reach);
        return;
      }
      if (callee === "module:durable-functions|getClient" || callee === "module:durable-functions|input.durableClient") {
        this.report(
          findings,
          "DD016",
          node,
          `${shortText(node.expression)}() in an orchestrator: a durable client (or any other binding) is for client functions; orchestrators use context.df (callSubOrchestrator, signalEntity...).`,
          reach,
        );
        return;
      }
    }
    if (ts.isPropertyAccessExpression(node.expression)) {
      const method = node.expression.name.text;
      if (/^callActivity(WithRetry)?$|^callSubOrchestrator(WithRetry)?$/.test(method)) this.checkFunctionName(node, reach, findings);
      if (/^callActivity(WithRetry)?$/.test(method)) this.checkActivityTypes(node, reach, findings);
      if (/^(callEntity|signalEntity)$/.test(method)) this.checkEntity(node, reach, findings);
    }
  }

  /** In `a.b().c().d()` only the outermost call of one hazard is reported (the whole chain is one operation). */
  private innerLinkOfReportedChain(node: ts.CallExpression, hazard: Hazard): boolean {
    const access = node.parent;
    if (!ts.isPropertyAccessExpression(access) || access.expression !== node || !ts.isCallExpression(access.parent) || access.parent.expression !== access)
      return false;
    const outer = this.origins.of(access.parent.expression);
    return outer !== undefined && hazardOfCall(outer, access.parent.arguments.length, false) === hazard;
  }

  private hazardFixes(node: ts.CallExpression, hazard: Hazard, callee: string, reach: Reach): (Fix | undefined)[] {
    const context = reach.contextName;
    if (!context) return [];
    if (hazard === "time") return [currentTimeFix(node, context, callee, reach.sdk)];
    if (
      hazard === "random" &&
      !/random$|^Math\./.test(callee.replace(/.*\|/, "")) &&
      !/randomBytes|randomInt|getRandomValues|randomFill|shuffle|sample/.test(callee)
    )
      return [newGuidFix(node, context, reach.sdk)];
    const inOrchestratorBody = reach.path.length === 0 && !!reach.orchestrator.asteriskToken;
    if (hazard === "timer") return [durableTimerFix(node, context, inOrchestratorBody && !reach.inCallback, moduleOf(callee) === "timers/promises", reach.sdk)];
    if (hazard === "io" && reach.path.length === 0 && !reach.inCallback) {
      const file = node.getSourceFile();
      const taken = () => new Set(this.catalog.namesOf("activity"));
      if (reach.sdk === "durabletask") {
        const worker = workerSiteIn(file, this.apis);
        this.hook?.durableApp(file, worker?.name, reach.sdk);
        return [worker ? moveToWorkerActivityFix(node, reach.orchestrator, context, taken(), worker, this.checker) : undefined];
      }
      const app = durableAppIn(file, this.origins);
      this.hook?.durableApp(file, app, reach.sdk);
      return [app ? moveToActivityFix(node, reach.orchestrator, context, taken(), app, this.checker) : undefined];
    }
    return [];
  }

  /** DD005 reads of process.env (also through `const { env } = process`); DD013 thread identity; DD016 bindings of the orchestrator's context. */
  private checkRead(node: ts.PropertyAccessExpression | ts.Identifier | ts.ElementAccessExpression, reach: Reach, findings: Finding[]): void {
    if (ts.isElementAccessExpression(node)) {
      if (!ts.isStringLiteralLike(node.argumentExpression) || !/^(env|argv)$/.test(node.argumentExpression.text)) return;
    } else if (ts.isIdentifier(node)) {
      const parent = node.parent;
      const isRead =
        !(ts.isPropertyAccessExpression(parent) && parent.name === node) &&
        !(ts.isVariableDeclaration(parent) && parent.name === node) &&
        !ts.isBindingElement(parent) &&
        !ts.isParameter(parent) &&
        !ts.isPropertyAssignment(parent) &&
        !ts.isImportSpecifier(parent) &&
        !ts.isFunctionDeclaration(parent);
      if (!isRead || node.text === "process") return;
    } else if (reach.contextName && /^(extraInputs|extraOutputs)$/.test(node.name.text) && skipOuter(node.expression).getText() === reach.contextName) {
      this.report(
        findings,
        "DD016",
        node,
        `${node.getText()} in an orchestrator: input and output bindings are for activities and client functions; read the value in an activity, or pass it in as input.`,
        reach,
      );
      return;
    }
    if (ts.isPropertyAccessExpression(node) && !/^(env|argv|execArgv)$/.test(node.name.text) && !THREAD_IDENTITY.has(node.name.text)) return;
    // Only names that may hold process.env are looked up: a symbol lookup per identifier would cost more than the rest.
    if (ts.isIdentifier(node) && !/env|argv|vars/i.test(node.text) && !THREAD_IDENTITY.has(node.text)) return;
    const origin = this.origins.of(node);
    const hazard = origin && hazardOfRead(origin);
    if (hazard === "thread")
      this.report(
        findings,
        "DD013",
        node,
        `${node.getText()} tells which thread or process runs the code, which differs between replays: orchestrators run where the host puts them; do parallel work with activities.`,
        reach,
      );
    else if (hazard)
      this.report(
        findings,
        HAZARD_CODE[hazard],
        node,
        HAZARD_MESSAGE[hazard](ts.isIdentifier(node) ? `${node.text} (process.env)` : node.getText(), SPELLING[reach.sdk]),
        reach,
      );
  }

  /**
   * The names a call's first argument gives the function it calls: a string (a literal, a constant...), or for
   * durabletask-js a function, called by its own name (the SDK's getName). `byFunction` tells which.
   */
  private calledNames(first: ts.Expression, reach: Reach): { names: string[] | undefined; byFunction: boolean } {
    const names = this.origins.strings(first);
    if (names || reach.sdk !== "durabletask") return { names, byFunction: false };
    const fn = this.origins.functionOf(first);
    const name = fn && runtimeNameOf(fn);
    return { names: name ? [name] : undefined, byFunction: true };
  }

  /** DD009: callActivity / callSubOrchestrator with a name (literal or constant) that no registration defines. */
  private checkFunctionName(node: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    const method = (node.expression as ts.PropertyAccessExpression).name.text;
    const kind: FunctionKind = method.startsWith("callActivity") ? "activity" : "orchestration";
    const [first] = node.arguments;
    if (!first) return;
    const { names, byFunction } = this.calledNames(first, reach);
    if (!names || names.length !== 1 || this.catalog.isOpen(kind) || this.catalog.count(kind) === 0 || this.catalog.isRegistered(kind, names[0])) return;
    const known = this.catalog.namesOf(kind);
    const name = names[0];
    const file = node.getSourceFile();
    const closest = [...known].map((candidate) => ({ candidate, distance: levenshtein(candidate, name) })).sort((a, b) => a.distance - b.distance)[0];
    const suggestion = closest && closest.distance <= Math.max(2, Math.floor(name.length / 3)) ? closest.candidate : undefined;
    const quote = ts.isStringLiteralLike(first) ? first.getText(file)[0] : undefined;
    const what = byFunction
      ? `No ${kind} function named '${name}' is registered with the worker (${method}(${shortText(first)}) calls the function by its name)`
      : `No ${kind} function named '${name}' is registered in this app`;
    this.report(
      findings,
      "DD009",
      first,
      `${what}${suggestion ? `: did you mean '${suggestion}'?` : `. Registered: ${[...known].map((n) => `'${n}'`).join(", ")}.`}`,
      reach,
      suggestion && quote
        ? [
            {
              title: `Change to '${suggestion}'`,
              edits: [{ file: file.fileName, start: first.getStart(file), end: first.getEnd(), newText: `${quote}${suggestion}${quote}` }],
            },
          ]
        : [],
    );
  }

  private isTypedFile(node: ts.Node): boolean {
    return /\.(c|m)?tsx?$/.test(node.getSourceFile().fileName);
  }

  private isLooseType(type: ts.Type): boolean {
    return (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown | ts.TypeFlags.TypeParameter)) !== 0;
  }

  /** DD014: the input is not what the activity's handler takes, or its result is not what the code stores it as. */
  private checkActivityTypes(node: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    if (!this.isTypedFile(node) || !node.arguments[0]) return;
    const { names, byFunction } = this.calledNames(node.arguments[0], reach);
    const handler = names?.length === 1 ? this.catalog.handlerOf("activity", names[0]) : undefined;
    if (!handler || !this.isTypedFile(handler)) return;
    // The types are the call's, whatever the path that reached it: checked once (a helper is walked once per caller).
    let problems = this.activityTypeProblems.get(node);
    if (!problems) this.activityTypeProblems.set(node, (problems = this.activityTypeProblemsOf(node, names![0], handler, reach.sdk, byFunction)));
    for (const problem of problems) this.report(findings, "DD014", problem.node, problem.message, reach);
  }

  /** durabletask-js activities take (context, input); a call by function is type-checked by TypeScript itself (TActivity<TInput, TOutput>). */
  private activityTypeProblemsOf(
    node: ts.CallExpression,
    name: string,
    handler: ts.FunctionLikeDeclaration,
    sdk: Sdk,
    byFunction: boolean,
  ): { node: ts.Node; message: string }[] {
    const problems: { node: ts.Node; message: string }[] = [];
    const withRetry = (node.expression as ts.PropertyAccessExpression).name.text.endsWith("WithRetry");
    const input = byFunction ? undefined : node.arguments[withRetry ? 2 : 1];
    const parameter = handler.parameters[sdk === "durabletask" ? 1 : 0];
    if (input && parameter?.type) {
      const expected = this.checker.getTypeFromTypeNode(parameter.type);
      // The input's type is the costly part (its call's signature is resolved for it): not needed for a loose parameter,
      // nor when the type the code declares for it already fits (declared-types.ts).
      const declared = this.isLooseType(expected) ? undefined : declaredTypeOf(this.checker, input);
      const literal = skipOuter(input);
      const fitsAsDeclared =
        declared !== undefined
          ? !this.isLooseType(declared) && this.assignable(declared, expected, literal)
          : ts.isObjectLiteralExpression(literal) && literal === input && literalFitsDeclared(this.checker, literal, expected);
      const actual = this.isLooseType(expected) || fitsAsDeclared ? undefined : this.checker.getTypeAtLocation(input);
      if (actual && !this.isLooseType(actual) && !this.assignable(actual, expected, skipOuter(input))) {
        problems.push({
          node: input,
          message: `Activity '${name}' takes ${this.checker.typeToString(expected)}, but this passes ${this.checker.typeToString(actual)}: the handler will get a value of the wrong shape.`,
        });
      }
    }
    const yielded = node.parent;
    const declaration = ts.isYieldExpression(yielded) ? yielded.parent : undefined;
    if (declaration && ts.isVariableDeclaration(declaration) && declaration.type) {
      const signature = this.checker.getSignatureFromDeclaration(handler);
      if (!signature) return problems;
      const returned = this.checker.getAwaitedType(this.checker.getReturnTypeOfSignature(signature)) ?? this.checker.getReturnTypeOfSignature(signature);
      const stored = this.checker.getTypeFromTypeNode(declaration.type);
      if (!this.isLooseType(returned) && !this.isLooseType(stored) && !this.checker.isTypeAssignableTo(returned, stored)) {
        problems.push({
          node,
          message: `Activity '${name}' returns ${this.checker.typeToString(returned)}, but its result is stored as ${this.checker.typeToString(stored)}.`,
        });
      }
    }
    return problems;
  }

  /**
   * Whether an activity input fits the handler's parameter. The input is serialised, so only the declared properties
   * matter: an object literal with more properties fits (TypeScript's excess-property check would say otherwise).
   */
  private assignable(actual: ts.Type, expected: ts.Type, input: ts.Expression): boolean {
    if (this.checker.isTypeAssignableTo(actual, expected)) return true;
    if (!ts.isObjectLiteralExpression(input) || expected.isUnion() || !(expected.flags & ts.TypeFlags.Object)) return false;
    return this.checker.getPropertiesOfType(expected).every((property) => {
      const declared = this.checker.getTypeOfSymbol(property);
      const given = actual.getProperty(property.getName());
      if (!given) return (property.flags & ts.SymbolFlags.Optional) !== 0;
      const type = this.checker.getTypeOfSymbol(given);
      return this.isLooseType(type) || this.checker.isTypeAssignableTo(type, declared);
    });
  }

  /** The entity name in `new df.EntityId("Counter", key)` / `new EntityInstanceId("counter", key)`, directly or through a variable. */
  private entityNameOf(node: ts.Expression | undefined, depth = 0): string | undefined {
    if (!node || depth > 6) return undefined;
    node = skipOuter(node);
    if (ts.isNewExpression(node) && /(^|\.)(EntityId|EntityInstanceId)$/.test(node.expression.getText())) {
      const names = this.origins.strings(node.arguments?.[0]);
      return names?.length === 1 ? names[0] : undefined;
    }
    if (ts.isIdentifier(node)) {
      const declaration = this.origins.declarationOf(node);
      const value = declaration && this.origins.valueOfDeclaration(declaration);
      return value ? this.entityNameOf(value, depth + 1) : undefined;
    }
    // floorId(floor), where floorId returns new df.EntityId("desk", floor).
    if (ts.isCallExpression(node)) {
      const fn = this.origins.functionOf(node.expression);
      if (fn?.body) this.origins.readBody(fn);
      const body = fn?.body && (ts.isBlock(fn.body) ? fn.body.statements.find(ts.isReturnStatement)?.expression : fn.body);
      return body ? this.entityNameOf(body as ts.Expression, depth + 1) : undefined;
    }
    return undefined;
  }

  /** DD015: an entity no registration defines, or an operation its handler does not handle. */
  private checkEntity(node: ts.CallExpression, reach: Reach, findings: Finding[]): void {
    const [entityId, operation] = node.arguments;
    const entity = this.entityNameOf(entityId);
    if (!entity || this.catalog.isOpen("entity") || this.catalog.count("entity") === 0) return;
    const entities = this.catalog.namesOf("entity");
    const registered = entities.find((name) => name.toLowerCase() === entity.toLowerCase());
    if (!registered) {
      this.report(
        findings,
        "DD015",
        node,
        `No entity named '${entity}' is registered in this app. Registered: ${entities.map((n) => `'${n}'`).join(", ")}.`,
        reach,
      );
      return;
    }
    const operations = this.catalog.operationsOf(registered);
    const names = operation && this.origins.strings(operation);
    // durabletask-js dispatches an operation to the method whose name matches it case-insensitively.
    const handles = (op: string) =>
      reach.sdk === "durabletask" ? [...(operations ?? [])].some((known) => known.toLowerCase() === op.toLowerCase()) : !!operations?.has(op);
    if (operations && names?.length === 1 && !handles(names[0])) {
      this.report(
        findings,
        "DD015",
        node,
        `Entity '${registered}' handles no operation '${names[0]}'. It handles: ${[...operations].map((n) => `'${n}'`).join(", ")}.`,
        reach,
      );
    }
  }

  /** DD010: `yield` of something the package cannot wait for (a promise, a plain value, nothing, signalEntity). */
  private checkYield(node: ts.YieldExpression, reach: Reach, findings: Finding[]): void {
    if (node.asteriskToken) return;
    const expression = node.expression;
    const api = SPELLING[reach.sdk];
    if (!expression) {
      const examples =
        reach.sdk === "durabletask" ? "ctx.callActivity(...), createTimer, whenAll..." : "context.df.callActivity(...), createTimer, Task.all...";
      this.report(findings, "DD010", node, `yield with nothing to wait for: yield a durable task (${examples}).`, reach);
      return;
    }
    const inner = skipOuter(expression);
    if (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && this.returnsNothing(inner.expression)) {
      this.report(
        findings,
        "DD010",
        expression,
        `${inner.expression.name.text}() returns nothing to wait for, and yielding it throws at run time: call it without yield.`,
        reach,
      );
      return;
    }
    const literal =
      ts.isLiteralExpression(inner) ||
      ts.isObjectLiteralExpression(inner) ||
      ts.isArrayLiteralExpression(inner) ||
      inner.kind === ts.SyntaxKind.TrueKeyword ||
      inner.kind === ts.SyntaxKind.FalseKeyword ||
      inner.kind === ts.SyntaxKind.NullKeyword;
    if (this.apis.isTaskCall(inner) || this.apis.isCombinator(inner)) return;
    // A real timer, I/O, a Promise combinator: a Promise; the fix that makes it a durable task is offered here too.
    const hazard = this.yieldedHazard(inner, reach);
    if (hazard) {
      this.report(
        findings,
        "DD010",
        expression,
        `yield of a Promise (${hazard.what}): orchestrators may only yield durable tasks (${api.yieldables()}).`,
        reach,
        hazard.fixes,
      );
      return;
    }
    if (this.flow.kind(inner) === "task") return;
    // A list of tasks kept in a variable (`const work = items.map(...)`; `yield work`): the package waits for none of them.
    if (ts.isIdentifier(inner) && this.holdsTaskList(inner)) {
      const all = reach.sdk === "durabletask" ? "whenAll" : `${reach.contextName ?? "context"}.df.Task.all`;
      this.report(findings, "DD010", expression, `yield of an array of tasks: the package waits for no task in it. Use yield ${all}(${inner.text}).`, reach, [
        this.taskAllFix(inner, reach),
      ]);
      return;
    }
    const type = this.checker.getTypeAtLocation(expression);
    const promise = type.getSymbol()?.getName() === "Promise" || ts.isAwaitExpression(inner);
    if (literal || promise || this.isPlainValueType(type)) {
      this.report(
        findings,
        "DD010",
        expression,
        `yield ${promise ? "of a Promise" : this.checker.isArrayType(type) ? `of an array (yield ${api.all()}(tasks) to wait for several tasks)` : "of a plain value"}: orchestrators may only yield durable tasks (${api.yieldables()}). Do async work in an activity.`,
        reach,
      );
    }
  }

  /** `context.df.signalEntity(...)`, `ctx.continueAsNew(...)` and their kin: they return nothing, and the SDKs throw on a yield of it. */
  private returnsNothing(callee: ts.PropertyAccessExpression): boolean {
    const method = callee.name.text;
    const receiver = skipOuter(callee.expression);
    if (/^(signalEntity|continueAsNew|setCustomStatus)$/.test(method) && /(\.df|^df)$/.test(receiver.getText())) return true;
    if (!DURABLETASK_VOID_METHODS.has(method)) return false;
    return method === "signalEntity" ? this.apis.isEntityFeature(receiver) : this.apis.isDurableTaskContext(receiver);
  }

  private holdsTaskList(identifier: ts.Identifier): boolean {
    const declaration = this.origins.declarationOf(identifier);
    const value = declaration && ts.isVariableDeclaration(declaration) ? declaration.initializer : undefined;
    if (!value) return false;
    const inner = skipOuter(value);
    return (
      (ts.isArrayLiteralExpression(inner) ||
        (ts.isCallExpression(inner) && ts.isPropertyAccessExpression(inner.expression) && /^(map|flatMap)$/.test(inner.expression.name.text))) &&
      this.flow.kind(inner) === "task"
    );
  }

  /** What replaces a Promise combinator: `context.df.Task.all` / `any` (allSettled → all; race, any → any), `whenAll` / `whenAny`. */
  private combinatorName(callee: string, reach: Reach): string {
    const all = /\.(all|allSettled)$/.test(callee);
    return reach.sdk === "durabletask" ? (all ? "whenAll" : "whenAny") : `${reach.contextName ?? "context"}.df.Task.${all ? "all" : "any"}`;
  }

  /** `Promise.all(...)` → `context.df.Task.all(...)`, `whenAll(...)` (imported if need be): the callee only is replaced. */
  private taskCombinatorFix(call: ts.CallExpression, callee: string, reach: Reach): Fix | undefined {
    const replacement = this.combinatorName(callee, reach);
    if (reach.sdk === "durabletask") return whenFix(call, replacement as "whenAll" | "whenAny");
    const file = call.getSourceFile();
    return {
      title: `Use ${replacement}`,
      edits: [{ file: file.fileName, start: call.expression.getStart(file), end: call.expression.getEnd(), newText: replacement }],
    };
  }

  private taskAllFix(list: ts.Expression, reach: Reach): Fix | undefined {
    if (reach.sdk === "durabletask") return whenAllOfListFix(list);
    const file = list.getSourceFile();
    const context = reach.contextName ?? "context";
    return {
      title: `Use ${context}.df.Task.all(${list.getText()})`,
      edits: [{ file: file.fileName, start: list.getStart(file), end: list.getEnd(), newText: `${context}.df.Task.all(${list.getText()})` }],
    };
  }

  /** A yielded real timer, I/O call or Promise combinator, with the fixes of its own finding. */
  private yieldedHazard(inner: ts.Expression, reach: Reach): { what: string; fixes: (Fix | undefined)[] } | undefined {
    if (ts.isNewExpression(inner) && this.origins.of(inner.expression) === "Promise") {
      let timer: ts.CallExpression | undefined;
      const find = (node: ts.Node): void => {
        if (!timer && ts.isCallExpression(node) && hazardOfCall(this.origins.of(node.expression) ?? "", node.arguments.length, false) === "timer") timer = node;
        if (!timer) ts.forEachChild(node, find);
      };
      find(inner);
      return timer ? { what: "a real timer", fixes: this.hazardFixes(timer, "timer", this.origins.of(timer.expression) ?? "", reach) } : undefined;
    }
    if (!ts.isCallExpression(inner)) return undefined;
    const callee = this.origins.of(inner.expression) ?? this.origins.of(inner)?.replace(/(\.|\|)?\(\)$/, "");
    if (callee === undefined) return undefined;
    if (/^Promise\.(all|race|any|allSettled)$/.test(callee)) return { what: callee, fixes: [this.taskCombinatorFix(inner, callee, reach)] };
    const hazard = hazardOfCall(callee, inner.arguments.length, false);
    if (hazard !== "io" && hazard !== "timer") return undefined;
    const direct = this.origins.of(inner.expression) !== undefined;
    return { what: hazard === "io" ? "I/O" : "a real timer", fixes: direct ? this.hazardFixes(inner, hazard, callee, reach) : [] };
  }

  /** Numbers, strings, booleans, nothing, object literals and arrays: values the package cannot wait for. */
  private isPlainValueType(type: ts.Type): boolean {
    if (type.isUnion()) return type.types.every((part) => this.isPlainValueType(part));
    if (
      type.flags &
      (ts.TypeFlags.NumberLike |
        ts.TypeFlags.StringLike |
        ts.TypeFlags.BooleanLike |
        ts.TypeFlags.BigIntLike |
        ts.TypeFlags.Void |
        ts.TypeFlags.Undefined |
        ts.TypeFlags.Null)
    )
      return true;
    if (this.checker.isArrayType(type) || this.checker.isTupleType(type)) return true;
    return (type.flags & ts.TypeFlags.Object) !== 0 && ((type as ts.ObjectType).objectFlags & ts.ObjectFlags.ObjectLiteral) !== 0;
  }

  /** DD008: a durable task (or a sub-generator) that is created and never yielded. */
  private checkDropped(node: ts.CallExpression | ts.ArrayLiteralExpression, reach: Reach, findings: Finding[]): void {
    if (ts.isArrayLiteralExpression(node)) return; // arrays are followed from the tasks inside them
    const kind = this.flow.kind(node);
    if (!kind) return;
    // A task inside a Task.all / array / map is judged with its container.
    const parent = node.parent;
    if (kind === "task" && (ts.isArrayLiteralExpression(parent) || this.apis.isCombinator(parent))) return;
    if (kind === "task" && !this.apis.isTaskCall(node) && reach.path.length > 0 && !reach.inCallback) return; // helpers' own returns are judged at their callers
    if (kind === "generator" && ts.isYieldExpression(parent) && parent.asteriskToken) return;
    if (kind === "generator" ? !ts.isExpressionStatement(parent) : this.flow.used(node)) return;
    if (kind === "task" && ts.isArrowFunction(parent) && parent.body === node && !this.forEachCallback(parent)) return;
    const file = node.getSourceFile();
    const method = ts.isPropertyAccessExpression(node.expression) ? node.expression.name.text : node.expression.getText();
    const addYield = ts.isExpressionStatement(parent) && reach.path.length === 0 && !reach.inCallback && !!reach.orchestrator.asteriskToken;
    const fixes = addYield
      ? [
          {
            title: kind === "generator" ? "Add yield*" : "Add yield",
            edits: [{ file: file.fileName, start: node.getStart(file), end: node.getStart(file), newText: kind === "generator" ? "yield* " : "yield " }],
          },
        ]
      : [];
    const durableTask = reach.sdk === "durabletask";
    const message =
      kind === "generator"
        ? `${method}() is a generator: calling it does nothing until it is run with yield* ${method}(...).`
        : ts.isExpressionStatement(parent)
          ? `The task from ${method}() is never yielded, so the orchestrator does not wait for it (and its result is lost): yield it, or collect it for ${durableTask ? "whenAll" : "context.df.Task.all"}.`
          : durableTask
            ? `The task from ${method}() is kept but never yielded (nor passed to a yielded whenAll/whenAny): the orchestrator never waits for it, and its result or failure is lost: yield it.`
            : `The task from ${method}() is kept but never yielded (nor passed to a yielded context.df.Task.all/any), so durable-functions never schedules it: yield it.`;
    this.report(findings, "DD008", node, message, reach, fixes);
  }

  private forEachCallback(arrow: ts.ArrowFunction): boolean {
    return ts.isCallExpression(arrow.parent) && ts.isPropertyAccessExpression(arrow.parent.expression) && arrow.parent.expression.name.text === "forEach";
  }

  /** DD017: `while (true)` with a yield and no way out in an orchestrator that never calls continueAsNew. */
  private checkEternalLoops(fn: ts.FunctionLikeDeclaration, reach: Reach, findings: Finding[]): void {
    if (!fn.body || !fn.asteriskToken) return;
    // The function's loops, whatever the path that reached it: found once.
    let loops = this.eternalLoops.get(fn);
    if (!loops) this.eternalLoops.set(fn, (loops = this.eternalLoopsOf(fn)));
    for (const loop of loops) {
      this.report(
        findings,
        "DD017",
        loop,
        `An endless loop in an orchestrator keeps every iteration in its history, which grows until replays slow down and fail: end each iteration with ${SPELLING[reach.sdk].continueAsNew()} instead of looping.`,
        reach,
      );
    }
  }

  private eternalLoopsOf(fn: ts.FunctionLikeDeclaration): ts.IterationStatement[] {
    if (!fn.body) return [];
    let continues = false;
    const loops: ts.IterationStatement[] = [];
    const visit = (node: ts.Node): void => {
      if (node !== fn && isFunctionLike(node)) return;
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "continueAsNew") continues = true;
      if ((ts.isWhileStatement(node) || ts.isDoStatement(node)) && (node.expression.kind === ts.SyntaxKind.TrueKeyword || node.expression.getText() === "1"))
        loops.push(node);
      if (ts.isForStatement(node) && !node.condition) loops.push(node);
      ts.forEachChild(node, visit);
    };
    visit(fn.body);
    return continues ? [] : loops.filter((loop) => this.yieldsWithoutExit(loop.statement));
  }

  private yieldsWithoutExit(body: ts.Statement): boolean {
    let yields = false;
    let exits = false;
    const visit = (node: ts.Node, nestedBreakable: boolean): void => {
      if (isFunctionLike(node)) return;
      if (ts.isYieldExpression(node)) yields = true;
      if (ts.isReturnStatement(node) || ts.isThrowStatement(node)) exits = true;
      if (ts.isBreakStatement(node) && (node.label || !nestedBreakable)) exits = true;
      const breakable = nestedBreakable || ts.isIterationStatement(node, false) || ts.isSwitchStatement(node);
      ts.forEachChild(node, (child) => visit(child, breakable));
    };
    visit(body, false);
    return yields && !exits;
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
    this.report(
      findings,
      "DD012",
      target,
      `'${base.text}' is module-level state: every replay and every instance in this process sees the change. Keep state in local variables, or in a durable entity.`,
      reach,
    );
  }

  /** `new Stopwatch()`: the workspace class's constructor runs now. */
  private followConstructor(node: ts.NewExpression, reach: Reach, visited: Map<ts.Node, Set<string>>, findings: Finding[]): void {
    if (ts.isPropertyAccessExpression(node.expression) && !this.origins.mayBeWorkspaceMember(node.expression.name.text)) return;
    const declaration = this.origins.declarationOf(node.expression);
    if (!declaration || !(ts.isClassDeclaration(declaration) || ts.isClassExpression(declaration)) || !this.isWorkspaceFile(declaration.getSourceFile()))
      return;
    const constructor = declaration.members.find(ts.isConstructorDeclaration);
    if (!constructor?.body) return;
    this.walk(
      constructor,
      { ...reach, path: [...reach.path, `new ${declaration.name?.text ?? "class"}`], contextName: undefined, inCallback: false },
      visited,
      findings,
    );
  }

  /** Follows a call into a workspace function, and named functions handed to it as callbacks (`items.map(addStamp)`). */
  private follow(node: ts.CallExpression, reach: Reach, visited: Map<ts.Node, Set<string>>, findings: Finding[]): void {
    if (this.apis.isTaskCall(node)) return;
    const targets: { fn: ts.FunctionLikeDeclaration; label: string }[] = [];
    const target = this.origins.functionOf(node.expression);
    if (target) targets.push({ fn: target, label: target.name && ts.isIdentifier(target.name) ? target.name.text : shortText(node.expression) });
    const callbackHost = ts.isPropertyAccessExpression(node.expression) && CALLBACK_METHODS.test(node.expression.name.text);
    for (const argument of node.arguments) {
      const inner = skipOuter(argument);
      if (isFunctionLike(inner) || !(ts.isIdentifier(inner) || ts.isPropertyAccessExpression(inner))) continue;
      if (!callbackHost && !target) continue;
      const callback = this.origins.functionOf(inner);
      if (callback) targets.push({ fn: callback, label: inner.getText() });
    }
    for (const { fn, label } of targets) {
      const file = fn.getSourceFile();
      // (The orchestrator itself is skipped by walk.)
      if (!this.isWorkspaceFile(file)) continue;
      this.walk(fn, { ...reach, path: [...reach.path, label], contextName: undefined, inCallback: false }, visited, findings);
    }
  }
}
