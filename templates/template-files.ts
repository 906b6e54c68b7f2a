/**
 * What both kinds of app the scaffolder writes (Functions apps, Durable Task SDK apps) share: where the template
 * files are, how one becomes source, the npm name of the app folder, and writing a planned set of files all or none.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type Language = "ts" | "js";

/** The TypeScript toolchain the generated TypeScript apps build with, in either kind of app. */
export const TOOLCHAIN_VERSIONS = { typescript: "^6.0.3", "@types/node": "^20.19.0" };

export class ScaffoldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ScaffoldError";
  }
}

// dist/templates → templates/ in the repository and the npm package; out/ → templates/ inside the extension.
const TEMPLATES =
  [path.resolve(__dirname, "..", "..", "templates"), path.resolve(__dirname, "..", "templates")].find((dir) => fs.existsSync(path.join(dir, "patterns"))) ??
  path.resolve(__dirname, "..", "..", "templates");

/** A template under templates/ with {{name}} replaced by the name, and {{Name}} by the name capitalized (for class names). */
export function render(template: string, name: string): string {
  return fs
    .readFileSync(path.join(TEMPLATES, template), "utf8")
    .replace(/\{\{name\}\}/g, name)
    .replace(/\{\{Name\}\}/g, capitalized(name));
}

export function capitalized(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

/** The folder's name as an npm package name. */
export function packageNameFor(dir: string): string {
  return (
    path
      .basename(path.resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "durable-app"
  );
}

/**
 * Writes every planned file (paths relative to dir), or none of them when any exists and force is not set, so a
 * refusal never leaves half an app behind.
 */
export function writePlanned(dir: string, planned: ReadonlyMap<string, string>, force: boolean): void {
  const existing = [...planned.keys()].filter((file) => fs.existsSync(path.join(dir, file)));
  if (existing.length && !force) {
    throw new ScaffoldError(
      `Nothing was written: ${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""} in ${dir}. Choose another --name, or --force to overwrite.`,
    );
  }
  for (const [file, content] of planned) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), content);
  }
}
