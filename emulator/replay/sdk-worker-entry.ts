/**
 * Which file of a Durable Task SDK app starts its worker, for `replay` to run: the one named with --worker, else the
 * one the app's package.json says starts it (`main`, as `durable-devkit new --sdk durabletask` writes it, else the
 * file its `start` script runs with node). The orchestrators are registered on the worker in that file (or in what it
 * requires), so running it is how replay gets the app's current code registered as the app registers it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SdkWorkerError } from "./sdk-worker-error";

export interface WorkerEntry {
  file: string;
  /** Where the name came from, for messages: "--worker", "package.json main", "package.json scripts.start". */
  from: string;
}

/** Node options that take their value as the next argument (`node -r ./tracing.js dist/worker.js`). */
const NODE_OPTIONS_WITH_VALUE = new Set(["-r", "--require", "--import", "--loader", "--experimental-loader", "-C", "--conditions", "--env-file", "--title"]);

/** The file a start script runs with node: the first non-option argument of its `node` command. */
export function fileRunByNode(script: string): string | undefined {
  for (const command of script.split(/&&|\|\||;/)) {
    const words = command.trim().split(/\s+/);
    // Variable assignments before the command (`NODE_ENV=production node dist/worker.js`).
    while (words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0])) words.shift();
    if (words[0] !== "node") continue;
    for (let i = 1; i < words.length; i++) {
      const word = words[i];
      if (NODE_OPTIONS_WITH_VALUE.has(word)) i++;
      else if (!word.startsWith("-")) return word.replace(/^["']|["']$/g, "");
    }
  }
  return undefined;
}

/** The file Node runs for a path as written (`dist/worker` is dist/worker.js, a folder its index.js). */
function resolveScript(file: string): string | undefined {
  try {
    return require.resolve(file);
  } catch {
    return undefined;
  }
}

export function findWorkerEntry(appDir: string, worker?: string): WorkerEntry {
  if (worker) {
    const file = path.resolve(worker);
    if (!fs.existsSync(file) || fs.statSync(file).isDirectory())
      throw new SdkWorkerError(`There is no worker entry file at ${worker} (--worker names the file that starts the app's TaskHubGrpcWorker).`);
    return { file, from: "--worker" };
  }
  let manifest: { main?: unknown; scripts?: Record<string, unknown> } = {};
  try {
    manifest = JSON.parse(fs.readFileSync(path.join(appDir, "package.json"), "utf8")) as typeof manifest;
  } catch {
    // No readable package.json: nothing names the entry, said below.
  }
  const candidates: { name: string; from: string }[] = [];
  if (typeof manifest.main === "string" && manifest.main) candidates.push({ name: manifest.main, from: "package.json main" });
  const start = typeof manifest.scripts?.start === "string" ? fileRunByNode(manifest.scripts.start) : undefined;
  if (start) candidates.push({ name: start, from: "package.json scripts.start" });
  if (!candidates.length) {
    throw new SdkWorkerError(
      `Cannot tell which file starts the worker of the app in ${appDir}: its package.json has no "main" and its "start" script runs no file with node. ` +
        "Name the file that starts the TaskHubGrpcWorker with --worker FILE.",
    );
  }
  for (const candidate of candidates) {
    const file = resolveScript(path.resolve(appDir, candidate.name));
    if (file) return { file, from: candidate.from };
  }
  const first = candidates[0];
  throw new SdkWorkerError(
    `The worker entry ${first.name} (${first.from}) does not exist in ${appDir}. ` +
      (first.name.includes("dist")
        ? "Build the app first (npm run build), or name the worker file with --worker FILE."
        : "Name the worker file with --worker FILE."),
  );
}
