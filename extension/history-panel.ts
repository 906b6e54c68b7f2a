/**
 * "Show History": a webview with the dashboard's timeline, the instance's data and the event table (history-page.ts),
 * refreshed while the instance runs. The instance is in this window's emulator, or in a debug session's.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { DevkitContext } from "./devkit-context";
import type { EmulatorClient } from "./emulator-client";
import { historyMessage } from "./history-message";
import { historyPageHtml } from "./history-page";

export async function showHistoryPanel(context: DevkitContext, instanceId: string, from?: EmulatorClient): Promise<vscode.WebviewPanel> {
  const client = from ?? (await context.ensureEmulator());
  const root = vscode.Uri.file(context.extensionRoot);
  const media = vscode.Uri.joinPath(root, "out", "webview");
  const panel = vscode.window.createWebviewPanel("durableDevkit.history", `History ${instanceId.slice(0, 8)}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [media],
  });
  panel.webview.html = historyPageHtml({
    cspSource: panel.webview.cspSource,
    nonce: randomBytes(16).toString("base64"),
    scriptUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, "history-view.js")).toString(),
    styleUri: panel.webview.asWebviewUri(vscode.Uri.joinPath(media, "history-view.css")).toString(),
    instanceId,
  });
  const send = async () => {
    const message = await historyMessage(client, instanceId);
    await panel.webview.postMessage(message);
    return message.runtimeStatus;
  };
  let status = "Running";
  panel.webview.onDidReceiveMessage((message: { type?: string }) => {
    if (message.type === "ready")
      void send()
        .then((next) => (status = next))
        .catch(() => undefined);
  });
  const timer = setInterval(() => {
    if (["Completed", "Failed", "Terminated"].includes(status)) return;
    void send()
      .then((next) => (status = next))
      .catch(() => undefined);
  }, 1000);
  panel.onDidDispose(() => clearInterval(timer));
  return panel;
}
