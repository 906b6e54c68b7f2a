/**
 * Compiles a TypeScript app with the app's own `typescript` package, file by file and without type checking (as esbuild
 * does). The emulator uses it where esbuild is not installed: inside the VS Code extension, whose bundle ships no
 * native binaries so one VSIX serves every platform.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import type * as ts from "typescript";

export class TranspilerMissingError extends Error {}

function loadAppTypeScript(appDir: string): typeof ts {
  try {
    return createRequire(path.join(appDir, "package.json"))("typescript") as typeof ts;
  } catch {
    throw new TranspilerMissingError(
      `The TypeScript app in ${appDir} has no typescript package installed. Run \`npm install\` in that folder ` +
        "(typescript is one of its devDependencies), or build it yourself with `npx tsc`.",
    );
  }
}

/** Writes outDir/<source relative to rootDir>.js and its .js.map for every source; throws with every syntax error. */
export function transpileWithAppTypeScript(appDir: string, rootDir: string, outDir: string, sources: string[]): void {
  const typescript = loadAppTypeScript(appDir);
  const configFile = path.join(appDir, "tsconfig.json");
  const read = typescript.readConfigFile(configFile, (file) => typescript.sys.readFile(file));
  const parsed = typescript.parseJsonConfigFileContent(read.config ?? {}, typescript.sys, appDir, undefined, configFile);
  const compilerOptions: ts.CompilerOptions = {
    ...parsed.options,
    // The Functions Node worker loads CommonJS here, as esbuild's output would be.
    module: typescript.ModuleKind.CommonJS,
    sourceMap: true,
    inlineSourceMap: false,
    declaration: false,
    noEmit: false,
  };
  const problems: string[] = [];
  const outputs: { file: string; text: string }[] = [];
  for (const source of sources) {
    const outFile = path.join(outDir, path.relative(rootDir, source).replace(/\.(c|m)?tsx?$/, ".js"));
    const output = typescript.transpileModule(fs.readFileSync(source, "utf8"), { compilerOptions, fileName: source, reportDiagnostics: true });
    for (const diagnostic of output.diagnostics ?? []) {
      const where = diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start) : undefined;
      const text = typescript.flattenDiagnosticMessageText(diagnostic.messageText, "\n");
      problems.push(where ? `${source}:${where.line + 1}:${where.character + 1}: ${text}` : `${source}: ${text}`);
    }
    const mapName = `${path.basename(outFile)}.map`;
    const code = output.outputText.replace(/\/\/# sourceMappingURL=\S+\s*$/, "");
    outputs.push({ file: outFile, text: `${code}//# sourceMappingURL=${mapName}\n` });
    if (output.sourceMapText) {
      // transpileModule names the source by its base name; point it at the real file from the output folder.
      const map = JSON.parse(output.sourceMapText) as { sources: string[]; file?: string };
      map.sources = [path.relative(path.dirname(outFile), source).split(path.sep).join("/")];
      map.file = path.basename(outFile);
      outputs.push({ file: `${outFile}.map`, text: JSON.stringify(map) });
    }
  }
  // Nothing is written when a file has errors (as esbuild): output newer than the sources would not be rebuilt next time.
  if (problems.length) throw new Error(problems.join("\n"));
  for (const output of outputs) {
    fs.mkdirSync(path.dirname(output.file), { recursive: true });
    fs.writeFileSync(output.file, output.text);
  }
}
