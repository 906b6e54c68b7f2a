/**
 * The language server (LSP over stdio, on vscode-languageserver): re-analyses the project of each open document as
 * it changes, publishes the findings as diagnostics with the call path as related information, and offers the
 * quick fixes the analyzer proposes. Settings: initializationOptions or the "durableDevkit" configuration section,
 * `{ "rules": { "DD011": "off", "DD005": "error" } }`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as ts from "typescript";
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
import { Analyzer, type AnalyzerSettings, type Finding } from "./analysis/analyzer";
import { createProgram, projectRootOf } from "./analysis/project";

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

export function startLanguageServer(connection: Connection = createConnection(ProposedFeatures.all)): Connection {
  const documents = new TextDocuments(TextDocument);
  let settings: AnalyzerSettings = {};
  const programs = new Map<string, ts.Program>();
  /** Files that got diagnostics last time, per project, so fixed files are cleared. */
  const published = new Map<string, Set<string>>();
  const timers = new Map<string, NodeJS.Timeout>();

  const toPath = (uri: string) => path.resolve(fileURLToPath(uri));
  const toUri = (file: string) => pathToFileURL(path.resolve(file)).toString();

  function analyzeProject(root: string): void {
    const overrides = new Map<string, string>();
    for (const document of documents.all()) {
      if (document.uri.startsWith("file:")) overrides.set(toPath(document.uri), document.getText());
    }
    const program = createProgram(root, { overrides, oldProgram: programs.get(root) });
    programs.set(root, program);
    const findings = new Analyzer(program, settings).analyze();
    const byFile = new Map<string, Finding[]>();
    for (const finding of findings) byFile.set(path.resolve(finding.file), [...(byFile.get(path.resolve(finding.file)) ?? []), finding]);
    const position = (file: string, offset: number) => {
      const source = program.getSourceFile(file);
      const { line, character } = source ? source.getLineAndCharacterOfPosition(offset) : { line: 0, character: 0 };
      return { line, character };
    };
    const range = (file: string, start: number, end: number) => ({ start: position(file, start), end: position(file, end) });
    const previous = published.get(root) ?? new Set<string>();
    const now = new Set<string>();
    for (const [file, list] of byFile) {
      now.add(file);
      const diagnostics: Diagnostic[] = list.map((finding) => ({
        range: range(finding.file, finding.start, finding.end),
        severity: SEVERITY[finding.severity],
        code: finding.code,
        ...(RULES_DOC ? { codeDescription: { href: `${RULES_DOC}#${finding.code.toLowerCase()}` } } : {}),
        source: "durable-devkit",
        message: finding.message,
        relatedInformation: finding.related.map((related) => ({ location: { uri: toUri(related.file), range: range(related.file, related.start, related.end) }, message: related.message })),
        data: {
          fixes: finding.fixes.map((fix) => ({ title: fix.title, edits: fix.edits.map((edit) => ({ uri: toUri(edit.file), range: range(edit.file, edit.start, edit.end), newText: edit.newText })) })),
        } satisfies FixData,
      }));
      void connection.sendDiagnostics({ uri: toUri(file), diagnostics });
    }
    // Files that lost their findings are cleared; open documents always hear back, even with nothing to report.
    for (const file of previous) if (!now.has(file)) void connection.sendDiagnostics({ uri: toUri(file), diagnostics: [] });
    for (const document of documents.all()) {
      const file = document.uri.startsWith("file:") ? toPath(document.uri) : undefined;
      if (file && !now.has(file) && !previous.has(file) && file.startsWith(root)) void connection.sendDiagnostics({ uri: document.uri, diagnostics: [] });
    }
    published.set(root, now);
  }

  function schedule(uri: string, delayMs: number): void {
    if (!uri.startsWith("file:")) return;
    const root = projectRootOf(toPath(uri));
    clearTimeout(timers.get(root));
    timers.set(
      root,
      setTimeout(() => {
        timers.delete(root);
        try {
          analyzeProject(root);
        } catch (error) {
          connection.console.error(`durable-devkit could not analyse ${root}: ${error instanceof Error ? error.stack : String(error)}`);
        }
      }, delayMs),
    );
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
    for (const document of documents.all()) schedule(document.uri, 0);
  });

  documents.onDidOpen((event) => schedule(event.document.uri, 0));
  documents.onDidChangeContent((event) => schedule(event.document.uri, 20));
  documents.onDidSave((event) => schedule(event.document.uri, 0));

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
            [params.textDocument.uri]: [{ range: { start: { line: diagnostic.range.start.line, character: 0 }, end: { line: diagnostic.range.start.line, character: 0 } }, newText: `${indentOf(documents.get(params.textDocument.uri), diagnostic.range.start.line)}// durable-devkit-ignore ${String(diagnostic.code)}\n` }],
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
