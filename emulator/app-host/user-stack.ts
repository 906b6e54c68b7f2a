/**
 * The app's own frames of the current call stack, mapped through source maps to the file the user wrote (.ts).
 * Reads V8's structured call sites instead of formatting a stack string: a replay under the debugger records one stack
 * per durable call, and formatting thousands of source-mapped stacks would cost more than the replay itself.
 */
import * as path from "node:path";
import { findSourceMap } from "node:module";
import { fileURLToPath } from "node:url";
import type { SourceFrame } from "../core/functions";

const PACKAGE_DIRS = [
  `${path.sep}node_modules${path.sep}durable-functions${path.sep}`,
  `${path.sep}node_modules${path.sep}@azure${path.sep}functions${path.sep}`,
];
const HOST_DIR = path.dirname(__filename);
const mapped = new Map<string, SourceFrame>();

function isAppFrame(file: string): boolean {
  if (!file || file.startsWith("node:") || file.startsWith(HOST_DIR)) return false;
  return !PACKAGE_DIRS.some((dir) => file.includes(dir));
}

function toPath(file: string): string {
  return file.startsWith("file://") ? fileURLToPath(file) : file;
}

/** Maps a generated position (1-based) to the original source when the file has a source map. */
function mapPosition(file: string, line: number, column: number, name: string): SourceFrame {
  const key = `${file}:${line}:${column}`;
  let frame = mapped.get(key);
  if (frame) return frame;
  frame = { name, file, line, column };
  const map = findSourceMap(file);
  if (map) {
    const entry = map.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (entry && entry.originalSource !== undefined && entry.originalLine !== undefined) {
      const source = toPath(entry.originalSource);
      frame = { name, file: path.resolve(path.dirname(file), source), line: entry.originalLine + 1, column: (entry.originalColumn ?? 0) + 1 };
    }
  }
  mapped.set(key, frame);
  return frame;
}

/** The app's frames, innermost first, skipping the package, Node internals and the host itself. */
export function captureUserStack(limit = 12): SourceFrame[] {
  const holder: { stack?: NodeJS.CallSite[] } = {};
  const previousPrepare = Error.prepareStackTrace;
  const previousLimit = Error.stackTraceLimit;
  Error.prepareStackTrace = (_error, callSites) => callSites;
  Error.stackTraceLimit = 40;
  try {
    Error.captureStackTrace(holder, captureUserStack);
    const sites = holder.stack ?? [];
    const frames: SourceFrame[] = [];
    for (const site of sites) {
      const file = site.getFileName();
      if (!file || !isAppFrame(toPath(file))) continue;
      const line = site.getLineNumber() ?? 1;
      const column = site.getColumnNumber() ?? 1;
      const name = site.getFunctionName() ?? site.getMethodName() ?? "<anonymous>";
      frames.push(mapPosition(toPath(file), line, column, name));
      if (frames.length >= limit) break;
    }
    return frames;
  } finally {
    Error.prepareStackTrace = previousPrepare;
    Error.stackTraceLimit = previousLimit;
  }
}
