import * as path from "node:path";
import { PATTERNS, scaffold, ScaffoldError, type Language } from "../../templates/scaffold";
import { parse, writeLines, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";

export const newCommand: Command = {
  name: "new",
  summary: "scaffold one of the six orchestration patterns into a Functions app",
  help: `Usage: durable-devkit new <pattern> [--name NAME] [--lang ts|js] [--dir DIR] [--force]
       durable-devkit new --list

Writes the pattern into DIR/src/functions/NAME.ts (or .js). When DIR has no app yet it also writes the app:
package.json (durable-functions and @azure/functions pinned to the versions this tool tests), host.json,
local.settings.json, tsconfig.json (TypeScript), .funcignore and .gitignore. Existing files are never overwritten
without --force; nothing is written when anything is wrong.

Patterns:
${PATTERNS.map((p) => `  ${p.id.padEnd(18)} ${p.description}`).join("\n")}

Options:
  --name, -n NAME   the orchestration's name; its functions are NAME, NAME_start, NAME_<step> (default per pattern)
  --lang, -l LANG   ts (default for new apps) or js
  --dir, -d DIR     the app folder (default: the current folder)
  --force           overwrite files that exist
  --list            list the patterns`,
  async run(args, io) {
    const { values, positionals, help } = parse(
      "new",
      args,
      {
        name: { type: "string", short: "n" },
        lang: { type: "string", short: "l" },
        dir: { type: "string", short: "d" },
        force: { type: "boolean" },
        list: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      { min: 0, max: 1 },
    );
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    if (values.list) {
      writeLines(
        io.stdout,
        PATTERNS.map((p) => `${p.id.padEnd(18)} ${p.description}`),
      );
      return EXIT.ok;
    }
    if (!positionals.length)
      throw new UsageError(`Name a pattern: ${PATTERNS.map((p) => p.id).join(", ")}. Run \`durable-devkit new --list\` for what each is for.`);
    if (values.lang !== undefined && values.lang !== "ts" && values.lang !== "js") throw new UsageError(`--lang is ts or js, not "${values.lang}".`);
    try {
      const result = scaffold({
        pattern: positionals[0],
        name: values.name,
        language: values.lang as Language | undefined,
        dir: values.dir ?? ".",
        force: values.force === true,
      });
      const dir = path.resolve(values.dir ?? ".");
      writeLines(io.stdout, [
        `${result.pattern.title} "${result.name}" (${result.language === "ts" ? "TypeScript" : "JavaScript"}) in ${dir}${result.appCreated ? ", with a new app" : ""}:`,
        ...result.files.map((file) => `  wrote ${file}`),
        "",
        "Next:",
        ...(result.appCreated ? [`  cd ${relativeOrAbsolute(dir)} && npm install`] : []),
        `  durable-devkit start --watch     (then the URLs it prints), or see the header of ${result.files[0]} for how to try it`,
      ]);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ScaffoldError) throw new UsageError(error.message);
      throw error;
    }
  },
};

function relativeOrAbsolute(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return !relative ? "." : relative.startsWith("..") ? dir : relative;
}
