/** Analysis for the command line and CI: findings of a set of paths, with 1-based lines and columns. */
import * as fs from "node:fs";
import * as path from "node:path";
import { Analyzer, type AnalyzerSettings, type Finding } from "./analyzer";
import { createProgram, projectRootOf } from "./project";

export interface LintResult {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  severity: string;
  message: string;
}

export function lintPaths(paths: string[], settings: AnalyzerSettings = {}): LintResult[] {
  const targets = (paths.length ? paths : ["."]).map((p) => path.resolve(p));
  for (const target of targets) if (!fs.existsSync(target)) throw new Error(`${target} does not exist.`);
  const roots = [...new Set(targets.map(projectRootOf))];
  const results: LintResult[] = [];
  for (const root of roots) {
    const program = createProgram(root);
    const findings = new Analyzer(program, settings).analyze();
    for (const finding of findings) {
      const inTargets = targets.some(
        (target) => finding.file === target || path.resolve(finding.file).startsWith(`${target}${path.sep}`) || path.resolve(finding.file) === target,
      );
      if (!inTargets) continue;
      results.push(toResult(program.getSourceFile(finding.file)?.getLineAndCharacterOfPosition.bind(program.getSourceFile(finding.file)), finding));
    }
  }
  return results.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function toResult(position: ((offset: number) => { line: number; character: number }) | undefined, finding: Finding): LintResult {
  const start = position?.(finding.start) ?? { line: 0, character: 0 };
  const end = position?.(finding.end) ?? start;
  return {
    file: finding.file,
    line: start.line + 1,
    column: start.character + 1,
    endLine: end.line + 1,
    endColumn: end.character + 1,
    code: finding.code,
    severity: finding.severity,
    message: finding.message,
  };
}
