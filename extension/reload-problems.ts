/**
 * A reload of the watched app that failed, where the user looks: its source positions in the Problems panel, and an
 * event the status bar follows. The emulator keeps the report; this mirrors it while the emulator runs.
 */
import * as vscode from "vscode";
import type { ReloadReport } from "../emulator/app/reload-report";

export class ReloadProblems implements vscode.Disposable {
  private readonly diagnostics = vscode.languages.createDiagnosticCollection("Durable emulator");
  private readonly changed = new vscode.EventEmitter<ReloadReport | undefined>();
  readonly onDidChange = this.changed.event;
  private shown: string | undefined;

  /** undefined: the emulator is not running (nothing to show). */
  update(report: ReloadReport | undefined): void {
    const key = report?.state === "failed" ? JSON.stringify(report) : undefined;
    if (key === this.shown) return;
    this.shown = key;
    this.diagnostics.clear();
    if (report?.state === "failed") {
      const byFile = new Map<string, vscode.Diagnostic[]>();
      for (const problem of report.problems) {
        const at = new vscode.Position(Math.max(0, problem.line - 1), Math.max(0, problem.column - 1));
        const diagnostic = new vscode.Diagnostic(
          new vscode.Range(at, at.translate(0, 1)),
          `The emulator could not reload the app: ${problem.message}`,
          vscode.DiagnosticSeverity.Error,
        );
        diagnostic.source = "Durable emulator";
        byFile.set(problem.file, [...(byFile.get(problem.file) ?? []), diagnostic]);
      }
      for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
    }
    this.changed.fire(report?.state === "failed" ? report : undefined);
  }

  dispose(): void {
    this.diagnostics.dispose();
    this.changed.dispose();
  }
}
