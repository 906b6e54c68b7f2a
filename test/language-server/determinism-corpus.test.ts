// Held-out corpora for the determinism checker: realistic Durable Functions apps (test/fixtures/determinism-corpus/<case>/
// and test/fixtures/determinism-corpus-2/<case>/), each written without looking at the analyzer. Every expected finding
// is marked on the line where it starts, with a trailing `// expect: DD001` (several codes: `// expect: DD001 DD004`);
// a line without a marker must have no finding.
// For each corpus the test lints each case folder on its own, compares the (file, line, code) triples with the markers
// over the whole corpus, prints recall and precision (overall and per rule) with every miss and false alarm, and asserts
// recall >= 0.90 and precision >= 0.98, and that no case makes the linter throw.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { lintPaths } from "../../language-server/analysis/lint";

type LintResult = ReturnType<typeof lintPaths> extends ReadonlyArray<infer R> | Promise<ReadonlyArray<infer R>> ? R : never;

// Tests run from dist/test/language-server; the fixtures are read where they are in the repository.
const FIXTURES = path.join(__dirname, "..", "..", "..", "test", "fixtures");
const SOURCE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const SKIP_DIRS = new Set(["node_modules", "dist", "out", ".git"]);
const MARKER = /\/\/\s*expect:\s*(DD\d{3}(?:[\s,]+DD\d{3})*)/;
const MIN_RECALL = 0.9;
const MIN_PRECISION = 0.98;

interface Finding {
  caseName: string;
  /** Relative to the corpus folder, with forward slashes. */
  file: string;
  line: number;
  code: string;
  message?: string;
}

const key = (f: { file: string; line: number; code: string }) => `${f.file}:${f.line}:${f.code}`;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!SKIP_DIRS.has(entry.name)) sourceFiles(full, out);
    } else if (SOURCE.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      out.push(full);
    }
  }
  return out;
}

function realpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return path.resolve(file);
  }
}

function relativeToCorpus(corpusReal: string, file: string, caseDir: string): string {
  let absolute = file;
  if (file.startsWith("file:")) absolute = fileURLToPath(file);
  else if (!path.isAbsolute(file)) {
    const inCase = path.resolve(caseDir, file);
    absolute = fs.existsSync(inCase) ? inCase : path.resolve(file);
  }
  return path.relative(corpusReal, realpath(absolute)).split(path.sep).join("/");
}

function expectedFindings(corpus: string, caseName: string): Finding[] {
  const out: Finding[] = [];
  for (const file of sourceFiles(path.join(corpus, caseName))) {
    const rel = path.relative(corpus, file).split(path.sep).join("/");
    fs.readFileSync(file, "utf8")
      .split(/\r?\n/)
      .forEach((text, index) => {
        const match = MARKER.exec(text);
        if (!match) return;
        for (const code of match[1].split(/[\s,]+/).filter(Boolean)) out.push({ caseName, file: rel, line: index + 1, code });
      });
  }
  return out;
}

function sourceLine(corpus: string, file: string, line: number): string {
  try {
    const text = fs.readFileSync(path.join(corpus, file), "utf8").split(/\r?\n/)[line - 1] ?? "";
    return text.replace(MARKER, "").trim().slice(0, 120);
  } catch {
    return "";
  }
}

const ratio = (n: number, d: number) => (d === 0 ? 1 : n / d);
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

interface CorpusSpec {
  /** The folder under test/fixtures. */
  folder: string;
  /** The describe title. */
  title: string;
  /** The name printed before the table. */
  label: string;
  minCases: number;
  minFindings: number;
}

function measureCorpus(spec: CorpusSpec): void {
  describe(spec.title, function () {
    const CORPUS = path.join(FIXTURES, spec.folder);
    const corpusReal = realpath(CORPUS);
    const cases = fs.existsSync(CORPUS)
      ? fs
          .readdirSync(CORPUS, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => e.name)
          .sort()
      : [];
    const expected = new Map<string, Finding>();
    const found = new Map<string, Finding>();
    const crashes: Array<{ caseName: string; error: string }> = [];
    let truePositives: Finding[] = [];
    let misses: Finding[] = [];
    let falseAlarms: Finding[] = [];

    before(async function () {
      this.timeout(20 * 60 * 1000);
      for (const caseName of cases) {
        for (const f of expectedFindings(CORPUS, caseName)) expected.set(key(f), f);
        const caseDir = path.join(CORPUS, caseName);
        let results: readonly LintResult[];
        try {
          results = await Promise.resolve(lintPaths([caseDir]));
        } catch (err) {
          crashes.push({ caseName, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
          continue;
        }
        for (const r of results) {
          const file = relativeToCorpus(corpusReal, r.file, caseDir);
          const f: Finding = { caseName, file, line: r.line, code: r.code, message: r.message };
          if (!found.has(key(f))) found.set(key(f), f);
        }
      }
      truePositives = [...expected.values()].filter((f) => found.has(key(f)));
      misses = [...expected.values()].filter((f) => !found.has(key(f)));
      falseAlarms = [...found.values()].filter((f) => !expected.has(key(f)));

      const recall = ratio(truePositives.length, expected.size);
      const precision = ratio(truePositives.length, truePositives.length + falseAlarms.length);
      const lines: string[] = [];
      lines.push("");
      lines.push(`${spec.label}: ${cases.length} cases, ${expected.size} expected findings, ${found.size} reported`);
      lines.push(`  TP ${truePositives.length}  FN ${misses.length}  FP ${falseAlarms.length}  crashes ${crashes.length}`);
      lines.push(`  recall ${pct(recall)} (needs ${pct(MIN_RECALL)})   precision ${pct(precision)} (needs ${pct(MIN_PRECISION)})`);
      lines.push("");
      lines.push("  rule    expected  TP   FN   FP   recall   precision");
      const codes = [...new Set([...expected.values(), ...found.values()].map((f) => f.code))].sort();
      for (const code of codes) {
        const exp = [...expected.values()].filter((f) => f.code === code).length;
        const tp = truePositives.filter((f) => f.code === code).length;
        const fn = misses.filter((f) => f.code === code).length;
        const fp = falseAlarms.filter((f) => f.code === code).length;
        lines.push(
          `  ${code.padEnd(7)} ${String(exp).padStart(8)} ${String(tp).padStart(4)} ${String(fn).padStart(4)} ${String(fp).padStart(4)}   ${pct(ratio(tp, exp)).padStart(6)}   ${pct(ratio(tp, tp + fp)).padStart(6)}`,
        );
      }
      const byPlace = (a: Finding, b: Finding) => a.file.localeCompare(b.file) || a.line - b.line || a.code.localeCompare(b.code);
      if (misses.length) {
        lines.push("");
        lines.push(`Misses (${misses.length}): expected, not reported`);
        for (const f of misses.sort(byPlace)) lines.push(`  ${f.code} ${f.file}:${f.line}   ${sourceLine(CORPUS, f.file, f.line)}`);
      }
      if (falseAlarms.length) {
        lines.push("");
        lines.push(`False alarms (${falseAlarms.length}): reported, not expected`);
        for (const f of falseAlarms.sort(byPlace)) {
          lines.push(`  ${f.code} ${f.file}:${f.line}   ${sourceLine(CORPUS, f.file, f.line)}`);
          if (f.message) lines.push(`        -> ${f.message.split("\n")[0].slice(0, 140)}`);
        }
      }
      if (crashes.length) {
        lines.push("");
        lines.push(`Crashes (${crashes.length}):`);
        for (const c of crashes) lines.push(`  ${c.caseName}: ${c.error.split("\n").slice(0, 4).join("\n    ")}`);
      }
      console.log(lines.join("\n"));
    });

    it(`has the corpus: at least ${spec.minCases} cases and ${spec.minFindings} expected findings`, function () {
      assert.ok(cases.length >= spec.minCases, `found ${cases.length} case folders under ${CORPUS}`);
      assert.ok(expected.size >= spec.minFindings, `found ${expected.size} expect markers`);
    });

    it("lints every case without throwing", function () {
      assert.deepEqual(
        crashes.map((c) => `${c.caseName}: ${c.error.split("\n")[0]}`),
        [],
        `${crashes.length} case(s) crashed the linter`,
      );
    });

    it(`finds at least ${pct(MIN_RECALL)} of the expected findings (recall)`, function () {
      const recall = ratio(truePositives.length, expected.size);
      assert.ok(recall >= MIN_RECALL, `recall ${pct(recall)}: ${truePositives.length} of ${expected.size} found, ${misses.length} missed (listed above)`);
    });

    it(`reports at most ${pct(1 - MIN_PRECISION)} false alarms (precision)`, function () {
      const precision = ratio(truePositives.length, truePositives.length + falseAlarms.length);
      assert.ok(
        precision >= MIN_PRECISION,
        `precision ${pct(precision)}: ${falseAlarms.length} false alarm(s) among ${truePositives.length + falseAlarms.length} reported (listed above)`,
      );
    });
  });
}

// The first corpus.
measureCorpus({
  folder: "determinism-corpus",
  title: "determinism checker: held-out corpus",
  label: "Determinism corpus",
  minCases: 45,
  minFindings: 200,
});

// The second corpus, written blind later, in other domains and styles.
measureCorpus({
  folder: "determinism-corpus-2",
  title: "determinism checker: second held-out corpus",
  label: "Determinism corpus 2",
  minCases: 40,
  minFindings: 200,
});
