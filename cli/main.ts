/** `durable-devkit`: the one command line door to the emulator (and, later, lint, replay, lsp and dap). */
import * as fs from "node:fs";
import * as path from "node:path";
import { EXIT, UsageError } from "./cli-error";
import type { Command, Io } from "./command";
import { runCommand } from "./commands/run";
import { statusCommand, listCommand, historyCommand, exportCommand } from "./commands/read-commands";
import {
  raiseCommand,
  terminateCommand,
  suspendCommand,
  resumeCommand,
  rewindCommand,
  restartCommand,
  purgeCommand,
  waitCommand,
} from "./commands/control-commands";
import { demoCommand } from "./commands/demo";
import { startCommand } from "./commands/start";
import { entityCommand } from "./commands/entity";
import { newCommand } from "./commands/new";
import { lintCommand } from "./commands/lint";
import { lspCommand } from "./commands/lsp";
import { replayCommand } from "./commands/replay";
import { dapCommand } from "./commands/dap";
import { AppLoadError, AppLoadFailedError, DurableError, ERROR_CODES, PortInUseError, StoreFileError } from "../emulator";
import { StoreBusyError } from "../emulator/store/store-errors";

export const COMMANDS: Command[] = [
  newCommand,
  runCommand,
  startCommand,
  statusCommand,
  listCommand,
  historyCommand,
  raiseCommand,
  terminateCommand,
  suspendCommand,
  resumeCommand,
  rewindCommand,
  restartCommand,
  purgeCommand,
  waitCommand,
  entityCommand,
  lintCommand,
  lspCommand,
  exportCommand,
  replayCommand,
  dapCommand,
  demoCommand,
];

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    "Usage: durable-devkit <command> [options]",
    "",
    "Run Azure Durable Functions apps (durable-functions v3, Functions v4 programming model) locally.",
    "",
    "Commands:",
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    "",
    "Run `durable-devkit <command> --help` for a command's options.",
  ].join("\n");
}

/** Errors a user can act on are printed as their message alone; anything else keeps its stack. */
const EXPECTED_ERRORS = [AppLoadError, AppLoadFailedError, StoreBusyError, PortInUseError];

/**
 * `durable-devkit list | head` closes our stdout early: the rest of the output has no reader, which is no error.
 * Without a listener the EPIPE would be thrown and end the command mid-work (a store mid-commit, say).
 */
function ignoreClosedReader(stream: NodeJS.WritableStream): void {
  if (stream.listenerCount("error") > 0) return;
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && error.code !== "ERR_STREAM_DESTROYED") throw error;
  });
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  ignoreClosedReader(io.stdout);
  ignoreClosedReader(io.stderr);
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    io.stdout.write(`${usage()}\n`);
    return name ? EXIT.ok : EXIT.usage;
  }
  if (name === "--version") {
    io.stdout.write(`${devkitVersion()}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.stderr.write(`Unknown command "${name}".\n\n${usage()}\n`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    // A store file that cannot be used as given (not ours, damaged, a folder) is fixed like a bad argument: exit 2.
    if (error instanceof UsageError || error instanceof StoreFileError) {
      io.stderr.write(`${error.message}\n`);
      return EXIT.usage;
    }
    // The engine's refusals: the exit code comes from the table every surface shares (emulator/core/errors.ts).
    if (error instanceof DurableError && error.code !== "Internal") {
      io.stderr.write(`${error.message}\n`);
      return ERROR_CODES[error.code].exit;
    }
    if (EXPECTED_ERRORS.some((type) => error instanceof type)) {
      io.stderr.write(`${(error as Error).message}\n`);
      return EXIT.failed;
    }
    io.stderr.write(`durable-devkit ${name} failed unexpectedly:\n${error instanceof Error ? error.stack : String(error)}\n`);
    return EXIT.failed;
  }
}

/** Our package.json: two folders up from dist/cli/, one up from the extension's out/ bundle. */
function devkitVersion(): string {
  for (const file of [path.join(__dirname, "..", "..", "package.json"), path.join(__dirname, "..", "package.json")]) {
    try {
      const manifest = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
      if (manifest.name === "durable-devkit" && manifest.version) return manifest.version;
    } catch {
      // not here
    }
  }
  return "unknown";
}
