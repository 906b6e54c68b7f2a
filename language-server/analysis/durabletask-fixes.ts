/**
 * Quick fixes that only durabletask-js orchestrators need: its combinators are functions the file must import
 * (`whenAll`, `whenAny`), its orchestrators must be async generators, `await` does not wait for its tasks (a Task is
 * not a Promise), and a new activity is a function registered on the worker. Each returns edits, or nothing when it
 * cannot rewrite the code safely.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { Fix, TextRange } from "./model";
import { activityInputs, indentAt, isBare, newActivityName } from "./fixes";
import { isFunctionLike, isRequireCall, skipOuter } from "./origins";
import { DURABLETASK_MODULE, workerRegistration, type DurableApis } from "./sdk";

type Edit = TextRange & { newText: string };

const TYPE_KEYWORDS = new Set(["string", "number", "boolean", "bigint", "symbol", "undefined", "null", "void", "unknown", "never", "object", "true", "false"]);

function isTypeScript(file: ts.SourceFile): boolean {
  return /\.(c|m)?tsx?$/.test(file.fileName);
}

function insert(file: ts.SourceFile, at: number, newText: string): Edit {
  return { file: file.fileName, start: at, end: at, newText };
}

/**
 * How the file can call one of the package's exports (`whenAll`; `dt.whenAll` through a namespace import or a required
 * module), and the edit that imports it when the file does not yet: into an import or `require` destructuring of the
 * package it has, else a new statement after its imports. Undefined when the name is taken by something else.
 */
export function packageExport(file: ts.SourceFile, member: string): { text: string; edits: Edit[] } | undefined {
  let extendable: ts.NamedImports | ts.ObjectBindingPattern | undefined;
  let lastImport: ts.Statement | undefined;
  const isPackage = (node: ts.Expression | undefined) => !!node && ts.isStringLiteral(node) && node.text === DURABLETASK_MODULE;
  for (const statement of file.statements) {
    if (ts.isImportDeclaration(statement)) {
      lastImport = statement;
      const clause = statement.importClause;
      if (!isPackage(statement.moduleSpecifier) || !clause || clause.isTypeOnly) continue;
      const bindings = clause.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) return { text: `${bindings.name.text}.${member}`, edits: [] };
      if (bindings && ts.isNamedImports(bindings)) {
        const found = bindings.elements.find((element) => !element.isTypeOnly && (element.propertyName ?? element.name).text === member);
        if (found) return { text: found.name.text, edits: [] };
        extendable ??= bindings;
      } else if (clause.name) return { text: `${clause.name.text}.${member}`, edits: [] };
    } else if (ts.isImportEqualsDeclaration(statement)) {
      lastImport = statement;
      const reference = statement.moduleReference;
      if (ts.isExternalModuleReference(reference) && isPackage(reference.expression)) return { text: `${statement.name.text}.${member}`, edits: [] };
    } else if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const value = declaration.initializer && skipOuter(declaration.initializer);
        if (!value || !isRequireCall(value)) continue;
        lastImport = statement;
        if (!isPackage(value.arguments[0])) continue;
        if (ts.isIdentifier(declaration.name)) return { text: `${declaration.name.text}.${member}`, edits: [] };
        if (ts.isObjectBindingPattern(declaration.name)) {
          const found = declaration.name.elements.find((element) => {
            const key = element.propertyName ?? element.name;
            return (ts.isIdentifier(key) || ts.isStringLiteral(key)) && key.text === member;
          });
          if (found && ts.isIdentifier(found.name)) return { text: found.name.text, edits: [] };
          extendable ??= declaration.name;
        }
      }
    } else if (!ts.isExpressionStatement(statement) || !ts.isStringLiteral(statement.expression)) {
      // Imports come first (after "use strict"): the first other statement ends them.
      if (lastImport) break;
    }
  }
  // Another `whenAll` of the file's own would be shadowed or clash.
  if (mentions(file, member)) return undefined;
  if (extendable) {
    const last = extendable.elements[extendable.elements.length - 1];
    const at = last ? last.getEnd() : extendable.getStart(file) + 1;
    return { text: member, edits: [insert(file, at, last ? `, ${member}` : ` ${member} `)] };
  }
  const esm = isTypeScript(file) || file.statements.some((statement) => ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement));
  const statement = esm ? `import { ${member} } from "${DURABLETASK_MODULE}";` : `const { ${member} } = require("${DURABLETASK_MODULE}");`;
  if (lastImport) return { text: member, edits: [insert(file, lastImport.getEnd(), `\n${statement}`)] };
  const first = file.statements.find((s) => !ts.isExpressionStatement(s) || !ts.isStringLiteral(s.expression));
  return { text: member, edits: [insert(file, first ? first.getStart(file) : file.getEnd(), `${statement}\n`)] };
}

function mentions(file: ts.SourceFile, name: string): boolean {
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && node.text === name) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** `Promise.all(tasks)` → `whenAll(tasks)` (allSettled → whenAll; race, any → whenAny), importing it if need be. */
export function whenFix(call: ts.CallExpression, combinator: "whenAll" | "whenAny"): Fix | undefined {
  const file = call.getSourceFile();
  const reference = packageExport(file, combinator);
  if (!reference) return undefined;
  return {
    title: `Use ${reference.text}`,
    edits: [{ file: file.fileName, start: call.expression.getStart(file), end: call.expression.getEnd(), newText: reference.text }, ...reference.edits],
  };
}

/** `yield tasks` (an array the SDK cannot wait for) → `yield whenAll(tasks)`. */
export function whenAllOfListFix(list: ts.Expression): Fix | undefined {
  const file = list.getSourceFile();
  const reference = packageExport(file, "whenAll");
  if (!reference) return undefined;
  const text = `${reference.text}(${list.getText(file)})`;
  return { title: `Use ${text}`, edits: [{ file: file.fileName, start: list.getStart(file), end: list.getEnd(), newText: text }, ...reference.edits] };
}

function isAsync(fn: ts.FunctionLikeDeclaration): boolean {
  return !!ts.getModifiers(fn as ts.HasModifiers)?.some((modifier) => modifier.kind === ts.SyntaxKind.AsyncKeyword);
}

function usesThis(node: ts.Node): boolean {
  let found = false;
  const visit = (child: ts.Node): void => {
    if (found) return;
    if (child.kind === ts.SyntaxKind.ThisKeyword || (ts.isIdentifier(child) && child.text === "arguments")) found = true;
    else if (!(isFunctionLike(child) && !ts.isArrowFunction(child))) ts.forEachChild(child, visit);
  };
  visit(node);
  return found;
}

/**
 * DD018: an orchestrator the SDK cannot run as it is → an async generator: `function*` gets `async` (its declared
 * Generator becomes AsyncGenerator), an async function gets `*` (an arrow becomes an `async function*`; its declared
 * Promise<T> becomes AsyncGenerator<unknown, T>). Its awaits of tasks then need yield (DD006's fix).
 */
export function asyncGeneratorFix(fn: ts.FunctionLikeDeclaration): Fix | undefined {
  const file = fn.getSourceFile();
  const edits: Edit[] = [];
  const type = fn.type;
  if (fn.asteriskToken && !isAsync(fn)) {
    const keyword = fn.getChildren(file).find((child) => child.kind === ts.SyntaxKind.FunctionKeyword);
    edits.push(insert(file, (keyword ?? fn.asteriskToken).getStart(file), "async "));
    if (type && /^(Generator|IterableIterator|Iterator|Iterable)\b/.test(type.getText(file))) edits.push(insert(file, type.getStart(file), "Async"));
    return { title: "Make it an async generator (async function*)", edits };
  }
  if (!isAsync(fn) || fn.asteriskToken || !fn.body) return undefined;
  if (type) {
    const promised = ts.isTypeReferenceNode(type) && type.typeName.getText(file) === "Promise" ? type.typeArguments?.[0] : undefined;
    edits.push({
      file: file.fileName,
      start: type.getStart(file),
      end: type.getEnd(),
      newText: `AsyncGenerator<unknown, ${promised?.getText(file) ?? "unknown"}>`,
    });
  }
  if (ts.isArrowFunction(fn)) {
    if (usesThis(fn.body)) return undefined;
    const parameters = fn.parameters.map((parameter) => parameter.getText(file)).join(", ");
    const typeParameters = fn.typeParameters ? `<${fn.typeParameters.map((p) => p.getText(file)).join(", ")}>` : "";
    const head = `async function*${typeParameters} (${parameters})`;
    const headEnd = type ? type.getStart(file) : fn.equalsGreaterThanToken.getEnd();
    const before = type ? `${head}: ` : head;
    edits.unshift({ file: file.fileName, start: fn.getStart(file), end: headEnd, newText: before });
    if (type) edits.push({ file: file.fileName, start: type.getEnd(), end: fn.equalsGreaterThanToken.getEnd(), newText: "" });
    if (!ts.isBlock(fn.body))
      edits.push({ file: file.fileName, start: fn.body.getStart(file), end: fn.body.getEnd(), newText: `{ return ${fn.body.getText(file)}; }` });
  } else if (ts.isMethodDeclaration(fn)) {
    edits.unshift(insert(file, fn.name.getStart(file), "*"));
  } else {
    const keyword = fn.getChildren(file).find((child) => child.kind === ts.SyntaxKind.FunctionKeyword);
    if (!keyword) return undefined;
    edits.unshift(insert(file, keyword.getEnd(), "*"));
  }
  return { title: "Make it an async generator (async function*)", edits };
}

/**
 * A type annotation the file can write for a value (`: string`): primitives, literals, arrays and object types of
 * them, and names the file can see. Undefined for anything else, or a loose type (nothing to say).
 */
function annotationFor(type: ts.Type, at: ts.Node, checker: ts.TypeChecker): string | undefined {
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return undefined;
  const text = checker.typeToString(checker.getBaseTypeOfLiteralType(type), at, ts.TypeFormatFlags.NoTruncation);
  if (/\bimport\(|\.\.\.|=>|typeof /.test(text)) return undefined;
  const visible = new Set(checker.getSymbolsInScope(at, ts.SymbolFlags.Type).map((symbol) => symbol.getName()));
  const words = text.replace(/"[^"]*"|'[^']*'/g, "").match(/[A-Za-z_$][\w$]*/g) ?? [];
  return words.every((word) => TYPE_KEYWORDS.has(word) || visible.has(word)) ? text : undefined;
}

/**
 * The type a task gives its yield (`Task<T>` → T, a Promise's value for an async activity), as an annotation for the
 * variable that takes it: without one, a yield in an unannotated generator is `any` (TypeScript's noImplicitAny error 7057).
 */
function resultAnnotation(task: ts.Type, at: ts.Node, checker: ts.TypeChecker): string | undefined {
  const reference = task as ts.TypeReference;
  const argument = (reference.target && checker.getTypeArguments(reference)[0]) || undefined;
  return argument ? annotationFor(checker.getAwaitedType(argument) ?? argument, at, checker) : undefined;
}

/** `const x` that takes the yield of a task, in TypeScript, without a type: where resultAnnotation goes. */
function untypedTarget(expression: ts.Expression): ts.VariableDeclaration | undefined {
  const parent = expression.parent;
  return ts.isVariableDeclaration(parent) &&
    parent.initializer === expression &&
    !parent.type &&
    ts.isIdentifier(parent.name) &&
    isTypeScript(parent.getSourceFile())
    ? parent
    : undefined;
}

/** DD006: `await ctx.callActivity(...)` (which gives back the task itself) → `yield ctx.callActivity(...)`. */
export function awaitToYieldFix(node: ts.AwaitExpression, checker: ts.TypeChecker): Fix {
  const file = node.getSourceFile();
  const yielded = `yield ${node.expression.getText(file)}`;
  const edits: Edit[] = [{ file: file.fileName, start: node.getStart(file), end: node.getEnd(), newText: isBare(node) ? yielded : `(${yielded})` }];
  const target = untypedTarget(node);
  const annotation = target && resultAnnotation(checker.getTypeAtLocation(node.expression), node, checker);
  if (target && annotation) edits.push(insert(file, target.name.getEnd(), `: ${annotation}`));
  return { title: "Use yield (await does not wait for a durable task)", edits };
}

/** Where a file registers with a durabletask-js worker: the worker's name and the statement a new registration follows. */
export interface WorkerSite {
  name: string;
  after: ts.Statement;
}

/**
 * The worker a file registers functions with (`worker.addOrchestrator(...)`, at the top level or in a `main()`), and
 * its last registering statement (out of any loop it is in); else a top-level `new TaskHubGrpcWorker(...)`.
 */
export function workerSiteIn(file: ts.SourceFile, apis: DurableApis): WorkerSite | undefined {
  let site: WorkerSite | undefined;
  const visit = (node: ts.Node): void => {
    if (
      ts.isExpressionStatement(node) &&
      ts.isCallExpression(node.expression) &&
      ts.isPropertyAccessExpression(node.expression.expression) &&
      workerRegistration(node.expression.expression.name.text) &&
      ts.isIdentifier(node.expression.expression.expression) &&
      apis.isWorker(node.expression.expression.expression)
    ) {
      site = { name: node.expression.expression.expression.text, after: outermostStatement(node) };
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (site) return site;
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const value = declaration.initializer && skipOuter(declaration.initializer);
      if (
        ts.isIdentifier(declaration.name) &&
        value &&
        ts.isNewExpression(value) &&
        /(^|\.)(TaskHubGrpcWorker|TestOrchestrationWorker)$/.test(value.expression.getText(file))
      )
        return { name: declaration.name.text, after: statement };
    }
  }
  return undefined;
}

/** The statement of a function body (or of the file) a statement is in: out of a loop or a condition, it runs once. */
function outermostStatement(node: ts.Statement): ts.Statement {
  let statement = node;
  for (;;) {
    const parent = statement.parent;
    if (ts.isBlock(parent)) {
      if (isFunctionLike(parent.parent) || !ts.isStatement(parent.parent)) return statement;
      statement = parent.parent;
    } else if (ts.isStatement(parent)) statement = parent;
    else return statement;
  }
}

/**
 * DD004 in a durabletask-js orchestrator's own body: the I/O call moves into a new activity function at the end of the
 * file (declared, so it exists before the worker runs anything), registered on the file's worker after its other
 * registrations; its free local variables become the input, and the orchestrator yields `ctx.callActivity(fn, input)`.
 */
export function moveToWorkerActivityFix(
  call: ts.Expression,
  orchestrator: ts.FunctionLikeDeclaration,
  context: string,
  takenNames: Set<string>,
  worker: WorkerSite,
  checker: ts.TypeChecker,
): Fix | undefined {
  const file = call.getSourceFile();
  if (!orchestrator.asteriskToken) return undefined;
  const io = ts.isAwaitExpression(call.parent) ? call.parent : call;
  const name = newActivityName(call, takenNames);
  const inputs = activityInputs(call, orchestrator, checker);
  if (inputs.has(context)) return undefined;
  const typed = isTypeScript(file);
  const names = [...inputs.keys()];
  const input = names.length ? `, { ${names.join(", ")} }${typed ? `: { ${names.map((n) => `${n}: ${inputs.get(n)}`).join("; ")} }` : ""}` : "";
  const argument = names.length ? `, { ${names.join(", ")} }` : "";
  const task = `${context}.callActivity(${name}${argument})`;
  const replacement = ts.isYieldExpression(io.parent) ? task : isBare(io) ? `yield ${task}` : `(yield ${task})`;
  const edits: Edit[] = [{ file: file.fileName, start: io.getStart(file), end: io.getEnd(), newText: replacement }];
  const target = untypedTarget(io);
  const result = checker.getTypeAtLocation(call);
  const annotation = target && annotationFor(checker.getAwaitedType(result) ?? result, io, checker);
  if (target && annotation) edits.push(insert(file, target.name.getEnd(), `: ${annotation}`));
  edits.push(insert(file, worker.after.getEnd(), `\n${indentAt(worker.after)}${worker.name}.addActivity(${name});`));
  const activity = `\nasync function ${name}(_ctx${typed ? ": unknown" : ""}${input}) {\n    return await ${call.getText(file)};\n}\n`;
  edits.push(insert(file, file.getEnd(), activity));
  return { title: `Move ${call.getText(file).slice(0, 40)}${call.getText(file).length > 40 ? "…" : ""} into a new activity '${name}'`, edits };
}
