/** Where in the app's own code an error was thrown, from its stack: the first frame in the app folder outside node_modules. */
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/** `src/worker.js:3:7`, relative to the app folder, or undefined when no frame of the stack is the app's. */
export function sourceLineOfError(stack: string | undefined, appDir: string): string | undefined {
  if (!stack) return undefined;
  for (const line of stack.split("\n").slice(1)) {
    const match = /\(?([^()\s]+):(\d+):(\d+)\)?$/.exec(line.trim());
    if (!match) continue;
    // An ES module's frames name file: URLs.
    const file = match[1].startsWith("file://") ? fileURLToPath(match[1]) : match[1];
    if (file.startsWith(appDir) && !file.includes(`${path.sep}node_modules${path.sep}`)) return `${path.relative(appDir, file)}:${match[2]}:${match[3]}`;
  }
  return undefined;
}
