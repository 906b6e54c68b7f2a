/**
 * The scaffolding engine behind `durable-devkit new` (and the extension's command palette): writes one of the six
 * orchestration patterns into src/functions/ of a Functions v4 app, and the app's skeleton when the folder has no
 * app yet; or, with sdk "durabletask", into an app on the Durable Task SDK (templates/durabletask-app.ts). It checks
 * everything before writing anything, never overwrites a file unless forced, and reports each file it wrote.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { durableTaskAppFiles } from "./durabletask-app";
import { packageNameFor, render, ScaffoldError, TOOLCHAIN_VERSIONS, writePlanned, type Language } from "./template-files";

export { ScaffoldError, type Language } from "./template-files";

/** functions: an Azure Functions app on durable-functions; durabletask: an app on @microsoft/durabletask-js. */
export type Sdk = "functions" | "durabletask";
export const SDKS: readonly Sdk[] = ["functions", "durabletask"];

export interface Pattern {
  id: string;
  title: string;
  /** One line for `new --list`. */
  description: string;
  defaultName: string;
}

export const PATTERNS: readonly Pattern[] = [
  { id: "function-chaining", title: "Function chaining", description: "steps in order, each result feeding the next", defaultName: "helloSequence" },
  { id: "fan-out-fan-in", title: "Fan-out/fan-in", description: "the same work on many items in parallel, then one result", defaultName: "fanOutFanIn" },
  { id: "async-http-api", title: "Async HTTP API", description: "start long work over HTTP, answer 202 with status URLs to poll", defaultName: "asyncHttpApi" },
  {
    id: "human-interaction",
    title: "Human interaction",
    description: "wait for an approval event, or time out with a durable timer",
    defaultName: "approvalWorkflow",
  },
  { id: "aggregator", title: "Aggregator", description: "a durable entity that aggregates values signalled over time", defaultName: "aggregator" },
  { id: "external-events", title: "External events", description: "pause until outside events arrive, in any order", defaultName: "orderEvents" },
];

/** Versions the templates are tested with (the emulator's own test suite runs them). */
export const PINNED_VERSIONS = { "@azure/functions": "4.16.5", "durable-functions": "3.5.0", ...TOOLCHAIN_VERSIONS };

export interface ScaffoldOptions {
  pattern: string;
  /** A JavaScript identifier; function names derive from it. Default: the pattern's default name. */
  name?: string;
  /** Default: the existing app's language, else TypeScript. */
  language?: Language;
  dir: string;
  force?: boolean;
  /** Default: functions. */
  sdk?: Sdk;
}

export interface ScaffoldResult {
  pattern: Pattern;
  sdk: Sdk;
  name: string;
  language: Language;
  appCreated: boolean;
  /** Every file written, relative to the target folder. */
  files: string[];
}

const RESERVED = new Set(
  "break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await arguments eval".split(
    " ",
  ),
);

export function validateName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new ScaffoldError(`"${name}" is not a valid name: use letters, digits and _, starting with a letter (e.g. processOrders).`);
  }
  if (name.length > 60) throw new ScaffoldError(`"${name}" is too long: function names derived from it must stay under 128 characters; use at most 60.`);
  if (RESERVED.has(name)) throw new ScaffoldError(`"${name}" is a JavaScript reserved word; choose another name.`);
}

function findPattern(id: string): Pattern {
  const pattern = PATTERNS.find((p) => p.id === id || p.id.replace(/-/g, "") === id.toLowerCase().replace(/[-_ ]/g, ""));
  if (!pattern) throw new ScaffoldError(`Unknown pattern "${id}". The patterns: ${PATTERNS.map((p) => p.id).join(", ")} (see \`durable-devkit new --list\`).`);
  return pattern;
}

function functionsPackageJson(dir: string, language: Language): string {
  const manifest = {
    name: packageNameFor(dir),
    version: "1.0.0",
    private: true,
    main: language === "ts" ? "dist/src/functions/*.js" : "src/functions/*.js",
    scripts:
      language === "ts"
        ? { build: "tsc", watch: "tsc -w", start: "func start", local: "durable-devkit start --watch" }
        : { start: "func start", local: "durable-devkit start --watch" },
    dependencies: { "@azure/functions": PINNED_VERSIONS["@azure/functions"], "durable-functions": PINNED_VERSIONS["durable-functions"] },
    ...(language === "ts" ? { devDependencies: { "@types/node": PINNED_VERSIONS["@types/node"], typescript: PINNED_VERSIONS.typescript } } : {}),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/**
 * Which SDK the app already in dir is on: durabletask when its package.json depends on @microsoft/durabletask-js and
 * there is no host.json, functions for any other package.json (as before there were two), none without one.
 */
function existingApp(dir: string): Sdk | undefined {
  const manifestFile = path.join(dir, "package.json");
  if (!fs.existsSync(manifestFile)) return undefined;
  if (fs.existsSync(path.join(dir, "host.json"))) return "functions";
  let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
  } catch {
    return "functions";
  }
  const dependsOn = { ...manifest.dependencies, ...manifest.devDependencies };
  return "@microsoft/durabletask-js" in dependsOn ? "durabletask" : "functions";
}

export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const sdk = options.sdk ?? "functions";
  if (!SDKS.includes(sdk)) throw new ScaffoldError(`Unknown SDK "${sdk}": ${SDKS.join(" or ")}.`);
  const pattern = findPattern(options.pattern);
  const name = options.name ?? pattern.defaultName;
  validateName(name);
  const dir = path.resolve(options.dir);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new ScaffoldError(`${dir} is a file, not a folder.`);
  const appSdk = existingApp(dir);
  const hasApp = appSdk !== undefined;
  if (appSdk === "durabletask" && sdk === "functions") {
    throw new ScaffoldError(
      `The app in ${dir} is on the Durable Task SDK (its package.json depends on @microsoft/durabletask-js, and it has no host.json): add --sdk durabletask, or use a separate folder for a Functions app.`,
    );
  }
  if (appSdk === "functions" && sdk === "durabletask") {
    throw new ScaffoldError(
      `The app in ${dir} is not on the Durable Task SDK (${fs.existsSync(path.join(dir, "host.json")) ? "it has host.json" : "its package.json does not depend on @microsoft/durabletask-js"}): use a new folder for --sdk durabletask.`,
    );
  }
  const appIsTypeScript = fs.existsSync(path.join(dir, "tsconfig.json"));
  const language = options.language ?? (hasApp && !appIsTypeScript ? "js" : "ts");
  if (hasApp && appIsTypeScript && language === "js") {
    throw new ScaffoldError(`The app in ${dir} is TypeScript (it has tsconfig.json): use --lang ts, or a separate folder for JavaScript.`);
  }
  if (hasApp && !appIsTypeScript && language === "ts") {
    throw new ScaffoldError(`The app in ${dir} is JavaScript (no tsconfig.json): use --lang js, or a separate folder for TypeScript.`);
  }

  const planned =
    sdk === "durabletask"
      ? durableTaskAppFiles({ patternId: pattern.id, name, language, dir, withApp: !hasApp })
      : functionsAppFiles(pattern, name, language, dir, hasApp);
  writePlanned(dir, planned, options.force === true);
  return { pattern, sdk, name, language, appCreated: !hasApp, files: [...planned.keys()] };
}

function functionsAppFiles(pattern: Pattern, name: string, language: Language, dir: string, hasApp: boolean): Map<string, string> {
  const planned = new Map<string, string>();
  planned.set(path.join("src", "functions", `${name}.${language}`), render(path.join("patterns", `${pattern.id}.${language}.tmpl`), name));
  if (!hasApp) {
    planned.set("package.json", functionsPackageJson(dir, language));
    planned.set("host.json", render(path.join("app", "host.json.tmpl"), name));
    planned.set("local.settings.json", render(path.join("app", "local.settings.json.tmpl"), name));
    planned.set(".gitignore", render(path.join("app", "gitignore.tmpl"), name));
    planned.set(".funcignore", render(path.join("app", `funcignore-${language}.tmpl`), name));
    if (language === "ts") planned.set("tsconfig.json", render(path.join("app", "tsconfig.json.tmpl"), name));
  }
  return planned;
}
