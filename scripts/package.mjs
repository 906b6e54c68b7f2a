// `npm run package`: bundles the extension and everything it starts with esbuild into out/, then writes the VSIX with
// @vscode/vsce. The bundles carry their dependencies (no node_modules in the VSIX, nothing downloaded at install or run
// time) and no native binaries, so one VSIX serves every platform. Prints the VSIX's path and size.
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";

const OUT = "out";
rmSync(OUT, { recursive: true, force: true });

const node = {
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  minify: true,
  sourcemap: false,
  logLevel: "warning",
  // esbuild is native and optional: without it the emulator compiles TypeScript apps with the app's own TypeScript.
  external: ["vscode", "esbuild"],
  // The app host requires the user's own packages by computed path; those stay require() calls on purpose.
  logOverride: { "unsupported-require-call": "silent", "unsupported-dynamic-import": "silent" },
};
await Promise.all([
  // The extension host side: commands, views, the language client and the replay debugger (inline adapter).
  build({ ...node, entryPoints: ["extension/extension.ts"], outfile: join(OUT, "extension.js") }),
  // The emulator the extension runs as a child process (`node out/cli.js start …`), and the app host it forks.
  build({ ...node, entryPoints: ["cli/run.ts"], outfile: join(OUT, "cli.js") }),
  build({ ...node, entryPoints: ["emulator/app-host/worker-main.ts"], outfile: join(OUT, "worker-main.js") }),
  // What `replay` preloads into a Durable Task SDK app's worker (it requires the app's own SDK, never a bundled one).
  build({ ...node, entryPoints: ["emulator/replay/sdk-replay-preload.ts"], outfile: join(OUT, "sdk-replay-preload.js") }),
  // Browser code: the history webview and the emulator's dashboard.
  build({
    entryPoints: ["extension/webview/history-view.ts"],
    outfile: join(OUT, "webview", "history-view.js"),
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    minify: true,
    logLevel: "warning",
  }),
  build({
    entryPoints: ["emulator/dashboard/app.ts"],
    outfile: join(OUT, "dashboard", "app.js"),
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    minify: true,
    logLevel: "warning",
  }),
]);
copyFileSync("extension/webview/history-view.css", join(OUT, "webview", "history-view.css"));
for (const file of ["index.html", "styles.css"]) copyFileSync(join("emulator", "dashboard", file), join(OUT, "dashboard", file));
// sql.js looks for its WebAssembly beside the script that loads it.
copyFileSync(join("node_modules", "sql.js", "dist", "sql-wasm.wasm"), join(OUT, "sql-wasm.wasm"));

const { name, version } = JSON.parse(readFileSync("package.json", "utf8"));
mkdirSync(".vsix", { recursive: true });
const vsix = join(".vsix", `${name}-${version}.vsix`);
// --no-dependencies: the bundles hold everything; vsce would otherwise walk node_modules.
execFileSync(
  process.execPath,
  [
    "node_modules/@vscode/vsce/vsce",
    "package",
    "--no-dependencies",
    "--allow-missing-repository",
    "--skip-license",
    "--readme-path",
    "extension/README.md",
    "-o",
    vsix,
  ],
  { stdio: "inherit" },
);

const sizeOf = (path) => (statSync(path).isDirectory() ? readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0) : statSync(path).size);
const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
console.log(`VSIX: ${vsix}, ${mb(statSync(vsix).size)} (bundles in out/: ${mb(sizeOf(OUT))}; target < 10 MB)`);
