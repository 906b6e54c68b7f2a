/**
 * How the last reload of a watched app went, for the dashboard's info route and the editor: a failed one names the
 * source positions it can find (build errors, or the app's first stack frame when its code threw while loading), so a
 * save that does not compile shows up where the user looks, not only in a log.
 */
import * as path from "node:path";
import type { ReloadReport, SourceProblem } from "../api/types";

export type { ReloadReport, SourceProblem };

/** `file:line:column: text` lines (esbuild's and the TypeScript transpiler's errors), resolved against the app folder. */
const BUILD_ERROR_LINE = /^(.+?):(\d+):(\d+): (.+)$/;
/**
 * Node's header of a SyntaxError in a loaded file: `file:line`, the source line, a caret line under the culprit (after
 * the app host's "Loading <file> failed: " when it comes from there).
 */
const SYNTAX_ERROR_HEADER = /^(?:.*? failed: )?((?:[A-Za-z]:)?[\\/][^:]*):(\d+)$/;
/** A stack frame: `at fn (file:line:column)` or `at file:line:column`. */
const STACK_FRAME = /^\s*at (?:.*? \()?((?:[A-Za-z]:)?[^():]+):(\d+):(\d+)\)?\s*$/;

export function sourceProblems(message: string, appDir: string): SourceProblem[] {
  const lines = message.split("\n");
  const built = lines.flatMap((text) => {
    const match = BUILD_ERROR_LINE.exec(text.trim());
    if (!match || /^\s*at /.test(text)) return [];
    return [{ file: path.resolve(appDir, match[1]), line: Number(match[2]), column: Number(match[3]), message: match[4] }];
  });
  if (built.length) return built;
  // The innermost error's line (the app host wraps a SyntaxError's text in its own "Loading … failed"), before the frames.
  const firstFrame = lines.findIndex((text) => STACK_FRAME.test(text));
  const beforeFrames = firstFrame >= 0 ? lines.slice(0, firstFrame) : lines;
  const headline =
    beforeFrames
      .filter((text) => /^\w*Error\b/.test(text.trim()))
      .pop()
      ?.trim() ??
    beforeFrames.find((text) => text.trim())?.trim() ??
    message;
  const headerAt = lines.findIndex((text) => SYNTAX_ERROR_HEADER.test(text.trim()));
  const header = headerAt >= 0 ? SYNTAX_ERROR_HEADER.exec(lines[headerAt].trim()) : null;
  if (header && isInside(appDir, header[1])) {
    const caret = lines[headerAt + 2]?.indexOf("^") ?? -1;
    return [{ file: header[1], line: Number(header[2]), column: caret >= 0 ? caret + 1 : 1, message: headline }];
  }
  // The app threw while loading: point at the first frame in the app's own code.
  for (const text of lines) {
    const match = STACK_FRAME.exec(text);
    if (!match) continue;
    const file = match[1].replace(/^file:\/\//, "");
    if (!path.isAbsolute(file) || !isInside(appDir, file) || file.split(path.sep).includes("node_modules")) continue;
    return [{ file, line: Number(match[2]), column: Number(match[3]), message: headline }];
  }
  return [];
}

function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return !relative.startsWith("..") && !path.isAbsolute(relative);
}
