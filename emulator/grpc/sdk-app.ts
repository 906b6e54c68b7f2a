/**
 * Which Durable Task SDK a folder's app is built on, read from the file its build names the SDK in. `start` in such a
 * folder (no host.json: not a Functions app) serves the gRPC protocol without being asked, since that is all the
 * app needs from the emulator — and the VS Code extension, which runs `start`, works there unchanged.
 */
import * as fs from "node:fs";
import * as path from "node:path";

function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

function npmSdk(dir: string): string | undefined {
  const text = read(path.join(dir, "package.json"));
  if (!text) return undefined;
  let manifest: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  try {
    manifest = JSON.parse(text) as typeof manifest;
  } catch {
    return undefined;
  }
  const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
  return names.find((name) => name === "@microsoft/durabletask-js" || name === "@dapr/durabletask-js" || name.startsWith("@microsoft/durabletask-js-"));
}

/** The SDK's package name, or undefined when the folder's build names none. */
export function durableTaskSdkOf(dir: string): string | undefined {
  const npm = npmSdk(dir);
  if (npm) return npm;
  for (const file of ["requirements.txt", "pyproject.toml"]) if (/^\s*"?durabletask\b/m.test(read(path.join(dir, file)) ?? "")) return "durabletask (Python)";
  let entries: string[] = [];
  try {
    entries = fs.readdirSync(dir);
  } catch {
    return undefined;
  }
  if (entries.some((entry) => entry.endsWith(".csproj") && /Include="Microsoft\.DurableTask\./.test(read(path.join(dir, entry)) ?? "")))
    return "Microsoft.DurableTask (.NET)";
  for (const file of ["pom.xml", "build.gradle", "build.gradle.kts"])
    if (/durabletask-client/.test(read(path.join(dir, file)) ?? "")) return "durabletask-client (Java)";
  return undefined;
}
