// Compiles every TypeScript source of the tools (not the fixtures) into dist/, one output file per source file,
// with source maps so stack traces point at .ts lines. Type checking is `npm run typecheck` (tsc --noEmit).
import { build } from "esbuild";
import { readdirSync, statSync, rmSync, copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const roots = ["emulator", "cli", "templates", "language-server", "debug-adapter", "extension", "test", "bench"];
// The dashboard and the history webview are browser code, each bundled below (the VSIX has scripts/package.mjs's
// bundles). (extension/ is compiled for the extension-host tests; the VSIX uses the bundles in out/.)
const skip = new Set(["fixtures", "node_modules", "dashboard", "webview"]);

function collect(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!skip.has(name)) collect(path, out);
    } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
      out.push(path);
    }
  }
  return out;
}

rmSync("dist", { recursive: true, force: true });
const entryPoints = roots.flatMap((root) => collect(root, []));
await build({
  entryPoints,
  outdir: "dist",
  outbase: ".",
  platform: "node",
  format: "cjs",
  target: "node20",
  sourcemap: true,
  logLevel: "warning",
});

// The dashboard: one browser bundle, plus its page and styles, served by the emulator from dist/emulator/dashboard.
/** A page's script, bundled for the browser (the dashboard; the history webview as the VSIX bundles it). */
const browserBundle = (entry, outfile) =>
  build({ entryPoints: [entry], outfile, bundle: true, platform: "browser", format: "iife", target: "es2022", sourcemap: true, logLevel: "warning" });

await browserBundle("emulator/dashboard/app.ts", "dist/emulator/dashboard/app.js");
mkdirSync("dist/emulator/dashboard", { recursive: true });
for (const file of ["index.html", "styles.css"]) copyFileSync(join("emulator/dashboard", file), join("dist/emulator/dashboard", file));

// The history webview, bundled as scripts/package.mjs bundles it for the VSIX, so a browser test can load the page.
await browserBundle("extension/webview/history-view.ts", "dist/extension/webview/history-view.js");
copyFileSync("extension/webview/history-view.css", "dist/extension/webview/history-view.css");
