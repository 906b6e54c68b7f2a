/**
 * The scaffolding engine behind `durable-devkit new` (and, later, the extension's command palette): writes one of the
 * six orchestration patterns into src/functions/ of a Functions v4 app, and the app's skeleton when the folder has no
 * app yet. It checks everything before writing anything, never overwrites a file unless forced, and reports each
 * file it wrote.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type Language = "ts" | "js";

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
export const PINNED_VERSIONS = { "@azure/functions": "4.16.5", "durable-functions": "3.5.0", typescript: "^6.0.3", "@types/node": "^20.19.0" };

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

export interface ScaffoldOptions {
  pattern: string;
  /** A JavaScript identifier; function names derive from it. Default: the pattern's default name. */
  name?: string;
  /** Default: the existing app's language, else TypeScript. */
  language?: Language;
  dir: string;
  force?: boolean;
}

export interface ScaffoldResult {
  pattern: Pattern;
  name: string;
  language: Language;
  appCreated: boolean;
  /** Every file written, relative to the target folder. */
  files: string[];
}

// dist/templates → templates/ in the repository and the npm package; out/ → templates/ inside the extension.
const TEMPLATES =
  [path.resolve(__dirname, "..", "..", "templates"), path.resolve(__dirname, "..", "templates")].find((dir) => fs.existsSync(path.join(dir, "patterns"))) ??
  path.resolve(__dirname, "..", "..", "templates");
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

function render(template: string, name: string): string {
  return fs.readFileSync(path.join(TEMPLATES, template), "utf8").replace(/\{\{name\}\}/g, name);
}

function packageJson(dir: string, language: Language): string {
  const appName =
    path
      .basename(path.resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "durable-app";
  const manifest = {
    name: appName,
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

export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const pattern = findPattern(options.pattern);
  const name = options.name ?? pattern.defaultName;
  validateName(name);
  const dir = path.resolve(options.dir);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new ScaffoldError(`${dir} is a file, not a folder.`);
  const hasApp = fs.existsSync(path.join(dir, "package.json"));
  const appIsTypeScript = fs.existsSync(path.join(dir, "tsconfig.json"));
  const language = options.language ?? (hasApp && !appIsTypeScript ? "js" : "ts");
  if (hasApp && appIsTypeScript && language === "js") {
    throw new ScaffoldError(`The app in ${dir} is TypeScript (it has tsconfig.json): use --lang ts, or a separate folder for JavaScript.`);
  }
  if (hasApp && !appIsTypeScript && language === "ts") {
    throw new ScaffoldError(`The app in ${dir} is JavaScript (no tsconfig.json): use --lang js, or a separate folder for TypeScript.`);
  }

  const planned = new Map<string, string>();
  planned.set(path.join("src", "functions", `${name}.${language}`), render(path.join("patterns", `${pattern.id}.${language}.tmpl`), name));
  if (!hasApp) {
    planned.set("package.json", packageJson(dir, language));
    planned.set("host.json", render(path.join("app", "host.json.tmpl"), name));
    planned.set("local.settings.json", render(path.join("app", "local.settings.json.tmpl"), name));
    planned.set(".gitignore", render(path.join("app", "gitignore.tmpl"), name));
    planned.set(".funcignore", render(path.join("app", `funcignore-${language}.tmpl`), name));
    if (language === "ts") planned.set("tsconfig.json", render(path.join("app", "tsconfig.json.tmpl"), name));
  }
  const existing = [...planned.keys()].filter((file) => fs.existsSync(path.join(dir, file)));
  if (existing.length && !options.force) {
    throw new ScaffoldError(
      `Nothing was written: ${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""} in ${dir}. Choose another --name, or --force to overwrite.`,
    );
  }
  for (const [file, content] of planned) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
  return { pattern, name, language, appCreated: !hasApp, files: [...planned.keys()] };
}
