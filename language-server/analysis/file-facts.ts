/**
 * What the incremental analysis knows of one version of a workspace file: its outermost functions (where a function is
 * found again in the file's next version), its "signature" (what other code and the checker can see of it), and the
 * workspace files it imports. And of a program: the "closure" of a file, the signatures of everything the checker can
 * see from it (its imports, transitively, and the files that declare globals).
 *
 * A signature is the file's statements (not the blank lines and comments between them: JSDoc kept in JavaScript, where
 * it types) without the bodies of outermost functions whose type does not depend on their body
 * (an explicit return type, a typed variable or property they initialise, a type assertion, or the only function passed
 * to a call whose result is unused, like df.app.orchestration("x", function* ...)), but with the lines of those bodies
 * that call require() (the checker resolves them wherever they are). So typing inside such a body changes no
 * signature; an edit anywhere else (a declaration, an import, an unannotated function whose return type is inferred)
 * does. What the analysis reads of a body from elsewhere it reports itself (reads.ts).
 */
import * as crypto from "node:crypto";
import * as path from "node:path";
import ts = require("typescript");

const FUNCTION_KINDS = new Set<ts.SyntaxKind>([
  ts.SyntaxKind.FunctionDeclaration,
  ts.SyntaxKind.FunctionExpression,
  ts.SyntaxKind.ArrowFunction,
  ts.SyntaxKind.MethodDeclaration,
  ts.SyntaxKind.Constructor,
  ts.SyntaxKind.GetAccessor,
  ts.SyntaxKind.SetAccessor,
]);

export const hash = (text: string): string => crypto.createHash("sha1").update(text).digest("base64");

/** A workspace file (not a library): its facts are tracked, its changes invalidate. Libraries are taken as fixed. */
export function isTrackedFile(fileName: string): boolean {
  return !fileName.includes("/node_modules/") && !fileName.includes("\\node_modules\\") && !/[\\/]typescript[\\/]lib[\\/]lib\.[^\\/]*\.d\.ts$/.test(fileName);
}

/**
 * Where a function is: its file, the outermost function it is in (by order in the file: the same declaration while the
 * file's signature is the same), and its offset from that function's start (0: it is the outermost one).
 */
export interface Place {
  fileName: string;
  ordinal: number;
  offset: number;
  kind: ts.SyntaxKind;
  /** The text of the outermost function, hashed: equal texts, equal functions inside. */
  outerHash: string;
}

export class FileFacts {
  /** Outermost function-likes (not inside another one), in document order. */
  readonly outer: ts.Node[] = [];
  private readonly ordinal = new Map<ts.Node, number>();
  private readonly outerHashes: (string | undefined)[] = [];
  private readonly places = new Map<ts.Node, Place | null>();
  readonly signature: string;
  /** Declares globals (a script, declare global, an ambient module): every file can see it. */
  readonly global: boolean;
  /** Workspace files it imports, resolved in a program of the same file set (`importsEpoch`). */
  imports?: string[];
  importsEpoch?: number;

  constructor(readonly file: ts.SourceFile) {
    const blanks: [number, number][] = [];
    const script = /\.(c|m)?jsx?$/i.test(file.fileName);
    const visit = (node: ts.Node): void => {
      if (FUNCTION_KINDS.has(node.kind)) {
        this.ordinal.set(node, this.outer.length);
        this.outer.push(node);
        const body = (node as ts.FunctionLikeDeclaration).body;
        if (!script && body && bodyIsPrivate(node as ts.FunctionLikeDeclaration)) blanks.push([body.pos, body.end]);
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
    // The statements' texts without what lies between them (blank lines, comments: a line added between two functions
    // changes nothing anyone sees), and without the private bodies.
    let text = "";
    const kept: string[] = [];
    let blank = 0;
    for (const statement of file.statements) {
      let at = statement.getStart(file, script);
      while (blank < blanks.length && blanks[blank][1] <= statement.end) {
        const [start, end] = blanks[blank++];
        text += file.text.slice(at, start) + "{}";
        const body = file.text.slice(start, end);
        if (body.includes("require")) for (const match of body.matchAll(/^.*\brequire\b.*$/gm)) kept.push(match[0]);
        at = end;
      }
      text += file.text.slice(at, statement.end) + "\n";
    }
    const indicators = file as ts.SourceFile & { externalModuleIndicator?: unknown; commonJsModuleIndicator?: unknown };
    const isModule = !!indicators.externalModuleIndicator || !!indicators.commonJsModuleIndicator;
    const augments = file.statements.some(
      (statement) => ts.isModuleDeclaration(statement) && (ts.isStringLiteral(statement.name) || statement.name.text === "global"),
    );
    this.signature = hash(`${text}\u0000${kept.join("\n")}\u0000${script ? "js" : "ts"}`);
    this.global = !isModule || augments;
  }

  outerHash(ordinal: number): string {
    const outer = this.outer[ordinal];
    return (this.outerHashes[ordinal] ??= hash(this.file.text.slice(outer.getStart(this.file), outer.end)));
  }

  /** The place of a function of this file version (undefined: not a function, or not in one). */
  placeOf(node: ts.Node): Place | undefined {
    let place = this.places.get(node);
    if (place !== undefined) return place ?? undefined;
    place = null;
    let outer: ts.Node | undefined;
    for (let current: ts.Node | undefined = node; current; current = current.parent) if (this.ordinal.has(current)) outer = current;
    if (outer && FUNCTION_KINDS.has(node.kind)) {
      const ordinal = this.ordinal.get(outer) as number;
      place = {
        fileName: this.file.fileName,
        ordinal,
        offset: node.getStart(this.file) - outer.getStart(this.file),
        kind: node.kind,
        outerHash: this.outerHash(ordinal),
      };
    }
    this.places.set(node, place);
    return place ?? undefined;
  }

  /**
   * The function at a place recorded in an earlier version of this file, whose signature was the same. An outermost
   * function is found whatever its text now; one inside it only while the outermost's text is the same.
   */
  find(place: Place): ts.Node | undefined {
    const outer = this.outer[place.ordinal];
    if (!outer) return undefined;
    if (place.offset === 0) return outer.kind === place.kind ? outer : undefined;
    if (this.outerHash(place.ordinal) !== place.outerHash) return undefined;
    const position = outer.getStart(this.file) + place.offset;
    let found: ts.Node | undefined;
    const visit = (node: ts.Node): void => {
      if (found || node.end < position || node.pos > position) return;
      if (node.kind === place.kind && node.getStart(this.file) === position) found = node;
      else ts.forEachChild(node, visit);
    };
    visit(outer);
    return found;
  }
}

/** Facts per file version, imports and closures per program: the incremental analysis's view of the files. */
export class ProgramFacts {
  private program!: ts.Program;
  private readonly facts = new WeakMap<ts.SourceFile, FileFacts>();
  /** Bumped when the set of files changes: imports may resolve elsewhere now. */
  private importsEpoch = 0;
  private previous = new Map<string, ts.SourceFile>();
  private previousShape = new Map<string, string>();
  private closures = new Map<string, string>();
  private globals: string[] = [];
  /** Per program: the files of each file's closure as they are now (versions, not signatures). */
  private versionClosures = new Map<string, string>();
  private readonly versionIds = new WeakMap<ts.SourceFile, number>();
  private nextVersionId = 0;

  /** Takes a new program: closures are computed again if any file's signature, imports or globality changed. */
  update(program: ts.Program, filesChanged: boolean): void {
    this.program = program;
    this.versionClosures = new Map();
    if (filesChanged) this.importsEpoch++;
    const current = new Map<string, ts.SourceFile>();
    for (const file of program.getSourceFiles()) if (isTrackedFile(file.fileName)) current.set(file.fileName, file);
    let changed = current.size !== this.previous.size;
    const shape = new Map<string, string>();
    for (const [fileName, file] of current) {
      const facts = this.of(file);
      const fileShape = `${facts.signature}|${facts.global ? "g" : ""}|${this.importsOf(facts).join("\u0000")}`;
      shape.set(fileName, fileShape);
      if (!changed && (!this.previous.has(fileName) || (this.previous.get(fileName) !== file && this.previousShape.get(fileName) !== fileShape)))
        changed = true;
    }
    if (changed) {
      this.closures = new Map();
      this.globals = [...current]
        .filter(([, file]) => this.of(file).global)
        .map(([fileName]) => fileName)
        .sort();
    }
    this.previous = current;
    this.previousShape = shape;
  }

  of(file: ts.SourceFile): FileFacts {
    let facts = this.facts.get(file);
    if (!facts) {
      facts = new FileFacts(file);
      this.facts.set(file, facts);
    }
    return facts;
  }

  /** The facts of a workspace file of the current program. */
  ofName(fileName: string): FileFacts | undefined {
    const file = this.program.getSourceFile(fileName);
    return file && isTrackedFile(file.fileName) ? this.of(file) : undefined;
  }

  placeOf(node: ts.Node): Place | undefined {
    const file = node.getSourceFile();
    return file && isTrackedFile(file.fileName) ? this.of(file).placeOf(node) : undefined;
  }

  /** The workspace files the checker can see from a file: it, its imports transitively, and the files declaring globals. */
  private filesSeenFrom(fileName: string): Set<string> {
    const seen = new Set<string>();
    const queue = [fileName, ...this.globals];
    while (queue.length) {
      const next = queue.pop() as string;
      if (seen.has(next)) continue;
      seen.add(next);
      const facts = this.ofName(next);
      if (facts) for (const imported of this.importsOf(facts)) if (!seen.has(imported)) queue.push(imported);
    }
    return seen;
  }

  /** The signature of everything the checker can see from a file: its own and its imports', transitively, and the globals. */
  closureOf(fileName: string): string {
    let closure = this.closures.get(fileName);
    if (closure !== undefined) return closure;
    const seen = this.filesSeenFrom(fileName);
    closure = hash(
      [...seen]
        .sort()
        .map((name) => `${name}:${this.ofName(name)?.signature ?? "-"}`)
        .join("\n"),
    );
    this.closures.set(fileName, closure);
    return closure;
  }

  /**
   * The very versions of the files a file's closure is made of: while it is the same, nothing the checker (or the
   * analysis, through what the file imports) can see from that file has changed, function bodies included.
   */
  versionClosureOf(fileName: string): string {
    let versions = this.versionClosures.get(fileName);
    if (versions !== undefined) return versions;
    const seen = this.filesSeenFrom(fileName);
    versions = [...seen]
      .sort()
      .map((name) => {
        const file = this.program.getSourceFile(name);
        if (!file) return "-";
        let id = this.versionIds.get(file);
        if (id === undefined) this.versionIds.set(file, (id = this.nextVersionId++));
        return id;
      })
      .join(",");
    this.versionClosures.set(fileName, versions);
    return versions;
  }

  private importsOf(facts: FileFacts): string[] {
    if (facts.imports && facts.importsEpoch === this.importsEpoch) return facts.imports;
    const file = facts.file;
    // The program's own resolution (internal in TypeScript's typings), else a resolution of our own.
    const program = this.program as ts.Program & {
      getResolvedModule?: (file: ts.SourceFile, name: string, mode: ts.ResolutionMode) => ts.ResolvedModuleWithFailedLookupLocations | undefined;
    };
    const imports = new Set<string>();
    for (const literal of (file as ts.SourceFile & { imports?: readonly ts.StringLiteralLike[] }).imports ?? []) {
      const resolved = program.getResolvedModule
        ? program.getResolvedModule(file, literal.text, program.getModeForUsageLocation(file, literal))?.resolvedModule?.resolvedFileName
        : ts.resolveModuleName(literal.text, file.fileName, program.getCompilerOptions(), ts.sys).resolvedModule?.resolvedFileName;
      const target = resolved ? program.getSourceFile(resolved) : undefined;
      if (target && isTrackedFile(target.fileName)) imports.add(target.fileName);
    }
    for (const reference of file.referencedFiles) {
      const target = program.getSourceFile(path.resolve(path.dirname(file.fileName), reference.fileName));
      if (target && isTrackedFile(target.fileName)) imports.add(target.fileName);
    }
    facts.imports = [...imports].sort();
    facts.importsEpoch = this.importsEpoch;
    return facts.imports;
  }
}

/** Whether no code outside a function can see into its body: its type does not come from it, or nothing uses its type. */
function bodyIsPrivate(fn: ts.FunctionLikeDeclaration): boolean {
  if (fn.type) return true;
  if (ts.isConstructorDeclaration(fn) || ts.isSetAccessorDeclaration(fn)) return true;
  if (!ts.isFunctionExpression(fn) && !ts.isArrowFunction(fn)) return false;
  let node: ts.Node = fn;
  while (ts.isParenthesizedExpression(node.parent)) node = node.parent;
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent) || ts.isParameter(parent)) && parent.type && parent.initializer === node)
    return true;
  if (ts.isAsExpression(parent) || ts.isTypeAssertionExpression(parent)) return true;
  // The only function passed (directly or in object and array literals) to a call whose result is unused.
  let call: ts.Node = parent;
  while (ts.isPropertyAssignment(call) || ts.isObjectLiteralExpression(call) || ts.isArrayLiteralExpression(call) || ts.isParenthesizedExpression(call))
    call = call.parent;
  if (!(ts.isCallExpression(call) || ts.isNewExpression(call)) || !ts.isExpressionStatement(call.parent)) return false;
  if (!call.arguments?.some((argument) => argument === node || contains(argument, node))) return false;
  let functions = 0;
  const count = (n: ts.Node): void => {
    if (FUNCTION_KINDS.has(n.kind)) functions++;
    else ts.forEachChild(n, count);
  };
  for (const argument of call.arguments ?? []) count(argument);
  return functions === 1;
}

function contains(outer: ts.Node, inner: ts.Node): boolean {
  for (let node: ts.Node | undefined = inner; node; node = node.parent) if (node === outer) return true;
  return false;
}
