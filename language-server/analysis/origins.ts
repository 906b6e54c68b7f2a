/**
 * What an expression in user code denotes, found through the type checker's symbols rather than its text, so that
 * `const D = Date; new D()`, `const { random } = Math`, `Math["random"]()`, `globalThis.setTimeout` and a shadowing
 * parameter named `random` are told apart: an origin is a dotted path from a global ("Date.now", "process.env") or from
 * a module ("module:luxon|DateTime.now"); a call adds "()". Also: the constant strings a name may hold (registration
 * names through constants, enums, `as const` records, loops) and the workspace function a callee or handler is.
 */
// A plain require, not `import * as`: esbuild would turn every ts.* lookup into a getter call (a second of a big analysis).
import ts = require("typescript");
import type { ReadListener } from "./reads";

export type Origin = string;

const GLOBAL_OBJECTS = new Set(["globalThis", "global", "window", "self"]);
const MAX_DEPTH = 12;

export function moduleName(specifier: string): string {
  return specifier.replace(/^node:/, "");
}

export function isFunctionLike(node: ts.Node): node is ts.FunctionDeclaration | ts.FunctionExpression | ts.ArrowFunction | ts.MethodDeclaration {
  return ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isArrowFunction(node) || ts.isMethodDeclaration(node);
}

/** Parentheses, type assertions, `!` and `satisfies` do not change what a value is. */
export function skipOuter(node: ts.Expression): ts.Expression {
  while (
    ts.isParenthesizedExpression(node) ||
    ts.isAsExpression(node) ||
    ts.isNonNullExpression(node) ||
    ts.isSatisfiesExpression(node) ||
    ts.isTypeAssertionExpression(node)
  ) {
    node = node.expression;
  }
  return node;
}

export function isRequireCall(node: ts.Node): node is ts.CallExpression & { arguments: [ts.StringLiteralLike] } {
  return (
    ts.isCallExpression(node) &&
    ts.isIdentifier(node.expression) &&
    node.expression.text === "require" &&
    node.arguments.length === 1 &&
    ts.isStringLiteralLike(node.arguments[0])
  );
}

/** The module a path starts from ("module:fs|readFileSync" → "fs"), if it starts from one. */
export function moduleOf(origin: Origin | undefined): string | undefined {
  if (!origin?.startsWith("module:")) return undefined;
  const bar = origin.indexOf("|");
  return origin.slice("module:".length, bar < 0 ? undefined : bar);
}

/** The path after the module ("module:luxon|DateTime.now" → "DateTime.now"); "" for the module itself. */
export function memberOf(origin: Origin): string {
  const bar = origin.indexOf("|");
  return bar < 0 ? "" : origin.slice(bar + 1);
}

function join(base: Origin, name: string): Origin {
  if (base === "") return name;
  return base.startsWith("module:") && !base.includes("|") ? `${base}|${name}` : `${base}.${name}`;
}

function literalKey(node: ts.Node | undefined): string | undefined {
  return node && (ts.isStringLiteralLike(node) || ts.isNumericLiteral(node)) ? node.text : node && ts.isIdentifier(node) ? node.text : undefined;
}

export class Origins {
  private readonly origins = new Map<ts.Node, Origin | null>();
  private readonly functions = new Map<ts.Node, ts.FunctionLikeDeclaration | null>();
  /** While a call like `bureauActivity(b)` is evaluated for its strings: what its parameters hold. */
  private readonly parameterStrings = new Map<ts.Node, string[]>();
  /** Told of the function bodies read (see reads.ts); set by the incremental analysis. */
  listener?: ReadListener;
  /** Every body read, in order: an origin kept in the cache tells its reads again when it is used again. */
  private readonly bodiesRead: ts.FunctionLikeDeclaration[] = [];
  private readonly readsOf = new Map<ts.Node, ts.FunctionLikeDeclaration[]>();

  private memberNames?: Set<string> | "any";

  constructor(
    private readonly checker: ts.TypeChecker,
    private readonly inWorkspace: (file: ts.SourceFile) => boolean,
    private readonly workspaceFiles: () => readonly ts.SourceFile[] = () => [],
  ) {}

  /**
   * Whether `x.name` may denote something the workspace declares. Asking the checker means typing `x` first (its
   * flow type: a large share of a big analysis), and most calls are on library values (`results.push(...)`).
   */
  mayBeWorkspaceMember(name: string): boolean {
    if (this.memberNames === undefined) {
      const all = new Set<string>();
      let any = false;
      for (const file of this.workspaceFiles()) {
        const names = declaredNames(file);
        if (names === "any") any = true;
        else for (const n of names) all.add(n);
      }
      this.memberNames = any ? "any" : all;
    }
    return this.memberNames === "any" || this.memberNames.has(name);
  }

  /** What `node` denotes, or undefined when it is the user's own value (a parameter, a local object, a call result of theirs). */
  of(node: ts.Expression, depth = 0): Origin | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const cached = this.origins.get(node);
    if (cached !== undefined) {
      const reads = this.readsOf.get(node);
      if (reads) for (const fn of reads) this.readBody(fn);
      return cached ?? undefined;
    }
    this.origins.set(node, null); // a cycle (const a = b; const b = a) ends here
    const mark = this.bodiesRead.length;
    const origin = this.compute(skipOuter(node), depth);
    this.origins.set(node, origin ?? null);
    if (this.bodiesRead.length > mark) this.readsOf.set(node, this.bodiesRead.slice(mark));
    return origin;
  }

  /** Reading a function's body from elsewhere (its return expression, its statements): see reads.ts. */
  readBody(fn: ts.FunctionLikeDeclaration): void {
    if (!this.listener) return;
    this.bodiesRead.push(fn);
    this.listener.body(fn);
  }

  private compute(node: ts.Expression, depth: number): Origin | undefined {
    if (ts.isIdentifier(node)) return this.ofIdentifier(node, depth);
    if (ts.isPropertyAccessExpression(node)) {
      const base = this.of(node.expression, depth + 1);
      return base === undefined ? undefined : join(base, node.name.text);
    }
    if (ts.isElementAccessExpression(node)) {
      const key = ts.isStringLiteralLike(node.argumentExpression) ? node.argumentExpression.text : undefined;
      const base = key === undefined ? undefined : this.of(node.expression, depth + 1);
      return base === undefined || key === undefined ? undefined : join(base, key);
    }
    if (isRequireCall(node)) return `module:${moduleName(node.arguments[0].text)}`;
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      const callee = this.of(node.expression, depth + 1);
      if (callee !== undefined) return join(callee, "()");
      // `documentsContainer()` where the function returns `blobService.getContainerClient(...)`: what it returns.
      const fn = ts.isCallExpression(node) ? this.functionOf(node.expression) : undefined;
      if (fn?.body) this.readBody(fn);
      const body =
        fn?.body &&
        !fn.asteriskToken &&
        (ts.isBlock(fn.body)
          ? fn.body.statements.length === 1 && ts.isReturnStatement(fn.body.statements[0])
            ? fn.body.statements[0].expression
            : undefined
          : fn.body);
      return body ? this.of(body as ts.Expression, depth + 1) : undefined;
    }
    if (ts.isAwaitExpression(node)) return this.of(node.expression, depth + 1);
    return undefined;
  }

  private ofIdentifier(identifier: ts.Identifier, depth: number): Origin | undefined {
    const symbol = this.checker.getSymbolAtLocation(identifier);
    const declarations = symbol?.declarations ?? [];
    const own = declarations.find((declaration) => this.inWorkspace(declaration.getSourceFile()));
    // No declaration of the user's: a global, from the standard library, @types/node or none loaded at all.
    if (!own) return GLOBAL_OBJECTS.has(identifier.text) ? "" : identifier.text;
    // An import from the workspace's own modules: what that module's export holds (`export const db = new Pool()`).
    if ((ts.isImportSpecifier(own) || ts.isImportClause(own) || ts.isNamespaceImport(own)) && symbol) {
      const specifier = ts.isImportSpecifier(own)
        ? own.parent.parent.parent.moduleSpecifier
        : ts.isImportClause(own)
          ? own.parent.moduleSpecifier
          : own.parent.parent.moduleSpecifier;
      if (ts.isStringLiteral(specifier) && specifier.text.startsWith(".") && !ts.isNamespaceImport(own)) {
        const target = this.aliased(symbol);
        const declaration = target?.valueDeclaration ?? target?.declarations?.[0];
        if (declaration && this.inWorkspace(declaration.getSourceFile())) {
          const value = ts.isVariableDeclaration(declaration) && ts.isIdentifier(declaration.name) ? declaration.initializer : undefined;
          return value ? this.of(value, depth + 1) : undefined;
        }
      }
    }
    if (ts.isImportSpecifier(own)) {
      const module = own.parent.parent.parent.moduleSpecifier;
      return ts.isStringLiteral(module) ? join(`module:${moduleName(module.text)}`, (own.propertyName ?? own.name).text) : undefined;
    }
    if (ts.isImportClause(own) || ts.isNamespaceImport(own)) {
      const declaration = ts.isImportClause(own) ? own.parent : own.parent.parent;
      return ts.isStringLiteral(declaration.moduleSpecifier) ? `module:${moduleName(declaration.moduleSpecifier.text)}` : undefined;
    }
    if (ts.isImportEqualsDeclaration(own) && ts.isExternalModuleReference(own.moduleReference) && ts.isStringLiteral(own.moduleReference.expression)) {
      return `module:${moduleName(own.moduleReference.expression.text)}`;
    }
    if (ts.isVariableDeclaration(own) && own.initializer && ts.isIdentifier(own.name)) return this.of(own.initializer, depth + 1);
    if (ts.isBindingElement(own)) return this.ofBinding(own, depth);
    return undefined;
  }

  /** `const { random } = Math`, `const { promises: { readFile } } = require("fs")`. */
  private ofBinding(element: ts.BindingElement, depth: number): Origin | undefined {
    const keys: string[] = [];
    let node: ts.Node = element;
    while (ts.isBindingElement(node)) {
      if (!ts.isObjectBindingPattern(node.parent)) return undefined;
      const key = literalKey(node.propertyName ?? node.name);
      if (key === undefined || node.dotDotDotToken) return undefined;
      keys.unshift(key);
      node = node.parent.parent;
    }
    if (!ts.isVariableDeclaration(node) || !node.initializer) return undefined;
    const base = this.of(node.initializer, depth + 1);
    return base === undefined ? undefined : keys.reduce(join, base);
  }

  /** The declaration a name's value comes from: through imports, `const { x } = require("./m")` and `module.exports = { x }`. */
  declarationOf(node: ts.Node): ts.Declaration | undefined {
    let symbol = this.checker.getSymbolAtLocation(ts.isPropertyAccessExpression(node) ? node.name : node);
    if (!symbol) return undefined;
    if (symbol.flags & ts.SymbolFlags.Alias) symbol = this.aliased(symbol);
    let declaration = symbol?.valueDeclaration ?? symbol?.declarations?.[0];
    if (declaration && ts.isBindingElement(declaration)) declaration = this.requiredExport(declaration) ?? declaration;
    if (declaration && ts.isShorthandPropertyAssignment(declaration)) {
      const value = this.checker.getShorthandAssignmentValueSymbol(declaration);
      declaration = value?.valueDeclaration ?? value?.declarations?.[0];
    }
    return declaration;
  }

  private aliased(symbol: ts.Symbol): ts.Symbol | undefined {
    try {
      return this.checker.getAliasedSymbol(symbol);
    } catch {
      return undefined;
    }
  }

  /** `const { pick } = require("./util")`: the module's export `pick`. */
  private requiredExport(element: ts.BindingElement): ts.Declaration | undefined {
    const declaration = element.parent.parent;
    if (
      !ts.isObjectBindingPattern(element.parent) ||
      !ts.isVariableDeclaration(declaration) ||
      !declaration.initializer ||
      !isRequireCall(declaration.initializer)
    )
      return undefined;
    const module = this.checker.getSymbolAtLocation(declaration.initializer.arguments[0]);
    const key = literalKey(element.propertyName ?? element.name);
    if (!module || key === undefined) return undefined;
    let exported = this.checker.getExportsOfModule(module).find((symbol) => symbol.name === key);
    if (exported && exported.flags & ts.SymbolFlags.Alias) exported = this.aliased(exported);
    const target = exported?.valueDeclaration ?? exported?.declarations?.[0];
    if (target && ts.isShorthandPropertyAssignment(target)) {
      const value = this.checker.getShorthandAssignmentValueSymbol(target);
      return value?.valueDeclaration ?? value?.declarations?.[0];
    }
    return target;
  }

  /** The expression a declaration gives its name: a variable's initializer, `exports.x = <value>`, a property's value. */
  valueOfDeclaration(declaration: ts.Declaration): ts.Expression | undefined {
    if (ts.isVariableDeclaration(declaration) || ts.isPropertyAssignment(declaration) || ts.isPropertyDeclaration(declaration)) return declaration.initializer;
    if (
      (ts.isPropertyAccessExpression(declaration) || ts.isElementAccessExpression(declaration)) &&
      ts.isBinaryExpression(declaration.parent) &&
      declaration.parent.left === declaration
    ) {
      return declaration.parent.right;
    }
    if (ts.isBinaryExpression(declaration)) return declaration.right;
    if (ts.isExportAssignment(declaration)) return declaration.expression;
    return undefined;
  }

  /** The function an expression denotes (inline, a local or imported name, a property of an object, `df.orchestrator(fn)`). */
  functionOf(node: ts.Expression | undefined, depth = 0): ts.FunctionLikeDeclaration | undefined {
    if (!node || depth > MAX_DEPTH) return undefined;
    // A callee is asked about by the walk and by the task flow alike (and again on every path that reaches it).
    if (depth === 0) {
      const known = this.functions.get(node);
      if (known !== undefined) return known ?? undefined;
      const fn = this.functionOfUncached(node, 0);
      this.functions.set(node, fn ?? null);
      return fn;
    }
    return this.functionOfUncached(node, depth);
  }

  private functionOfUncached(node: ts.Expression, depth: number): ts.FunctionLikeDeclaration | undefined {
    node = skipOuter(node);
    if (isFunctionLike(node)) return node;
    if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === "orchestrator")
      return this.functionOf(node.arguments[0], depth + 1);
    if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node) && !ts.isElementAccessExpression(node)) return undefined;
    if (ts.isPropertyAccessExpression(node) && !this.mayBeWorkspaceMember(node.name.text)) return undefined;
    if (ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) && !this.mayBeWorkspaceMember(node.argumentExpression.text))
      return undefined;
    const declaration = this.declarationOf(ts.isElementAccessExpression(node) ? node.argumentExpression : node);
    if (!declaration || !this.inWorkspace(declaration.getSourceFile())) return undefined;
    if (isFunctionLike(declaration)) return declaration;
    const value = this.valueOfDeclaration(declaration);
    return value ? this.functionOf(value, depth + 1) : undefined;
  }

  /** The object literal a name holds (`const options = { handler }`), for handlers and records of handlers. */
  objectOf(node: ts.Expression | undefined, depth = 0): ts.ObjectLiteralExpression | undefined {
    if (!node || depth > MAX_DEPTH) return undefined;
    node = skipOuter(node);
    if (ts.isObjectLiteralExpression(node)) return node;
    if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node)) return undefined;
    const declaration = this.declarationOf(node);
    const value = declaration && this.inWorkspace(declaration.getSourceFile()) ? this.valueOfDeclaration(declaration) : undefined;
    return value ? this.objectOf(value, depth + 1) : undefined;
  }

  /**
   * The names a workspace module value exports (`require("./orchestrations")`, `import * as orchestrations`), each
   * standing for its value (`Object.values(orchestrations)`); undefined if one is not a workspace declaration's.
   */
  exportedNames(node: ts.Expression): ts.Identifier[] | undefined {
    const properties = this.checker.getTypeAtLocation(node).getProperties();
    const names = properties.flatMap((property) => {
      // JavaScript's `module.exports = { a }` exports are aliases, with declarations but no value declaration.
      const declaration = property.valueDeclaration ?? property.declarations?.[0];
      const name = declaration && (declaration as ts.NamedDeclaration).name;
      return declaration && name && ts.isIdentifier(name) && this.inWorkspace(declaration.getSourceFile()) ? [name] : [];
    });
    return names.length && names.length === properties.length ? names : undefined;
  }

  /** The array literal a name holds (`const names = ["a", "b"] as const`). */
  arrayOf(node: ts.Expression | undefined, depth = 0): ts.ArrayLiteralExpression | undefined {
    if (!node || depth > MAX_DEPTH) return undefined;
    node = skipOuter(node);
    if (ts.isArrayLiteralExpression(node)) return node;
    if (!ts.isIdentifier(node) && !ts.isPropertyAccessExpression(node)) return undefined;
    const declaration = this.declarationOf(node);
    const value = declaration && this.inWorkspace(declaration.getSourceFile()) ? this.valueOfDeclaration(declaration) : undefined;
    return value ? this.arrayOf(value, depth + 1) : undefined;
  }

  /**
   * The strings a name may hold: a literal, a constant, an enum member, a property of a constant record, a loop
   * variable over a constant list (or over a record's keys), a literal-union type. Undefined when it cannot be known.
   */
  strings(node: ts.Expression | undefined, depth = 0): string[] | undefined {
    if (!node || depth > MAX_DEPTH) return undefined;
    node = skipOuter(node);
    if (ts.isStringLiteralLike(node)) return [node.text];
    if (ts.isTemplateExpression(node)) {
      let values = [node.head.text];
      for (const span of node.templateSpans) {
        const parts = this.strings(span.expression, depth + 1);
        if (!parts) return undefined;
        values = values.flatMap((value) => parts.map((part) => value + part + span.literal.text));
      }
      return values;
    }
    if (ts.isBinaryExpression(node) && node.operatorToken.kind === ts.SyntaxKind.PlusToken) {
      const left = this.strings(node.left, depth + 1);
      const right = left && this.strings(node.right, depth + 1);
      return left && right ? left.flatMap((l) => right.map((r) => l + r)) : undefined;
    }
    if (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const constant = this.checker.getConstantValue(node);
      if (typeof constant === "string") return [constant];
    }
    if (ts.isCallExpression(node)) return this.callStrings(node, depth);
    if (ts.isIdentifier(node) || ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) {
      const declaration = this.declarationOf(
        ts.isElementAccessExpression(node) && ts.isStringLiteralLike(node.argumentExpression) ? node.argumentExpression : node,
      );
      if (declaration && ts.isEnumMember(declaration)) {
        const constant = this.checker.getConstantValue(declaration);
        if (typeof constant === "string") return [constant];
      }
      const bound = declaration && this.parameterStrings.get(declaration);
      if (bound) return bound;
      if (declaration && this.inWorkspace(declaration.getSourceFile())) {
        const value = this.valueOfDeclaration(declaration);
        if (value) return this.strings(value, depth + 1);
        const looped = ts.isIdentifier(node) ? this.loopStrings(declaration, depth) : undefined;
        if (looped) return looped;
      }
    }
    return this.literalTypeStrings(node);
  }

  /** `bureauActivity("experian")` where `bureauActivity = (b) => \`lookup_${b}\``: a name-making helper of one expression. */
  private callStrings(call: ts.CallExpression, depth: number): string[] | undefined {
    const fn = this.functionOf(call.expression);
    if (!fn?.body) return this.literalTypeStrings(call);
    this.readBody(fn);
    const body = ts.isBlock(fn.body)
      ? fn.body.statements.length === 1 && ts.isReturnStatement(fn.body.statements[0])
        ? fn.body.statements[0].expression
        : undefined
      : fn.body;
    if (!body || fn.parameters.some((p) => this.parameterStrings.has(p))) return this.literalTypeStrings(call);
    const bound: ts.ParameterDeclaration[] = [];
    try {
      for (const [index, parameter] of fn.parameters.entries()) {
        const values = this.strings(call.arguments[index], depth + 1);
        if (!values) continue;
        this.parameterStrings.set(parameter, values);
        bound.push(parameter);
      }
      return this.strings(body as ts.Expression, depth + 1);
    } finally {
      for (const parameter of bound) this.parameterStrings.delete(parameter);
    }
  }

  private literalTypeStrings(node: ts.Expression): string[] | undefined {
    const type = this.checker.getTypeAtLocation(node);
    const parts = type.isUnion() ? type.types : [type];
    return parts.every((part) => part.isStringLiteral()) && parts.length ? parts.map((part) => (part as ts.StringLiteralType).value) : undefined;
  }

  /** `for (const name of NAMES)`, `NAMES.forEach((name) => ...)`, `for (const key in record)`, `Object.keys(record)`. */
  private loopStrings(declaration: ts.Declaration, depth: number): string[] | undefined {
    let iterable: ts.Expression | undefined;
    let keysOf = false;
    if (ts.isVariableDeclaration(declaration) && ts.isVariableDeclarationList(declaration.parent)) {
      const loop = declaration.parent.parent;
      if (ts.isForOfStatement(loop)) iterable = loop.expression;
      if (ts.isForInStatement(loop)) [iterable, keysOf] = [loop.expression, true];
    }
    if (ts.isBindingElement(declaration) && ts.isArrayBindingPattern(declaration.parent) && declaration.parent.elements.indexOf(declaration) === 0) {
      // for (const [name, handler] of Object.entries(record)) / Object.entries(record).forEach(([name, handler]) => ...)
      const holder = declaration.parent.parent;
      const source =
        ts.isVariableDeclaration(holder) && ts.isForOfStatement(holder.parent.parent)
          ? holder.parent.parent.expression
          : ts.isParameter(holder)
            ? this.callbackReceiver(holder)
            : undefined;
      if (source && ts.isCallExpression(source) && /^Object\.entries$/.test(source.expression.getText())) [iterable, keysOf] = [source.arguments[0], true];
    }
    if (ts.isParameter(declaration) && declaration.parent.parameters[0] === declaration) iterable = this.callbackReceiver(declaration);
    if (!iterable) return undefined;
    iterable = skipOuter(iterable);
    if (ts.isCallExpression(iterable) && /^Object\.(keys|values)$/.test(iterable.expression.getText())) {
      keysOf = iterable.expression.getText().endsWith("keys");
      if (!keysOf) return this.objectValues(iterable.arguments[0], depth);
      iterable = iterable.arguments[0];
    }
    if (keysOf) {
      const object = this.objectOf(iterable, depth + 1);
      return object?.properties.map((p) => (p.name ? literalKey(p.name) : undefined)).every((k) => k !== undefined)
        ? object.properties.map((p) => literalKey(p.name) as string)
        : undefined;
    }
    const array = this.arrayOf(iterable, depth + 1);
    if (!array) return undefined;
    const values = array.elements.map((element) => this.strings(element, depth + 1));
    return values.every((v) => v !== undefined) ? (values.flat() as string[]) : undefined;
  }

  private objectValues(node: ts.Expression | undefined, depth: number): string[] | undefined {
    const object = this.objectOf(node, depth + 1);
    if (!object) return undefined;
    const values = object.properties.map((p) => (ts.isPropertyAssignment(p) ? this.strings(p.initializer, depth + 1) : undefined));
    return values.every((v) => v !== undefined) ? (values.flat() as string[]) : undefined;
  }

  /** For the first parameter of `receiver.forEach((x) => ...)` / `.map(...)`: the receiver. */
  callbackReceiver(parameter: ts.ParameterDeclaration): ts.Expression | undefined {
    const callback = parameter.parent;
    const call = callback.parent;
    if (!ts.isCallExpression(call) || !call.arguments.includes(callback as ts.Expression) || !ts.isPropertyAccessExpression(call.expression)) return undefined;
    return /^(forEach|map|flatMap|filter|reduce|some|every)$/.test(call.expression.name.text) ? call.expression.expression : undefined;
  }
}

const namesByFile = new WeakMap<ts.SourceFile, Set<string> | "any">();
/** A variable or property whose value functionOf may follow to a function (`total: a + b` cannot be one). */
function mayHoldFunction(declaration: ts.Node): boolean {
  if (!ts.isVariableDeclaration(declaration) && !ts.isPropertyAssignment(declaration) && !ts.isPropertyDeclaration(declaration)) return true;
  const value = declaration.initializer && skipOuter(declaration.initializer);
  return (
    !!value &&
    (isFunctionLike(value) ||
      ts.isIdentifier(value) ||
      ts.isPropertyAccessExpression(value) ||
      ts.isElementAccessExpression(value) ||
      ts.isCallExpression(value) ||
      ts.isClassExpression(value))
  );
}

/** Declarations whose name may denote a function or a class (see declaredNames). */
const HOLDER_KINDS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.ClassDeclaration,
  ts.SyntaxKind.ClassExpression,
  ts.SyntaxKind.VariableDeclaration,
  ts.SyntaxKind.BindingElement,
  ts.SyntaxKind.PropertyAssignment,
  ts.SyntaxKind.ShorthandPropertyAssignment,
  ts.SyntaxKind.PropertyDeclaration,
  ts.SyntaxKind.ExportSpecifier,
  ts.SyntaxKind.NamespaceExport,
  ts.SyntaxKind.ImportEqualsDeclaration,
  ts.SyntaxKind.ModuleDeclaration,
  ts.SyntaxKind.EnumDeclaration,
]);
/**
 * The names of functions by their text: an edited file's other functions are not read again (the language server
 * builds a new version of a file on each edit). Cleared when it grows past a bound (texts of functions since edited).
 */
const namesByFunctionText = new Map<string, { names: string[]; any: boolean }>();
const MAX_FUNCTION_TEXTS = 20_000;

/**
 * Every name by which `x.name` may denote a function (or a class) declared in a file: the names of the declarations
 * that can hold one (functions, methods, classes, exports, namespaces, variables and properties whose value is a
 * function or a name, access or call functionOf may follow) — not interface members, parameters, imports, other values
 * or property accesses (`results.push` declares nothing in TypeScript) — and,
 * in JavaScript (where `exports.x = ...` and `this.x = ...` declare), every identifier. "any": a computed property
 * name that is not a literal (`[KEY]: handler`), which could be any name.
 */
export function declaredNames(file: ts.SourceFile): Set<string> | "any" {
  let names = namesByFile.get(file);
  if (names) return names;
  const script = /\.(c|m)?jsx?$/i.test(file.fileName);
  const found = new Set<string>();
  let any = false;
  const collect = (node: ts.Node, into: Set<string>): boolean => {
    let anyName = false;
    const visit = (child: ts.Node): void => {
      if (ts.isIdentifier(child) || ts.isPrivateIdentifier(child) || ts.isStringLiteralLike(child) || ts.isNumericLiteral(child)) {
        const parent = child.parent;
        if (
          script ||
          ts.isComputedPropertyName(parent) ||
          (HOLDER_KINDS.has(parent.kind) &&
            ((parent as ts.NamedDeclaration).name === child || (parent as ts.ExportSpecifier).propertyName === child) &&
            mayHoldFunction(parent))
        )
          into.add(child.text);
      } else if (ts.isComputedPropertyName(child)) {
        const expression = skipOuter(child.expression);
        const wellKnownSymbol = ts.isPropertyAccessExpression(expression) && ts.isIdentifier(expression.expression) && expression.expression.text === "Symbol";
        if (!ts.isStringLiteralLike(expression) && !ts.isNumericLiteral(expression) && !wellKnownSymbol) anyName = true;
      } else if (child !== node && (isFunctionLike(child) || ts.isConstructorDeclaration(child)) && (child as ts.FunctionLikeDeclaration).body) {
        // A function: its names come from its text alone.
        const key = `${script ? "js" : "ts"}\u0000${file.text.slice(child.pos, child.end)}`;
        let known = namesByFunctionText.get(key);
        if (!known) {
          const inner = new Set<string>();
          known = { any: collect(child, inner), names: [...inner] };
          if (namesByFunctionText.size >= MAX_FUNCTION_TEXTS) namesByFunctionText.clear();
          namesByFunctionText.set(key, known);
        }
        for (const name of known.names) into.add(name);
        if (known.any) anyName = true;
        return;
      }
      ts.forEachChild(child, visit);
    };
    // The node's own name and the rest of it (a function's children; a file's statements).
    ts.forEachChild(node, visit);
    return anyName;
  };
  any = collect(file, found);
  found.add("default");
  names = any ? "any" : found;
  namesByFile.set(file, names);
  return names;
}
