/** `npm install` in a newly scaffolded app, with progress; its output goes to the log. */
import { spawn } from "node:child_process";
import * as vscode from "vscode";
import { log } from "../output";

/** Resolves true when npm succeeded; false (after saying what to do) when it failed, was missing or was cancelled. */
export function installDependencies(dir: string): Thenable<boolean> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Installing the app's dependencies (npm install)…", cancellable: true },
    (_progress, token) =>
      new Promise<boolean>((resolve) => {
        log().appendLine(`> npm install (in ${dir})`);
        // npm is a .cmd script on Windows, which only a shell can run.
        const child = spawn("npm", ["install", "--no-audit", "--no-fund"], {
          cwd: dir,
          shell: process.platform === "win32",
          stdio: ["ignore", "pipe", "pipe"],
        });
        child.stdout.on("data", (chunk: Buffer) => log().append(chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => log().append(chunk.toString()));
        token.onCancellationRequested(() => child.kill());
        const fail = (why: string) => {
          log().appendLine(`[error] npm install: ${why}`);
          void vscode.window
            .showWarningMessage(`npm install did not finish (${why}). Run \`npm install\` in ${dir} before running the app.`, "Open Log")
            .then((choice) => choice && log().show(true));
          resolve(false);
        };
        child.on("error", (error) => fail(`npm could not start: ${error.message}; is Node.js with npm installed?`));
        child.on("exit", (code, signal) =>
          code === 0 ? resolve(true) : fail(token.isCancellationRequested ? "cancelled" : signal ? `stopped by ${signal}` : `exit code ${code}`),
        );
      }),
  );
}
