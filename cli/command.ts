/** The shape of a CLI command, and option parsing on Node's util.parseArgs with usage errors that say what to do. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./cli-error";

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface Command {
  name: string;
  summary: string;
  /** Full --help text. */
  help: string;
  run(args: string[], io: Io): Promise<number>;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export const APP_OPTIONS = {
  app: { type: "string", short: "a" },
  store: { type: "string", short: "s" },
  "time-skip": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export const APP_OPTIONS_HELP = `  --app, -a DIR        the Functions app folder (default: the current folder)
  --store, -s STORE    "memory", or an SQLite store file (default: DIR/.durable/emulator.sqlite)
  --time-skip          jump the clock to the next timer whenever nothing else can run
  --json               print one JSON object instead of text
  --help, -h           show this help`;

export function parse<T extends Options>(command: string, args: string[], options: T, positionals: { min: number; max: number }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}\nRun \`durable-devkit ${command} --help\` for the options.`);
  }
  const help = (parsed.values as { help?: boolean }).help === true;
  if (!help && (parsed.positionals.length < positionals.min || parsed.positionals.length > positionals.max)) {
    throw new UsageError(
      parsed.positionals.length < positionals.min
        ? `Missing arguments. Run \`durable-devkit ${command} --help\` for the usage.`
        : `Unexpected argument "${parsed.positionals[positionals.max]}". Run \`durable-devkit ${command} --help\` for the usage.`,
    );
  }
  return { values: parsed.values, positionals: parsed.positionals, help };
}

export function writeLines(stream: NodeJS.WritableStream, lines: string[]): void {
  stream.write(lines.map((line) => `${line}\n`).join(""));
}
