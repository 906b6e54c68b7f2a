import * as path from "node:path";
import { PATTERNS, scaffold, ScaffoldError, SDKS, type Language, type ScaffoldResult, type Sdk } from "../../templates/scaffold";
import { durableTaskCommands, durableTaskRegistration } from "../../templates/durabletask-app";
import { parse, writeLines, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";

export const newCommand: Command = {
  name: "new",
  summary: "scaffold one of the six orchestration patterns into a Functions app, or a Durable Task SDK app",
  help: `Usage: durable-devkit new <pattern> [--sdk functions|durabletask] [--name NAME] [--lang ts|js] [--dir DIR] [--force]
       durable-devkit new --list

Writes the pattern into DIR/src/functions/NAME.ts (or .js). When DIR has no app yet it also writes the app:
package.json (durable-functions and @azure/functions pinned to the versions this tool tests), host.json,
local.settings.json, tsconfig.json (TypeScript), .funcignore and .gitignore. Existing files are never overwritten
without --force; nothing is written when anything is wrong.

With --sdk durabletask it writes an app on the Durable Task SDK (@microsoft/durabletask-js) instead, to run against
\`durable-devkit start --grpc\` or the Durable Task Scheduler emulator: DIR/src/NAME.ts (the orchestrations,
activities and entity, with a register function) and DIR/src/NAME-client.ts (starts it and prints its output; for
async-http-api, a small HTTP server). When DIR has no app yet, also src/worker.ts (registers NAME and runs it),
src/connection.ts (reads DURABLE_TASK_SCHEDULER_CONNECTION_STRING, default
Endpoint=http://localhost:8080;Authentication=None;TaskHub=default), package.json (npm start runs the worker, npm
run client the client), tsconfig.json (TypeScript) and .gitignore.

Patterns:
${PATTERNS.map((p) => `  ${p.id.padEnd(18)} ${p.description}`).join("\n")}

Options:
  --sdk SDK         functions (default) or durabletask
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
        sdk: { type: "string" },
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
    if (values.sdk !== undefined && !SDKS.includes(values.sdk as Sdk)) {
      throw new UsageError(
        `--sdk is functions (the default: an Azure Functions app) or durabletask (an app on the Durable Task SDK, @microsoft/durabletask-js), not "${values.sdk}".`,
      );
    }
    try {
      const result = scaffold({
        pattern: positionals[0],
        name: values.name,
        language: values.lang as Language | undefined,
        dir: values.dir ?? ".",
        force: values.force === true,
        sdk: values.sdk as Sdk | undefined,
      });
      const dir = path.resolve(values.dir ?? ".");
      writeLines(io.stdout, [
        `${result.pattern.title} "${result.name}" (${result.language === "ts" ? "TypeScript" : "JavaScript"}${result.sdk === "durabletask" ? ", Durable Task SDK" : ""}) in ${dir}${result.appCreated ? ", with a new app" : ""}:`,
        ...result.files.map((file) => `  wrote ${file}`),
        "",
        "Next:",
        ...(result.appCreated ? [`  cd ${relativeOrAbsolute(dir)} && npm install`] : []),
        ...(result.sdk === "durabletask"
          ? durableTaskNextSteps(result)
          : [`  durable-devkit start --watch     (then the URLs it prints), or see the header of ${result.files[0]} for how to try it`]),
      ]);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof ScaffoldError) throw new UsageError(error.message);
      throw error;
    }
  },
};

/** What to run, each in a terminal of its own: the sidecar, the worker, the client (after registering a second pattern). */
function durableTaskNextSteps(result: ScaffoldResult): string[] {
  const client = result.appCreated
    ? "npm run client"
    : `${result.language === "ts" ? "npm run build && " : ""}${durableTaskCommands(result.name, result.language).client}`;
  return [
    ...(result.appCreated ? [] : [`  register it in src/worker.${result.language}: ${durableTaskRegistration(result.name, result.language)}`]),
    `  ${"durable-devkit start --grpc".padEnd(32)} the sidecar on localhost:8080 (or the Durable Task Scheduler emulator)`,
    `  ${"npm start".padEnd(32)} the worker`,
    `  ${client.padEnd(32)} the client; the header of ${result.files[0]} says what it prints`,
  ];
}

function relativeOrAbsolute(dir: string): string {
  const relative = path.relative(process.cwd(), dir);
  return !relative ? "." : relative.startsWith("..") ? dir : relative;
}
