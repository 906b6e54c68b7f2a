/**
 * Watches an app's folder for source changes (not its dependencies, build output or store) and calls back once
 * per burst of changes, so a save in the editor reloads the app once.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const IGNORED_SEGMENTS = new Set(["node_modules", ".git", ".durable", ".vscode"]);
const SOURCE = /\.(c|m)?(j|t)sx?$|\.json$/;

export interface AppWatcher {
  close(): void;
}

/**
 * @param outDir the TypeScript output folder (relative to the app), ignored so a rebuild does not trigger itself
 */
export function watchApp(appDir: string, onChange: (files: string[]) => void, options: { outDir?: string; debounceMs?: number } = {}): AppWatcher {
  const outDir = options.outDir ? path.normalize(options.outDir) : undefined;
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  const watcher = fs.watch(appDir, { recursive: true }, (_event, file) => {
    if (!file) return;
    const relative = path.normalize(file.toString());
    const segments = relative.split(path.sep);
    if (segments.some((segment) => IGNORED_SEGMENTS.has(segment))) return;
    if (outDir && outDir !== "." && (relative === outDir || relative.startsWith(`${outDir}${path.sep}`))) return;
    if (!SOURCE.test(relative) || relative === "local.settings.json") return;
    changed.add(relative);
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed];
      changed.clear();
      onChange(files);
    }, options.debounceMs ?? 200);
  });
  return {
    close() {
      if (timer) clearTimeout(timer);
      watcher.close();
    },
  };
}
