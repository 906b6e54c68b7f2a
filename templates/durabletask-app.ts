/**
 * The files of a Durable Task SDK app (@microsoft/durabletask-js) for one pattern: its orchestrations, activities
 * and entity in src/NAME.ts (or .js) with a register function, a client that runs it in src/NAME-client.ts, and,
 * when the folder has no app yet, the worker that registers it, the connection string reader, package.json and
 * (TypeScript) tsconfig.json. The app runs against `durable-devkit start --grpc` or the Durable Task Scheduler
 * emulator: both answer on the connection string the app uses by default.
 */
import * as path from "node:path";
import { capitalized, packageNameFor, render, ScaffoldError, TOOLCHAIN_VERSIONS, type Language } from "./template-files";

/** Versions the durabletask templates are tested with (test/templates/durabletask-templates.test.ts runs them). */
export const DURABLE_TASK_PINNED_VERSIONS = {
  "@microsoft/durabletask-js": "0.4.0",
  // src/connection.ts builds the taskhub header with grpc-js's Metadata class, and grpc-js recognises metadata with
  // instanceof: the range is the SDK's own, so npm installs the one copy both use.
  "@grpc/grpc-js": "^1.14.4",
  ...TOOLCHAIN_VERSIONS,
};

/** The app's own modules in src/: a pattern named like one would overwrite it. */
const APP_MODULES = ["worker", "connection"];

export interface DurableTaskAppOptions {
  patternId: string;
  name: string;
  language: Language;
  dir: string;
  /** Write the app around the pattern too (the folder has no app yet). */
  withApp: boolean;
}

/** How to run the app's worker and a pattern's client: node on the compiled file (TypeScript) or the source (JavaScript). */
export function durableTaskCommands(name: string, language: Language): { worker: string; client: string } {
  const folder = language === "ts" ? "dist" : "src";
  return { worker: `node ${folder}/worker.js`, client: `node ${folder}/${name}-client.js` };
}

/** What registers a pattern's module in src/worker.ts (or .js), as the worker template does for the first one. */
export function durableTaskRegistration(name: string, language: Language): string {
  const register = `register${capitalized(name)}`;
  const load = language === "ts" ? `import { register as ${register} } from "./${name}";` : `const { register: ${register} } = require("./${name}");`;
  return `${load} ${register}(worker);`;
}

/** The planned files, relative to the app folder, and their contents; the pattern's module first. */
export function durableTaskAppFiles(options: DurableTaskAppOptions): Map<string, string> {
  const { patternId, name, language } = options;
  if (APP_MODULES.includes(name)) {
    throw new ScaffoldError(`"${name}" is the name of the app's own src/${name}.${language} in a Durable Task SDK app; choose another name.`);
  }
  const planned = new Map<string, string>();
  planned.set(path.join("src", `${name}.${language}`), render(path.join("durabletask", "patterns", `${patternId}.${language}.tmpl`), name));
  planned.set(path.join("src", `${name}-client.${language}`), render(path.join("durabletask", "clients", `${patternId}.${language}.tmpl`), name));
  if (!options.withApp) return planned;
  planned.set(path.join("src", `worker.${language}`), render(path.join("durabletask", "app", `worker.${language}.tmpl`), name));
  planned.set(path.join("src", `connection.${language}`), render(path.join("durabletask", "app", `connection.${language}.tmpl`), name));
  planned.set("package.json", packageJson(options));
  planned.set(".gitignore", render(path.join("durabletask", "app", "gitignore.tmpl"), name));
  if (language === "ts") planned.set("tsconfig.json", render(path.join("durabletask", "app", "tsconfig.json.tmpl"), name));
  return planned;
}

function packageJson({ name, language, dir }: DurableTaskAppOptions): string {
  const commands = durableTaskCommands(name, language);
  const manifest = {
    name: packageNameFor(dir),
    version: "1.0.0",
    private: true,
    // CommonJS in both languages: the TypeScript compiles to it, and the JavaScript uses require like the SDK's samples.
    type: "commonjs",
    main: language === "ts" ? "dist/worker.js" : "src/worker.js",
    scripts: {
      ...(language === "ts" ? { build: "tsc", prestart: "tsc", preclient: "tsc" } : {}),
      start: commands.worker,
      client: commands.client,
      emulator: "durable-devkit start --grpc",
    },
    dependencies: {
      "@microsoft/durabletask-js": DURABLE_TASK_PINNED_VERSIONS["@microsoft/durabletask-js"],
      "@grpc/grpc-js": DURABLE_TASK_PINNED_VERSIONS["@grpc/grpc-js"],
    },
    ...(language === "ts"
      ? { devDependencies: { "@types/node": DURABLE_TASK_PINNED_VERSIONS["@types/node"], typescript: DURABLE_TASK_PINNED_VERSIONS.typescript } }
      : {}),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}
