/**
 * Finds a Functions app's entry files the way the Node worker does (package.json `main`, often a glob), and builds
 * TypeScript apps (with esbuild, else the app's own TypeScript) when their output is missing or older than the
 * sources, so users never need a manual `npm run build` before running locally.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { globToRegExp, walkFiles } from "./glob";
import { TranspilerMissingError, transpileWithAppTypeScript } from "./typescript-transpiler";

export class AppLoadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AppLoadError";
  }
}

export interface LoadedApp {
  appDir: string;
  entryFiles: string[];
  /** Set when this load compiled TypeScript. */
  built?: { files: number; outDir: string; durationMs: number };
  /** The TypeScript output folder, relative to the app (for TypeScript apps). */
  outDir?: string;
  hostJson: HostJson;
  localSettings: LocalSettings;
}

/** local.settings.json: the app settings `func start` puts in the environment, and the local host's options. */
export interface LocalSettings {
  Values?: Record<string, string>;
  Host?: { LocalHttpPort?: number; CORS?: string; CORSCredentials?: boolean };
}

export interface HostJson {
  extensions?: { durableTask?: DurableTaskSettings; http?: { routePrefix?: string } };
  [key: string]: unknown;
}

export interface DurableTaskSettings {
  hubName?: string;
  maxConcurrentActivityFunctions?: number;
  maxConcurrentOrchestratorFunctions?: number;
  maxEntityOperationBatchSize?: number;
  httpSettings?: { defaultAsyncRequestSleepTimeMilliseconds?: number };
  [key: string]: unknown;
}

function readJson<T>(file: string, what: string): T {
  const text = fs.readFileSync(file, "utf8");
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new AppLoadError(`${what} ${file} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

interface TsConfigPaths {
  outDir: string;
  rootDir: string;
}

function readTsConfig(appDir: string): TsConfigPaths | undefined {
  const file = path.join(appDir, "tsconfig.json");
  if (!fs.existsSync(file)) return undefined;
  // tsconfig.json may hold comments and trailing commas; strip them before parsing.
  const text = fs
    .readFileSync(file, "utf8")
    .replace(/("(?:\\.|[^"\\])*")|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (match, quoted: string | undefined) => quoted ?? "")
    .replace(/,(\s*[}\]])/g, "$1");
  let config: { compilerOptions?: { outDir?: string; rootDir?: string } };
  try {
    config = JSON.parse(text);
  } catch (error) {
    throw new AppLoadError(`${file} could not be read: ${error instanceof Error ? error.message : String(error)}`);
  }
  const options = config.compilerOptions ?? {};
  return {
    outDir: path.resolve(appDir, options.outDir ?? "."),
    rootDir: path.resolve(appDir, options.rootDir ?? "."),
  };
}

function newestMtime(files: string[]): number {
  return files.reduce((newest, file) => Math.max(newest, fs.statSync(file).mtimeMs), 0);
}

function oldestMtime(files: string[]): number {
  return files.reduce((oldest, file) => Math.min(oldest, fs.statSync(file).mtimeMs), Number.POSITIVE_INFINITY);
}

async function loadEsbuild(): Promise<typeof import("esbuild") | undefined> {
  try {
    return await import("esbuild");
  } catch {
    return undefined; // the VS Code extension's bundle ships no esbuild: the app's own TypeScript compiles it instead
  }
}

async function buildTypeScript(appDir: string, tsconfig: TsConfigPaths, sources: string[]): Promise<LoadedApp["built"]> {
  const started = Date.now();
  const esbuild = await loadEsbuild();
  try {
    if (esbuild) {
      await esbuild.build({
        entryPoints: sources,
        outdir: tsconfig.outDir,
        outbase: tsconfig.rootDir,
        platform: "node",
        format: "cjs",
        target: "node20",
        sourcemap: true,
        logLevel: "silent",
        absWorkingDir: appDir,
      });
    } else {
      transpileWithAppTypeScript(appDir, tsconfig.rootDir, tsconfig.outDir, sources);
    }
  } catch (error) {
    if (error instanceof TranspilerMissingError) throw new AppLoadError(error.message);
    const details = (error as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors;
    const lines = details?.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text));
    throw new AppLoadError(
      `Building the TypeScript app in ${appDir} failed:\n${lines?.join("\n") ?? (error instanceof Error ? error.message : String(error))}`,
    );
  }
  return { files: sources.length, outDir: tsconfig.outDir, durationMs: Date.now() - started };
}

/** host.json and local.settings.json (either may be missing). */
export function readAppSettings(appDirInput: string): { hostJson: HostJson; localSettings: LocalSettings } {
  const appDir = path.resolve(appDirInput);
  const hostFile = path.join(appDir, "host.json");
  const settingsFile = path.join(appDir, "local.settings.json");
  return {
    hostJson: fs.existsSync(hostFile) ? readJson<HostJson>(hostFile, "The app's host.json") : {},
    localSettings: fs.existsSync(settingsFile) ? readJson<LocalSettings>(settingsFile, "The app's local.settings.json") : {},
  };
}

export async function loadApp(appDirInput: string, options: { build?: boolean } = {}): Promise<LoadedApp> {
  const appDir = path.resolve(appDirInput);
  if (!fs.existsSync(appDir) || !fs.statSync(appDir).isDirectory()) {
    throw new AppLoadError(`The app folder ${appDir} does not exist. Pass the folder of your Functions app with --app DIR.`);
  }
  const packageFile = path.join(appDir, "package.json");
  if (!fs.existsSync(packageFile)) {
    throw new AppLoadError(
      `No Functions app in ${appDir}: there is no package.json. A Node.js Functions app (programming model v4) has a ` +
        'package.json whose "main" names its function files, e.g. "dist/src/functions/*.js". Pass its folder with --app DIR, ' +
        "or scaffold one with `durable-devkit new`.",
    );
  }
  const packageJson = readJson<{ main?: string }>(packageFile, "The app's package.json");
  const { hostJson, localSettings } = readAppSettings(appDir);
  const main = packageJson.main ?? "index.js";
  const mainPattern = path.posix.normalize(main.replace(/\\/g, "/")).replace(/^\.\//, "");
  const matcher = globToRegExp(mainPattern);
  const findEntries = () => walkFiles(appDir).filter((relative) => matcher.test(relative));

  let built: LoadedApp["built"];
  const tsconfig = readTsConfig(appDir);
  if (tsconfig && options.build !== false) {
    const outDirRelative = path.relative(appDir, tsconfig.outDir);
    const sources = walkFiles(appDir)
      .filter((relative) => /\.(c|m)?tsx?$/.test(relative) && !relative.endsWith(".d.ts"))
      .filter((relative) => !outDirRelative || !relative.startsWith(`${outDirRelative}/`))
      .map((relative) => path.join(appDir, relative));
    if (sources.length > 0) {
      const entries = findEntries().map((relative) => path.join(appDir, relative));
      if (entries.length === 0 || newestMtime(sources) > oldestMtime(entries)) {
        built = await buildTypeScript(appDir, tsconfig, sources);
      }
    }
  }

  const entryFiles = findEntries()
    .sort()
    .map((relative) => path.join(appDir, relative));
  if (entryFiles.length === 0) {
    throw new AppLoadError(
      `No function files in ${appDir}: package.json "main" is "${main}" and no file matches it` +
        (tsconfig ? " (even after building the TypeScript sources)." : ".") +
        ' Point "main" at the files that register your functions, e.g. "dist/src/functions/*.js" or "src/functions/*.js".',
    );
  }
  return { appDir, entryFiles, built, hostJson, localSettings, outDir: tsconfig ? path.relative(appDir, tsconfig.outDir) : undefined };
}
