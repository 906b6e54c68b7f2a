/**
 * Loads the TypeScript compiler with V8's code cache: compiling its 9 MB of JavaScript is a tenth of a `lint` of a big
 * app (0.3-0.4 s of every run), and Node 20 has no compile cache of its own (module.enableCompileCache is Node 22's).
 * The cache is V8's data for that very source, Node version and architecture (V8 rejects it otherwise, and it is made
 * again); it lives in the user's cache folder (not a shared temporary one: the cache is code). Anything that goes wrong
 * here leaves TypeScript to be loaded as usual.
 */
import * as fs from "node:fs";
import Module = require("node:module");
import * as os from "node:os";
import * as path from "node:path";
import * as vm from "node:vm";

/** Module's internals this relies on (stable in Node's CommonJS loader, untyped in @types/node). */
interface LoaderInternals {
  wrap(source: string): string;
  _nodeModulePaths(dir: string): string[];
}

function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || (process.platform === "win32" ? process.env.LOCALAPPDATA : undefined) || path.join(os.homedir(), ".cache");
  return path.join(base, "durable-devkit");
}

/**
 * Puts TypeScript in require's cache, compiled with the code cache (and writes the cache when there was none, or V8
 * rejected it). Call before anything requires "typescript".
 */
export function preloadTypeScript(): void {
  let file: string;
  try {
    file = require.resolve("typescript");
  } catch {
    return; // bundled (the VSIX's CLI): nothing to load from a file
  }
  if (require.cache[file]) return;
  try {
    const source = fs.readFileSync(file, "utf8");
    const cachePath = path.join(cacheDir(), `typescript-${process.version}-${process.arch}-${source.length}.v8cache`);
    let cachedData: Buffer | undefined;
    try {
      cachedData = fs.readFileSync(cachePath);
    } catch {
      // No cache yet.
    }
    const loader = Module as unknown as LoaderInternals;
    const script = new vm.Script(loader.wrap(source), { filename: file, cachedData });
    const loaded = new Module(file, module);
    loaded.filename = file;
    loaded.paths = loader._nodeModulePaths(path.dirname(file));
    const localRequire = Module.createRequire(file);
    (script.runInThisContext() as (...args: unknown[]) => void).call(loaded.exports, loaded.exports, localRequire, loaded, file, path.dirname(file));
    loaded.loaded = true;
    require.cache[file] = loaded;
    if (!cachedData || script.cachedDataRejected) writeCache(cachePath, script);
  } catch {
    // Loaded as usual by the first require.
    delete require.cache[file];
  }
}

function writeCache(cachePath: string, script: vm.Script): void {
  try {
    fs.mkdirSync(path.dirname(cachePath), { recursive: true, mode: 0o700 });
    const temporary = `${cachePath}.${process.pid}`;
    fs.writeFileSync(temporary, script.createCachedData(), { mode: 0o600 });
    fs.renameSync(temporary, cachePath);
  } catch {
    // Not written: the next run compiles again.
  }
}
