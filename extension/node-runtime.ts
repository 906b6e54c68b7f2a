/**
 * Which Node.js runs the user's app: the `durableDevkit.nodePath` setting, else the `node` on PATH (what `func start`
 * would use), else VS Code's own runtime in Node mode. The choice is reported, so a version surprise is explained.
 */
import { execFileSync } from "node:child_process";

export interface NodeRuntime {
  path: string;
  version: string;
  /** Environment the runtime needs (VS Code's own runtime runs as Node only with ELECTRON_RUN_AS_NODE). */
  env: Record<string, string>;
  source: "setting" | "PATH" | "VS Code";
}

const MIN_MAJOR = 20;

function versionOf(executable: string, env: Record<string, string> = {}): string | undefined {
  try {
    return execFileSync(executable, ["--version"], { encoding: "utf8", timeout: 5000, env: { ...process.env, ...env } }).trim();
  } catch {
    return undefined;
  }
}

function majorOf(version: string): number {
  return Number(/^v(\d+)/.exec(version)?.[1] ?? 0);
}

/** Resolves the runtime; throws with what to do when the configured one does not work. */
export function resolveNodeRuntime(configured: string | undefined): NodeRuntime {
  if (configured) {
    const version = versionOf(configured);
    if (!version)
      throw new Error(
        `The setting durableDevkit.nodePath is "${configured}", which does not run. Point it at a Node.js ${MIN_MAJOR}+ executable, or clear it to use the node on PATH.`,
      );
    if (majorOf(version) < MIN_MAJOR)
      throw new Error(`durableDevkit.nodePath runs Node.js ${version}; durable-functions v3 needs Node.js ${MIN_MAJOR} or newer.`);
    return { path: configured, version, env: {}, source: "setting" };
  }
  const onPath = versionOf("node");
  if (onPath && majorOf(onPath) >= MIN_MAJOR) return { path: "node", version: onPath, env: {}, source: "PATH" };
  const env = { ELECTRON_RUN_AS_NODE: "1" };
  return { path: process.execPath, version: process.version, env, source: "VS Code" };
}

export function describeRuntime(runtime: NodeRuntime): string {
  switch (runtime.source) {
    case "setting":
      return `Node.js ${runtime.version} from the durableDevkit.nodePath setting (${runtime.path})`;
    case "PATH":
      return `Node.js ${runtime.version} from PATH, as func start would use`;
    default:
      return `VS Code's own runtime in Node mode (${runtime.version}): no Node.js ${MIN_MAJOR}+ on PATH. Install Node.js ${MIN_MAJOR}+ or set durableDevkit.nodePath to run your app as Azure will`;
  }
}
