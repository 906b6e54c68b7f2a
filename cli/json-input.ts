/** Reads JSON given on the command line (`'{"a":1}'`) or from a file (`@input.json`), with errors that point at the mistake. */
import * as fs from "node:fs";
import { UsageError } from "./cli-error";

export function parseJsonArgument(text: string, what: string): unknown {
  let source = text;
  let origin = `the ${what}`;
  if (text.startsWith("@")) {
    const file = text.slice(1);
    if (!fs.existsSync(file)) throw new UsageError(`The ${what} file ${file} does not exist.`);
    source = fs.readFileSync(file, "utf8");
    origin = `${file} (the ${what})`;
  }
  try {
    return JSON.parse(source);
  } catch (error) {
    throw new UsageError(
      `${origin} is not valid JSON: ${describeJsonError(source, error)}` +
        (text.startsWith("@") ? "" : '\nTip: quote JSON for the shell, e.g. --input \'{"city":"Tokyo"}\', and strings as \'"text"\'.'),
    );
  }
}

function describeJsonError(source: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /position (\d+)/.exec(message);
  if (!match) return message;
  const position = Number(match[1]);
  const before = source.slice(0, position);
  const line = before.split("\n").length;
  const column = position - before.lastIndexOf("\n");
  const lineText = source.split("\n")[line - 1] ?? "";
  return `${message.replace(/ in JSON at position \d+.*$/, "")} at line ${line}, column ${column}:\n  ${lineText}\n  ${" ".repeat(Math.max(0, column - 1))}^`;
}
