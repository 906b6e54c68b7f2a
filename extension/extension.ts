/**
 * The VS Code extension: it only wires the parts together. Commands and views talk to the emulator over HTTP, the
 * `durable` debugger runs the replay debugger in-process, and the language client starts the determinism checker.
 */
import * as vscode from "vscode";
import type { LanguageClient } from "vscode-languageclient/node";
import { DevkitContext } from "./devkit-context";
import { createStatusBar } from "./status-bar";
import { registerInstanceCommands } from "./commands/instance-commands";
import { newOrchestrationFromPattern } from "./commands/scaffold-command";
import { registerDebugger } from "./debug/debug-setup";
import { startLanguageClient } from "./language-client";
import { log, showError } from "./output";
import { trackDebugWalkthroughSteps } from "./walkthrough-steps";
import { putCliOnTerminalPath } from "./terminal-cli";

let languageClient: LanguageClient | undefined;

export function activate(extension: vscode.ExtensionContext): { context: DevkitContext } {
  const context = new DevkitContext(extension.extensionPath, extension.workspaceState);
  extension.subscriptions.push(
    context,
    log(),
    createStatusBar(context.emulator.onDidChange, context.reloadProblems.onDidChange),
    vscode.window.registerTreeDataProvider("durableDevkit.functions", context.functionsView),
    vscode.window.registerTreeDataProvider("durableDevkit.instances", context.instancesView),
    vscode.commands.registerCommand("durableDevkit.newFromPattern", async () => {
      try {
        await newOrchestrationFromPattern();
      } catch (error) {
        await showError("New Orchestration from Pattern failed", error);
      }
    }),
    ...registerInstanceCommands(context),
    ...registerDebugger(context),
    trackDebugWalkthroughSteps(),
  );
  if (vscode.workspace.getConfiguration("durableDevkit").get<boolean>("languageServer.enabled") !== false) {
    languageClient = startLanguageClient(extension.extensionPath);
  }
  // After activation: resolving the runtime runs `node --version`, which need not hold up the editor.
  setImmediate(() => {
    try {
      putCliOnTerminalPath(extension, context.runtime());
    } catch (error) {
      log().appendLine(`[warning] durable-devkit is not on the terminals' PATH: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
  log().appendLine(`Durable Devkit ${String(extension.extension.packageJSON.version)} is active.`);
  return { context };
}

export async function deactivate(): Promise<void> {
  await languageClient?.stop();
}
