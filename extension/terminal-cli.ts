/**
 * `durable-devkit` in VS Code's terminals: the extension's bundled CLI behind a small launcher in its storage folder,
 * put first on the terminals' PATH, so the commands the templates' comments show work there without an install. The
 * launcher runs the CLI on the Node.js the extension runs the app on (`node` on PATH, the setting, or VS Code's own).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { bundledCli } from "./emulator-process";
import type { NodeRuntime } from "./node-runtime";

export function putCliOnTerminalPath(extension: vscode.ExtensionContext, runtime: NodeRuntime): void {
  const dir = path.join(extension.globalStorageUri.fsPath, "bin");
  fs.mkdirSync(dir, { recursive: true });
  const cli = bundledCli(extension.extensionPath);
  if (process.platform === "win32") {
    const env = Object.entries(runtime.env)
      .map(([name, value]) => `set "${name}=${value}"\r\n`)
      .join("");
    fs.writeFileSync(path.join(dir, "durable-devkit.cmd"), `@echo off\r\nsetlocal\r\n${env}"${runtime.path}" "${cli}" %*\r\n`);
  } else {
    const env = Object.entries(runtime.env)
      .map(([name, value]) => `${name}=${quote(value)} `)
      .join("");
    const launcher = path.join(dir, "durable-devkit");
    fs.writeFileSync(
      launcher,
      `#!/bin/sh\n# Written by the Durable Devkit extension: its bundled CLI.\n${env}exec ${quote(runtime.path)} ${quote(cli)} "$@"\n`,
    );
    fs.chmodSync(launcher, 0o755);
  }
  extension.environmentVariableCollection.description = "Puts the `durable-devkit` command on the PATH";
  extension.environmentVariableCollection.prepend("PATH", `${dir}${path.delimiter}`);
}

function quote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
