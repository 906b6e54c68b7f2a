/** The extension's log (an output channel) and error messages that point to it. */
import * as vscode from "vscode";

/** Thrown when a command cannot go on and the user has already been told why. */
export class CancelledError extends Error {}

let channel: vscode.OutputChannel | undefined;

export function log(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel("Durable Devkit");
  return channel;
}

/** Shows an actionable error with a button to the log; the full text goes to the log. */
export async function showError(message: string, error?: unknown): Promise<void> {
  if (error instanceof CancelledError) return;
  const detail = error instanceof Error ? error.message : error === undefined ? "" : String(error);
  log().appendLine(`[error] ${message}${detail ? `: ${detail}` : ""}`);
  const choice = await vscode.window.showErrorMessage(detail ? `${message}: ${detail}` : message, "Open Log");
  if (choice === "Open Log") log().show(true);
}
