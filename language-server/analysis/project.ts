/**
 * The TypeScript program the analyzer reads: the workspace's tsconfig.json when it has one (plus its JavaScript
 * files), otherwise an inferred project of every .ts/.js file outside node_modules and build output.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import ts = require("typescript");

/**
 * JSDoc is parsed only where it carries types (JavaScript files): the rules do not read it, and skipping it in
 * TypeScript files and declarations (@types/node is mostly comments) makes parsing a fifth faster.
 */
export const JSDOC_PARSING = ts.JSDocParsingMode.ParseForTypeErrors;

const INFERRED_OPTIONS: ts.CompilerOptions = {
  allowJs: true,
  checkJs: false,
  noEmit: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  esModuleInterop: true,
  skipLibCheck: true,
  types: [],
  // Without the DOM: the rules look for Node and durable APIs, and a smaller library parses and binds faster.
  lib: ["lib.es2022.d.ts"],
};

/**
 * Parsed files kept between programs: the language server builds a new program on every edit, and parsing the
 * unchanged files (the standard library above all) again would cost far more than analysing the edit.
 */
const sourceFileCache = new Map<string, { text: string; file: ts.SourceFile }>();

function cachedSourceFile(fileName: string, text: string, languageVersion: ts.ScriptTarget | ts.CreateSourceFileOptions): ts.SourceFile {
  const key = `${fileName}|${typeof languageVersion === "object" ? `${languageVersion.languageVersion}|${languageVersion.jsDocParsingMode}` : languageVersion}`;
  const cached = sourceFileCache.get(key);
  if (cached && cached.text === text) return cached.file;
  // No parent pointers from the parser: the checker's binder sets them on every file before the analyzer walks one,
  // and the parser's own pass over the tree costs a third of parsing.
  const file = ts.createSourceFile(fileName, text, languageVersion, false);
  sourceFileCache.set(key, { text, file });
  return file;
}

const SKIPPED = new Set(["node_modules", "dist", ".git", ".durable", "out", "coverage"]);

function sourceFiles(root: string): string[] {
  const files: string[] = [];
  const visit = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIPPED.has(entry.name) && !entry.name.startsWith(".")) visit(path.join(dir, entry.name));
      } else if (/\.(c|m)?(t|j)sx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
        files.push(path.join(dir, entry.name));
      }
    }
  };
  visit(root);
  return files;
}

export interface ProjectOptions {
  /** Text of open editor documents, by absolute path, that replaces what is on disk. */
  overrides?: Map<string, string>;
  /** The previous program, so an edit re-checks only what changed. */
  oldProgram?: ts.Program;
}

export interface ProjectConfig {
  options: ts.CompilerOptions;
  /** The project's files: the tsconfig.json's, plus every JavaScript and TypeScript file outside build output. */
  fileNames: string[];
}

/** The compiler options and files of the project in `root` (reads the folder tree: callers keep the result). */
export function projectConfig(root: string): ProjectConfig {
  const rootDir = path.resolve(root);
  let compilerOptions = INFERRED_OPTIONS;
  let fileNames = sourceFiles(rootDir);
  const configPath = path.join(rootDir, "tsconfig.json");
  if (fs.existsSync(configPath)) {
    const config = ts.readConfigFile(configPath, ts.sys.readFile);
    const parsed = ts.parseJsonConfigFileContent(config.config ?? {}, ts.sys, rootDir);
    compilerOptions = { ...parsed.options, allowJs: true, checkJs: false, noEmit: true, skipLibCheck: true };
    // No lib in the tsconfig: the target's library without the DOM (a Functions app runs on Node, whose globals come
    // from @types/node), as for inferred projects — the DOM is two thirds of the default library's text. A lib the
    // tsconfig names is kept.
    if (!compilerOptions.lib) {
      const full = ts.getDefaultLibFileName(compilerOptions);
      compilerOptions.lib = [full === "lib.d.ts" ? "lib.es5.d.ts" : full.replace(/\.full\.d\.ts$/, ".d.ts")];
    }
    fileNames = [...new Set([...parsed.fileNames.map((file) => path.resolve(file)), ...fileNames])];
  }
  return { options: compilerOptions, fileNames };
}

export function createProgram(root: string, options: ProjectOptions = {}): ts.Program {
  const rootDir = path.resolve(root);
  const { options: compilerOptions, fileNames } = projectConfig(rootDir);
  const host = ts.createCompilerHost(compilerOptions, true);
  host.jsDocParsingMode = JSDOC_PARSING;
  const overrides = options.overrides ?? new Map<string, string>();
  host.getSourceFile = (fileName, languageVersion, onError) => {
    let text = overrides.get(path.resolve(fileName));
    if (text === undefined) {
      try {
        text = ts.sys.readFile(fileName);
      } catch (error) {
        onError?.(error instanceof Error ? error.message : String(error));
      }
    }
    return text === undefined ? undefined : cachedSourceFile(fileName, text, languageVersion);
  };
  if (overrides.size) {
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (fileName) => overrides.has(path.resolve(fileName)) || fileExists(fileName);
    const readFile = host.readFile.bind(host);
    host.readFile = (fileName) => overrides.get(path.resolve(fileName)) ?? readFile(fileName);
    for (const file of overrides.keys()) if (file.startsWith(rootDir) && !fileNames.includes(file)) fileNames.push(file);
  }
  return ts.createProgram({ rootNames: fileNames, options: compilerOptions, host, oldProgram: options.oldProgram });
}

/** The folder whose project a file belongs to: the nearest one up with a tsconfig.json or package.json. */
export function projectRootOf(fileOrDir: string): string {
  const dir = fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory() ? path.resolve(fileOrDir) : path.dirname(path.resolve(fileOrDir));
  for (let current = dir; ; current = path.dirname(current)) {
    if (fs.existsSync(path.join(current, "tsconfig.json")) || fs.existsSync(path.join(current, "package.json"))) return current;
    if (path.dirname(current) === current) return dir;
  }
}
