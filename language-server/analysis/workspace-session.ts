/**
 * One project kept warm for the language server: a TypeScript language service over the project's files (versions,
 * snapshots and a document registry, so an edit re-parses the edited file — incrementally — and reuses every other
 * file and the program's structure), the incremental cache that replays what the edit cannot have changed, and the
 * findings of the last analysis. The folder tree and the tsconfig are read when the session starts, when a document
 * opens or closes or a watched file changes, and by changedOnDisk() (the server calls it when edits pause), which also
 * looks at closed files' modification times: nothing of that is in the way of an edit.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import ts = require("typescript");
import { Analyzer, type AnalyzerSettings, type Finding } from "./analyzer";
import { isTrackedFile } from "./file-facts";
import { IncrementalCache, type CacheStatistics } from "./incremental";
import { JSDOC_PARSING, projectConfig, type ProjectConfig } from "./project";

/** Shared by every session: library files (lib.*.d.ts, node_modules) are parsed once for all projects with the same options. */
const registry = ts.createDocumentRegistry(ts.sys.useCaseSensitiveFileNames, undefined, JSDOC_PARSING);

class Snapshot implements ts.IScriptSnapshot {
  constructor(readonly text: string) {}
  getText(start: number, end: number): string {
    return this.text.substring(start, end);
  }
  getLength(): number {
    return this.text.length;
  }
  /** The one changed span between an older text and this one (common prefix and suffix), for incremental parsing. */
  getChangeRange(old: ts.IScriptSnapshot): ts.TextChangeRange | undefined {
    if (!(old instanceof Snapshot)) return undefined;
    const a = old.text;
    const b = this.text;
    const max = Math.min(a.length, b.length);
    let start = 0;
    for (let step = 4096; step >= 1; step = step >> 2)
      while (start + step <= max && a.substring(start, start + step) === b.substring(start, start + step)) start += step;
    let end = 0;
    const room = max - start;
    for (let step = 4096; step >= 1; step = step >> 2)
      while (end + step <= room && a.substring(a.length - end - step, a.length - end) === b.substring(b.length - end - step, b.length - end)) end += step;
    return ts.createTextChangeRange(ts.createTextSpan(start, a.length - end - start), b.length - end - start);
  }
}

export interface OpenDocument {
  text: string;
  version: number;
}

export interface AnalysisResult {
  program: ts.Program;
  findings: Finding[];
  /** The same program and settings as last time: nothing to do. */
  unchanged: boolean;
  stats: CacheStatistics;
  /** Milliseconds: bringing the program up to date, then analysing it. */
  timings: { program: number; analysis: number };
}

const key = (fileName: string) => path.resolve(fileName);

export class WorkspaceSession {
  readonly root: string;
  private config!: ProjectConfig;
  private rootNames: string[] = [];
  private rootSet = new Set<string>();
  private scanDue = true;
  private readonly documents = new Map<string, OpenDocument>();
  /** Disk files: version (modification time and size) and snapshot, read again when the version changes. */
  private readonly disk = new Map<string, { version: string; snapshot?: Snapshot; checked: number }>();
  private readonly snapshots = new Map<string, { version: string; snapshot: Snapshot }>();
  private analysisRound = 0;
  private checkDisk = true;
  private diskDue = false;
  private readonly service: ts.LanguageService;
  private readonly cache = new IncrementalCache();
  private last?: { program: ts.Program; settings: string; findings: Finding[] };
  private projectVersion = 0;
  private resolutionCache!: ts.ModuleResolutionCache;

  constructor(root: string) {
    this.root = path.resolve(root);
    this.rescan();
    // getModuleResolutionCache is read by the language service though its public type does not list it.
    const host: ts.LanguageServiceHost & { getModuleResolutionCache(): ts.ModuleResolutionCache } = {
      getCompilationSettings: () => this.config.options,
      getProjectVersion: () => String(this.projectVersion),
      getScriptFileNames: () => this.rootNames,
      getScriptVersion: (fileName) => this.versionOf(fileName),
      getScriptSnapshot: (fileName) => this.snapshotOf(fileName),
      getCurrentDirectory: () => this.root,
      getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
      useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
      jsDocParsingMode: JSDOC_PARSING,
      fileExists: (fileName) => this.documents.has(key(fileName)) || ts.sys.fileExists(fileName),
      readFile: (fileName, encoding) => this.documents.get(key(fileName))?.text ?? ts.sys.readFile(fileName, encoding),
      readDirectory: ts.sys.readDirectory,
      directoryExists: ts.sys.directoryExists,
      getDirectories: ts.sys.getDirectories,
      realpath: ts.sys.realpath,
      // Module resolution with a cache kept from one program to the next (package.json lookups included); it starts
      // again when files appear or go.
      getModuleResolutionCache: () => this.resolutionCache,
      resolveModuleNameLiterals: (literals, containingFile, redirectedReference, options, containingSourceFile) =>
        literals.map((literal) =>
          ts.resolveModuleName(
            literal.text,
            containingFile,
            options,
            host,
            this.resolutionCache,
            redirectedReference,
            ts.getModeForUsageLocation(containingSourceFile, literal, options),
          ),
        ),
    };
    this.service = ts.createLanguageService(host, registry);
  }

  /** The folder tree or the tsconfig changed (or may have): read them again before the next analysis. */
  invalidateFiles(): void {
    this.scanDue = true;
  }

  /** The text of the open documents of this project, by path (what is not here is read from disk). */
  setDocuments(documents: Map<string, OpenDocument>): void {
    for (const file of this.documents.keys()) {
      if (documents.has(file)) continue;
      // Closed: its file on disk counts again, and may have been saved since it was last looked at.
      this.documents.delete(file);
      this.diskDue = true;
    }
    for (const [file, document] of documents) {
      const known = this.documents.get(file);
      if (!known || known.version !== document.version || known.text !== document.text) this.documents.set(file, document);
      if (!this.rootSet.has(file) && file.startsWith(this.root)) this.scanDue = true;
    }
  }

  analyze(settings: AnalyzerSettings): AnalysisResult {
    const started = performance.now();
    this.analysisRound++;
    // Closed files are looked at on disk when the files may have changed (or by changedOnDisk(), between edits).
    this.checkDisk = this.scanDue || this.diskDue;
    this.diskDue = false;
    if (this.scanDue) this.rescan();
    this.projectVersion++;
    const program = this.service.getProgram() as ts.Program;
    const programMs = performance.now() - started;
    const settingsKey = JSON.stringify(settings.rules ?? {});
    if (this.last && this.last.program === program && this.last.settings === settingsKey) {
      return { program, findings: this.last.findings, unchanged: true, stats: this.cache.stats, timings: { program: programMs, analysis: 0 } };
    }
    const analyzer = new Analyzer(program, settings, this.cache);
    let findings: Finding[];
    try {
      findings = analyzer.analyze();
    } finally {
      this.cache.finish();
    }
    this.last = { program, settings: settingsKey, findings };
    return { program, findings, unchanged: false, stats: this.cache.stats, timings: { program: programMs, analysis: performance.now() - started - programMs } };
  }

  /**
   * Runs the incremental path four times on copies of the largest open document with a space typed in its largest function,
   * and forgets them: the first edits after a project opens otherwise pay for V8 compiling that path (about twice an
   * edit's time). For the pause after opening; the next real analysis brings the program back to the real texts.
   */
  warmUp(settings: AnalyzerSettings): void {
    const [file, document] = [...this.documents].filter(([name]) => name.startsWith(this.root)).sort((a, b) => b[1].text.length - a[1].text.length)[0] ?? [];
    const source = file ? this.last?.program.getSourceFile(file) : undefined;
    if (!file || !document || !source) return;
    let largest: ts.Block | undefined;
    const visit = (node: ts.Node): void => {
      const body = (node as ts.FunctionLikeDeclaration).body;
      if (ts.isFunctionLike(node) && body && ts.isBlock(body)) {
        if (!largest || body.end - body.pos > largest.end - largest.pos) largest = body;
        return;
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    if (!largest) return;
    const at = largest.getStart(source) + 1;
    try {
      for (const [round, typed] of [" ", "  ", " ", "  "].entries()) {
        this.documents.set(file, { text: document.text.slice(0, at) + typed + document.text.slice(at), version: -1 - round });
        this.analyze(settings);
      }
    } finally {
      this.documents.set(file, document);
    }
  }

  /**
   * Reads the folder tree again and the modification times of the closed files the program read: whether anything
   * changed since the last analysis (then the next one sees it). For when edits pause, so new or changed files on disk
   * are picked up without an edit.
   */
  changedOnDisk(): boolean {
    if (this.rescan()) return true;
    let changed = false;
    for (const [file, known] of this.disk) {
      if (this.documents.has(file)) continue;
      let version = "missing";
      try {
        const stat = fs.statSync(file);
        version = `${stat.mtimeMs}:${stat.size}`;
      } catch {
        // Gone.
      }
      if (version !== known.version) changed = true;
    }
    if (changed) this.diskDue = true;
    return changed;
  }

  dispose(): void {
    this.service.dispose();
  }

  private rescan(): boolean {
    this.config = projectConfig(this.root);
    const names = new Set(this.config.fileNames.map(key));
    for (const file of this.documents.keys()) if (file.startsWith(this.root)) names.add(file);
    const changed = names.size !== this.rootSet.size || [...names].some((name) => !this.rootSet.has(name));
    if (changed || !this.resolutionCache) {
      this.rootSet = names;
      this.rootNames = [...names];
      this.cache.fileSetChanged();
      this.resolutionCache = ts.createModuleResolutionCache(
        this.root,
        (name) => (ts.sys.useCaseSensitiveFileNames ? name : name.toLowerCase()),
        this.config.options,
      );
    }
    this.scanDue = false;
    return changed;
  }

  private versionOf(fileName: string): string {
    const file = key(fileName);
    const document = this.documents.get(file);
    if (document) return `open:${document.version}`;
    // Libraries are taken as fixed for the session (a package.json change starts a new one).
    if (!isTrackedFile(fileName)) return "lib";
    let known = this.disk.get(file);
    if (!known || (known.checked !== this.analysisRound && this.checkDisk)) {
      let version = "missing";
      try {
        const stat = fs.statSync(file);
        version = `${stat.mtimeMs}:${stat.size}`;
      } catch {
        // Not there (any more).
      }
      if (!known || known.version !== version) known = { version, checked: this.analysisRound };
      else known.checked = this.analysisRound;
      this.disk.set(file, known);
    }
    return known.version;
  }

  private snapshotOf(fileName: string): ts.IScriptSnapshot | undefined {
    const file = key(fileName);
    const document = this.documents.get(file);
    const version = this.versionOf(fileName);
    const known = this.snapshots.get(file);
    if (known && known.version === version) return known.snapshot;
    const text = document ? document.text : ts.sys.readFile(fileName);
    if (text === undefined) {
      this.snapshots.delete(file);
      return undefined;
    }
    const snapshot = new Snapshot(text);
    this.snapshots.set(file, { version, snapshot });
    return snapshot;
  }
}
