/**
 * The history view inside VS Code (a webview): what the dashboard shows of an instance (its input, output and
 * failure, the timeline, the event table with each activity's input, result and failure details), in the editor's
 * theme. Data arrives by postMessage from the extension; the page fetches nothing.
 */
import { drawTimeline, spansOf } from "../../emulator/dashboard/timeline";
import { historyRows, pretty } from "../../emulator/dashboard/history-table";
import type { HistoryMessage } from "../history-message";

function facts(message: HistoryMessage): HTMLElement[] {
  const entries: [string, string][] = [];
  entries.push(["Input", pretty(message.input)]);
  if (message.output !== undefined && !message.failure) entries.push(["Output", pretty(message.output)]);
  if (message.customStatus !== undefined) entries.push(["Custom status", pretty(message.customStatus)]);
  if (message.failure) entries.push(["Failure", [message.failure.message, message.failure.stack].filter(Boolean).join("\n")]);
  return entries.flatMap(([term, value]) => {
    const dt = document.createElement("dt");
    dt.textContent = term;
    const dd = document.createElement("dd");
    const pre = document.createElement("pre");
    pre.textContent = value;
    dd.append(pre);
    return [dt, dd];
  });
}

function render(message: HistoryMessage): void {
  const title = document.querySelector("#title") as HTMLElement;
  title.textContent = `${message.name} · ${message.instanceId} · ${message.runtimeStatus}`;
  (document.querySelector("#facts") as HTMLElement).replaceChildren(...facts(message));
  const now = Date.parse(message.now);
  let spans = spansOf(message.history, now, 0, message.timerCancellations);
  for (const child of message.children) {
    const at = spans.findIndex((span) => span.instanceId === child.instanceId);
    if (at >= 0) spans = [...spans.slice(0, at + 1), ...spansOf(child.history, now, 1, child.timerCancellations), ...spans.slice(at + 1)];
  }
  drawTimeline(document.querySelector("#timeline") as HTMLElement, spans, message.history);
  const time = (iso: string) => iso.replace("T", " ").replace("Z", "");
  (document.querySelector("#events tbody") as HTMLElement).replaceChildren(...historyRows(message.history, message.timerCancellations, time));
}

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

window.addEventListener("message", (event: MessageEvent<HistoryMessage>) => {
  if (event.data?.type === "history") render(event.data);
});
// Messages sent before the page listens are lost: ask for the data once listening.
acquireVsCodeApi().postMessage({ type: "ready" });
