/**
 * The history view inside VS Code (a webview): the dashboard's timeline and a table of the events, in the editor's
 * theme. Data arrives by postMessage from the extension; the page fetches nothing.
 */
import { EVENT_NAMES, drawTimeline, spansOf, type HistoryEvent } from "../../emulator/dashboard/timeline";

interface HistoryMessage {
  type: "history";
  instanceId: string;
  name: string;
  runtimeStatus: string;
  now: string;
  history: HistoryEvent[];
  children: { instanceId: string; history: HistoryEvent[] }[];
}

function cell(text: string, className?: string): HTMLTableCellElement {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function render(message: HistoryMessage): void {
  const title = document.querySelector("#title") as HTMLElement;
  title.textContent = `${message.name} · ${message.instanceId} · ${message.runtimeStatus}`;
  let spans = spansOf(message.history, Date.parse(message.now), 0);
  for (const child of message.children) {
    const at = spans.findIndex((span) => span.instanceId === child.instanceId);
    if (at >= 0) spans = [...spans.slice(0, at + 1), ...spansOf(child.history, Date.parse(message.now), 1), ...spans.slice(at + 1)];
  }
  drawTimeline(document.querySelector("#timeline") as HTMLElement, spans, message.history);
  const rows = message.history.slice(0, 2000).map((event, index) => {
    const row = document.createElement("tr");
    const detail = event.Name ?? event.Result ?? event.Input ?? event.Reason ?? (event.FireAt ? `fires at ${event.FireAt}` : "");
    row.append(cell(String(index)), cell(event.Timestamp.replace("T", " ").replace("Z", ""), "mono"), cell(EVENT_NAMES[event.EventType] ?? String(event.EventType)), cell(detail, "mono"));
    return row;
  });
  (document.querySelector("#events tbody") as HTMLElement).replaceChildren(...rows);
}

declare function acquireVsCodeApi(): { postMessage(message: unknown): void };

window.addEventListener("message", (event: MessageEvent<HistoryMessage>) => {
  if (event.data?.type === "history") render(event.data);
});
// Messages sent before the page listens are lost: ask for the data once listening.
acquireVsCodeApi().postMessage({ type: "ready" });
