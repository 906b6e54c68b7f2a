/**
 * "Show History": a webview with the dashboard's timeline and the event table, under a strict content security
 * policy (no network, only its own script with a nonce), refreshed while the instance runs.
 */
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import type { DevkitContext } from "./devkit-context";
import { HistoryEventType } from "../emulator/history/history-event";

interface HistoryEventLike {
  EventType: number;
  InstanceId?: string;
}

export async function showHistoryPanel(context: DevkitContext, instanceId: string): Promise<vscode.WebviewPanel> {
  const client = await context.ensureEmulator();
  const root = vscode.Uri.file(context.extensionRoot);
  const media = vscode.Uri.joinPath(root, "out", "webview");
  const panel = vscode.window.createWebviewPanel("durableDevkit.history", `History ${instanceId.slice(0, 8)}`, vscode.ViewColumn.Active, {
    enableScripts: true,
    localResourceRoots: [media],
  });
  const nonce = randomBytes(16).toString("base64");
  const csp = `default-src 'none'; img-src ${panel.webview.cspSource}; style-src ${panel.webview.cspSource}; script-src 'nonce-${nonce}';`;
  panel.webview.html = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="${panel.webview.asWebviewUri(vscode.Uri.joinPath(media, "history-view.css"))}">
<title>History</title></head><body>
<h1 id="title">Loading ${escapeHtml(instanceId)}…</h1><div id="timeline"></div>
<table id="events"><thead><tr><th>#</th><th>time</th><th>event</th><th>details</th></tr></thead><tbody></tbody></table>
<script nonce="${nonce}" src="${panel.webview.asWebviewUri(vscode.Uri.joinPath(media, "history-view.js"))}"></script>
</body></html>`;
  const send = async () => {
    const { instance, history } = await client.history(instanceId);
    const events = history as HistoryEventLike[];
    const children = [];
    for (const event of events.filter((e) => e.EventType === HistoryEventType.SubOrchestrationInstanceCreated && e.InstanceId).slice(0, 10)) {
      try {
        children.push({ instanceId: event.InstanceId as string, history: (await client.history(event.InstanceId as string)).history });
      } catch {
        // purged child
      }
    }
    await panel.webview.postMessage({ type: "history", instanceId, name: instance.name, runtimeStatus: instance.runtimeStatus, now: new Date().toISOString(), history, children });
    return instance.runtimeStatus;
  };
  let status = "Running";
  panel.webview.onDidReceiveMessage((message: { type?: string }) => {
    if (message.type === "ready") void send().then((next) => (status = next)).catch(() => undefined);
  });
  const timer = setInterval(() => {
    if (["Completed", "Failed", "Terminated"].includes(status)) return;
    void send().then((next) => (status = next)).catch(() => undefined);
  }, 1000);
  panel.onDidDispose(() => clearInterval(timer));
  return panel;
}

/** Instance ids are the user's (any string the API accepted): never markup in the page. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
