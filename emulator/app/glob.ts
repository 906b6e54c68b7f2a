/**
 * The small glob dialect Functions apps use in package.json "main" (`*`, `**`, `?`, `{a,b}`). Node 20 has no
 * fs.glob, and this is all the matching the loader needs.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export function globToRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i];
    if (char === "*") {
      if (pattern[i + 1] === "*") {
        const followedBySlash = pattern[i + 2] === "/";
        source += followedBySlash ? "(?:.*/)?" : ".*";
        i += followedBySlash ? 2 : 1;
      } else {
        source += "[^/]*";
      }
    } else if (char === "?") {
      source += "[^/]";
    } else if (char === "{") {
      const close = pattern.indexOf("}", i);
      if (close < 0) {
        source += "\\{";
        continue;
      }
      const options = pattern
        .slice(i + 1, close)
        .split(",")
        .map((option) => option.replace(/[.+^$()|[\]\\]/g, "\\$&"));
      source += `(?:${options.join("|")})`;
      i = close;
    } else {
      source += char.replace(/[.+^$()|[\]\\{}]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}

const SKIPPED_FOLDERS = new Set(["node_modules", ".git", ".durable", ".vscode"]);

/** Every file under `root`, as a relative path with forward slashes, skipping dependency and tool folders. */
export function walkFiles(root: string): string[] {
  const files: string[] = [];
  const visit = (relative: string) => {
    for (const entry of fs.readdirSync(path.join(root, relative), { withFileTypes: true })) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) visit(child);
      } else if (entry.isFile()) {
        files.push(child);
      }
    }
  };
  visit("");
  return files;
}
