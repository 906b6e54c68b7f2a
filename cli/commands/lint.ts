import * as path from "node:path";
import { parse, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";
import { preloadTypeScript } from "../typescript-code-cache";

export const lintCommand: Command = {
  name: "lint",
  summary: "find nondeterministic code and durable API misuse in orchestrators",
  help: `Usage: durable-devkit lint [paths...] [--format text|json]

Analyses the orchestrators in the given files or folders (default: the current folder) and the workspace functions
they call, with the TypeScript compiler. Exit code 1 when an error-severity problem is found, so CI can gate on it.
--format json prints [{ file, line, column, endLine, endColumn, code, severity, message }] (1-based positions).
Silence one finding with a comment on its line or the line above: // durable-devkit-ignore DD001
Turn a rule off or change its severity: --rule DD011=off --rule DD005=error (repeatable).
The rules: docs/rules.md.`,
  async run(args, io) {
    const { values, positionals, help } = parse(
      "lint",
      args,
      { format: { type: "string", short: "f" }, rule: { type: "string", multiple: true }, help: { type: "boolean", short: "h" } },
      { min: 0, max: 1000 },
    );
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const format = values.format ?? "text";
    if (format !== "text" && format !== "json") throw new UsageError(`--format is text or json, not "${format}".`);
    const rules: Record<string, "error" | "warning" | "information" | "off"> = {};
    for (const setting of values.rule ?? []) {
      const match = /^(DD\d{3})=(error|warning|information|off)$/.exec(setting);
      if (!match) throw new UsageError(`--rule takes CODE=error|warning|information|off, e.g. --rule DD011=off (got "${setting}").`);
      rules[match[1]] = match[2] as "error" | "warning" | "information" | "off";
    }
    // The TypeScript compiler takes ~0.4 s to load: only `lint` pays for it, not every command (and less with V8's code cache).
    preloadTypeScript();
    const { lintPaths } = require("../../language-server/analysis/lint") as typeof import("../../language-server/analysis/lint");
    let results;
    try {
      results = lintPaths(positionals, { rules });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    if (format === "json") {
      io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      for (const r of results) io.stdout.write(`${path.relative(process.cwd(), r.file)}:${r.line}:${r.column} ${r.severity} ${r.code} ${r.message}\n`);
      const errors = results.filter((r) => r.severity === "error").length;
      io.stdout.write(
        results.length
          ? `\n${results.length} problem${results.length === 1 ? "" : "s"} (${errors} error${errors === 1 ? "" : "s"}).\n`
          : "No problems found.\n",
      );
    }
    return results.some((r) => r.severity === "error") ? EXIT.failed : EXIT.ok;
  },
};
