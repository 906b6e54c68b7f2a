/**
 * The language server (LSP over stdio, on vscode-languageserver): re-analyses the project of each open document as
 * it changes — incrementally, on a warm language service (analysis/workspace-session.ts) — publishes the findings as
 * diagnostics with the call path as related information, and offers the quick fixes the analyzer proposes. Settings: initializationOptions or the "durableDevkit" configuration section,
 * `{ "rules": { "DD011": "off", "DD005": "error" } }`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PerformanceObserver, performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  CodeActionKind,
  DiagnosticSeverity,
  ProposedFeatures,
  TextDocumentSyncKind,
  TextDocuments,
  createConnection,
  type CodeAction,
  type Connection,
  type Diagnostic,
  type TextEdit,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import type { AnalyzerSettings, Finding } from "./analysis/analyzer";
import { projectRootOf } from "./analysis/project";
import { WorkspaceSession } from "./analysis/workspace-session";

/**
 * The rules' page, so each diagnostic's code links to what it means and what to do: docs/rules.md two folders up from
 * dist/language-server/, one up from the extension's out/ bundle.
 */
const RULES_DOC = [path.join(__dirname, "..", "..", "docs", "rules.md"), path.join(__dirname, "..", "docs", "rules.md")]
  .filter((file) => fs.existsSync(file))
  .map((file) => pathToFileURL(file).toString())[0];

const SEVERITY: Record<string, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
};

interface FixData {
  fixes: { title: string; edits: { uri: string; range: Diagnostic["range"]; newText: string }[] }[];
}

/**
 * How long the server waits after an edit for more before it analyses: long enough that the changes of one burst (a
 * paste, a multi-cursor edit, a quick fix's edits) are analysed once, short beside the analysis itself. Keystrokes come
 * further apart than this, so each is analysed (an edit costs tens of milliseconds). The changes of a burst arrive
 * together (one read of the pipe), which a couple of milliseconds cover.
 */
const DEBOUNCE_MS = 2;
/** Projects kept warm with no document open (the least recently used beyond this are dropped). */
const IDLE_SESSIONS = 3;
/** How long edits pause before the server looks at the project's files on disk (new, deleted, changed elsewhere). */
const DISK_CHECK_MS = 1500;
/** The pause after a project's first analysis before it is warmed up (an edit in that time goes first). */
const WARM_UP_MS = 100;
/** DURABLE_DEVKIT_LSP_TRACE=1: one line on stderr per analysis (where its time went, what the cache kept). */
const TRACE = !!process.env.DURABLE_DEVKIT_LSP_TRACE;
let gcSinceLastTrace = 0;
if (TRACE) new PerformanceObserver((list) => list.getEntries().forEach((entry) => (gcSinceLastTrace += entry.duration))).observe({ entryTypes: ["gc"] });

export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  let settings: AnalyzerSettings = {};
  const sessions = new Map<string, WorkspaceSession>();
  /** What each project last published, per file (the diagnostics as JSON), so only changes are sent. */
  const published = new Map<string, Map<string, string>>();
  /** The document version each open document last heard diagnostics for. */
  const publishedVersions = new Map<string, number>();
  const timers = new Map<string, { timer: NodeJS.Timeout; all: boolean }>();
  const idle = new Map<string, NodeJS.Timeout>();
  /** Projects whose session has just started: once analysed, they are warmed up in the pause that follows. */
  const cold = new Set<string>();

  const toPath = (uri: string) => path.resolve(fileURLToPath(uri));
  const toUri = (file: string) => pathToFileURL(path.resolve(file)).toString();

  function sessionFor(root: string): WorkspaceSession {
    let session = sessions.get(root);
    if (session) {
      // Most recently used last.
      sessions.delete(root);
      sessions.set(root, session);
      return session;
    }
    session = new WorkspaceSession(root);
    sessions.set(root, session);
    cold.add(root);
    const open = new Set(
      documents
        .all()
        .filter((d) => d.uri.startsWith("file:"))
        .map((d) => projectRootOf(toPath(d.uri))),
    );
    const unused = [...sessions.keys()].filter((r) => r !== root && !open.has(r));
    for (const stale of unused.slice(0, Math.max(0, unused.length - IDLE_SESSIONS))) {
      sessions.get(stale)?.dispose();
      sessions.delete(stale);
    }
    return session;
  }

  /**
   * Analyses a project (incrementally: see workspace-session.ts) and publishes what changed: files whose diagnostics
   * differ from what they last heard, and each open document of the project whose version moved (with that version).
   * `all` publishes every file with findings and every open document, changed or not (on open, save, settings).
   */
  function analyzeProject(root: string, all: boolean): void {
    const session = sessionFor(root);
    const open = new Map<string, { text: string; version: number }>();
    for (const document of documents.all()) {
      if (document.uri.startsWith("file:")) open.set(toPath(document.uri), { text: document.getText(), version: document.version });
    }
    session.setDocuments(open);
    const started = performance.now();
    const { program, findings, stats, timings, unchanged } = session.analyze(settings);
    const byFile = new Map<string, Finding[]>();
    for (const finding of findings) {
      const file = path.resolve(finding.file);
      let list = byFile.get(file);
      if (!list) byFile.set(file, (list = []));
      list.push(finding);
    }
    const position = (file: string, offset: number) => {
      const source = program.getSourceFile(file);
      const { line, character } = source ? source.getLineAndCharacterOfPosition(offset) : { line: 0, character: 0 };
      return { line, character };
    };
    const range = (file: string, start: number, end: number) => ({ start: position(file, start), end: position(file, end) });
    const previous = published.get(root) ?? new Map<string, string>();
    const now = new Map<string, string>();
    const files = new Set([...previous.keys(), ...byFile.keys()]);
    for (const file of open.keys()) if (file.startsWith(root)) files.add(file);
    for (const file of files) {
      const list = byFile.get(file) ?? [];
      const diagnostics: Diagnostic[] = list.map((finding) => ({
        range: range(finding.file, finding.start, finding.end),
        severity: SEVERITY[finding.severity],
        code: finding.code,
        ...(RULES_DOC ? { codeDescription: { href: `${RULES_DOC}#${finding.code.toLowerCase()}` } } : {}),
        source: "durable-devkit",
        message: finding.message,
        relatedInformation: finding.related.map((related) => ({
          location: { uri: toUri(related.file), range: range(related.file, related.start, related.end) },
          message: related.message,
        })),
        data: {
          fixes: finding.fixes.map((fix) => ({
            title: fix.title,
            edits: fix.edits.map((edit) => ({ uri: toUri(edit.file), range: range(edit.file, edit.start, edit.end), newText: edit.newText })),
          })),
        } satisfies FixData,
      }));
      const json = JSON.stringify(diagnostics);
      if (list.length) now.set(file, json);
      const uri = toUri(file);
      const document = open.get(file);
      const moved = document !== undefined && publishedVersions.get(uri) !== document.version;
      // Files that lost their findings are cleared; open documents always hear back, even with nothing to report.
      if (all || moved || json !== (previous.get(file) ?? "[]")) {
        void connection.sendDiagnostics(document ? { uri, version: document.version, diagnostics } : { uri, diagnostics });
        if (document) publishedVersions.set(uri, document.version);
      }
    }
    published.set(root, now);
    if (TRACE) {
      const total = performance.now() - started;
      const gc = gcSinceLastTrace;
      gcSinceLastTrace = 0;
      process.stderr.write(
        `durable-devkit lsp: ${path.basename(root)} ${unchanged ? "unchanged" : `program ${timings.program.toFixed(1)} ms, analysis ${timings.analysis.toFixed(1)} ms, publish ${(total - timings.program - timings.analysis).toFixed(1)} ms; orchestrators kept ${stats.orchestratorsKept}, walks replayed ${stats.walksReplayed}, run ${stats.walksRun} (${stats.walksStale} stale); scans kept ${stats.scansKept}, run ${stats.scansRun}; ${findings.length} findings`}; garbage collection since the last ${gc.toFixed(1)} ms\n`,
      );
    }
  }

  function schedule(uri: string, delayMs: number, all: boolean): void {
    if (!uri.startsWith("file:")) return;
    scheduleRoot(projectRootOf(toPath(uri)), delayMs, all);
  }

  /** When edits pause: files created, deleted or changed on disk (not through the editor) are picked up. */
  function watchDisk(root: string): void {
    clearTimeout(idle.get(root));
    const timer = setTimeout(() => {
      idle.delete(root);
      const session = sessions.get(root);
      try {
        if (session && !timers.has(root) && session.changedOnDisk()) scheduleRoot(root, 0, false);
      } catch (error) {
        connection.console.error(`durable-devkit could not look at ${root}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }, DISK_CHECK_MS);
    timer.unref?.();
    idle.set(root, timer);
  }

  /**
   * In the pause after a project's first analysis: see WorkspaceSession.warmUp. An analysis due meanwhile (another
   * document opened, an edit) goes first, and the warm-up waits for the pause after it.
   */
  function warmUp(root: string): void {
    const timer = setTimeout(() => {
      if (timers.has(root)) {
        cold.add(root);
        return;
      }
      try {
        sessions.get(root)?.warmUp(settings);
      } catch (error) {
        connection.console.error(`durable-devkit could not warm up ${root}: ${error instanceof Error ? error.stack : String(error)}`);
      }
    }, WARM_UP_MS);
    timer.unref?.();
  }

  function scheduleRoot(root: string, delayMs: number, all: boolean): void {
    clearTimeout(idle.get(root));
    const pending = timers.get(root);
    if (pending) clearTimeout(pending.timer);
    const publishAll = all || !!pending?.all;
    timers.set(root, {
      all: publishAll,
      timer: setTimeout(() => {
        timers.delete(root);
        try {
          analyzeProject(root, publishAll);
          watchDisk(root);
          if (cold.delete(root)) warmUp(root);
        } catch (error) {
          connection.console.error(`durable-devkit could not analyse ${root}: ${error instanceof Error ? error.stack : String(error)}`);
        }
      }, delayMs),
    });
  }

  connection.onInitialize((params) => {
    const options = params.initializationOptions as AnalyzerSettings | undefined;
    if (options?.rules) settings = { rules: options.rules };
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      },
      serverInfo: { name: "durable-devkit" },
    };
  });

  connection.onDidChangeConfiguration((change) => {
    const section = (change.settings as { durableDevkit?: AnalyzerSettings } | undefined)?.durableDevkit;
    if (section) settings = { rules: section.rules };
    for (const document of documents.all()) schedule(document.uri, 0, true);
  });

  // package.json and tsconfig.json (what the extension watches): the project's options or its packages may have
  // changed, so its session starts again; any other file: its folder tree is read again.
  connection.onDidChangeWatchedFiles((change) => {
    for (const event of change.changes) {
      if (!event.uri.startsWith("file:")) continue;
      const file = toPath(event.uri);
      for (const [root, session] of sessions) {
        // Under the project, or a package.json or tsconfig.json above it (a monorepo's).
        const dir = path.dirname(file);
        if (!file.startsWith(root + path.sep) && !(root === dir || root.startsWith(dir + path.sep))) continue;
        if (/(^|[\\/])(package|tsconfig)\.json$/.test(file)) {
          session.dispose();
          sessions.delete(root);
        } else {
          session.invalidateFiles();
        }
      }
    }
    for (const document of documents.all()) schedule(document.uri, 0, true);
  });

  documents.onDidOpen((event) => schedule(event.document.uri, 0, true));
  documents.onDidChangeContent((event) => schedule(event.document.uri, DEBOUNCE_MS, false));
  documents.onDidSave((event) => schedule(event.document.uri, 0, true));
  documents.onDidClose((event) => {
    publishedVersions.delete(event.document.uri);
    // Its unsaved text is gone: the file on disk counts again.
    schedule(event.document.uri, DEBOUNCE_MS, false);
  });

  connection.onCodeAction((params) => {
    const actions: CodeAction[] = [];
    for (const diagnostic of params.context.diagnostics) {
      if (diagnostic.source !== "durable-devkit") continue;
      const data = diagnostic.data as FixData | undefined;
      for (const fix of data?.fixes ?? []) {
        const changes: Record<string, TextEdit[]> = {};
        for (const edit of fix.edits) (changes[edit.uri] ??= []).push({ range: edit.range, newText: edit.newText });
        actions.push({ title: fix.title, kind: CodeActionKind.QuickFix, diagnostics: [diagnostic], isPreferred: true, edit: { changes } });
      }
      actions.push({
        title: `Ignore ${String(diagnostic.code)} on this line`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        edit: {
          changes: {
            [params.textDocument.uri]: [
              {
                range: { start: { line: diagnostic.range.start.line, character: 0 }, end: { line: diagnostic.range.start.line, character: 0 } },
                newText: `${indentOf(documents.get(params.textDocument.uri), diagnostic.range.start.line)}// durable-devkit-ignore ${String(diagnostic.code)}\n`,
              },
            ],
          },
        },
      });
    }
    return actions;
  });

  documents.listen(connection);
  connection.listen();
  return connection;
}

function indentOf(document: TextDocument | undefined, line: number): string {
  const text = document?.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }) ?? "";
  return /^\s*/.exec(text)?.[0].replace(/\n/g, "") ?? "";
}
