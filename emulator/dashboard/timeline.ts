/**
 * The instance timeline (activities, timers, sub-orchestrations and events as bars on a time axis), shared by the
 * dashboard and the VS Code extension's history view. Browser code: plain DOM and SVG, styled by the page's classes.
 */

export interface HistoryEvent {
  EventType: number;
  EventId: number;
  Timestamp: string;
  Name?: string;
  Input?: string;
  Result?: string;
  Reason?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
}

export const EVENT_NAMES = [
  "ExecutionStarted", "ExecutionCompleted", "ExecutionFailed", "ExecutionTerminated", "TaskScheduled", "TaskCompleted", "TaskFailed",
  "SubOrchestrationInstanceCreated", "SubOrchestrationInstanceCompleted", "SubOrchestrationInstanceFailed", "TimerCreated", "TimerFired",
  "OrchestratorStarted", "OrchestratorCompleted", "EventSent", "EventRaised", "ContinueAsNew", "GenericEvent", "HistoryState",
  "ExecutionSuspended", "ExecutionResumed",
];

export interface Span {
  label: string;
  kind: "activity" | "timer" | "suborchestration" | "event";
  start: number;
  end: number;
  status: "done" | "failed" | "pending";
  depth: number;
  instanceId?: string;
}

export function spansOf(events: HistoryEvent[], nowInput: number, depth: number): Span[] {
  const spans = new Map<number, Span>();
  const result: Span[] = [];
  // Work still open when the execution ended (a cancelled timer, a race's loser) stops where the instance did.
  const ended = events.find((e) => EVENT_NAMES[e.EventType] === "ExecutionCompleted");
  const now = ended ? Date.parse(ended.Timestamp) : nowInput;
  for (const event of events) {
    const type = EVENT_NAMES[event.EventType];
    const at = Date.parse(event.Timestamp);
    if (type === "TaskScheduled" || type === "SubOrchestrationInstanceCreated" || type === "TimerCreated") {
      const kind = type === "TaskScheduled" ? "activity" : type === "TimerCreated" ? "timer" : "suborchestration";
      const label = kind === "timer" ? `timer #${event.EventId}` : `${event.Name} #${event.EventId}`;
      const span: Span = { label, kind, start: at, end: kind === "timer" && event.FireAt ? Math.min(Date.parse(event.FireAt), now) : now, status: "pending", depth, instanceId: event.InstanceId };
      spans.set(event.EventId, span);
      result.push(span);
    } else if (type === "EventRaised") {
      result.push({ label: `event ${event.Name}`, kind: "event", start: at, end: at, status: "done", depth });
    } else {
      const id = event.TaskScheduledId ?? event.TimerId;
      const span = id === undefined ? undefined : spans.get(id);
      if (span) {
        span.end = at;
        span.status = type === "TaskFailed" || type === "SubOrchestrationInstanceFailed" ? "failed" : "done";
      }
    }
  }
  return result;
}

/** Draws the spans into the container (an SVG, at most 300 rows). */
export function drawTimeline(container: HTMLElement, spans: Span[], events: HistoryEvent[]): void {
  if (!spans.length) {
    container.replaceChildren(paragraph("Nothing scheduled yet."));
    return;
  }
  const shown = spans.slice(0, 300);
  const start = Math.min(...events.map((e) => Date.parse(e.Timestamp)), ...shown.map((s) => s.start));
  const end = Math.max(start + 1, ...shown.map((s) => s.end));
  const labelWidth = 190;
  const width = 760;
  const rowHeight = 18;
  const height = shown.length * rowHeight + 30;
  const x = (t: number) => labelWidth + ((t - start) / (end - start)) * (width - labelWidth - 10);
  const svgNs = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Timeline of the instance's activities, timers, events and sub-orchestrations");
  const add = (tag: string, attributes: Record<string, string | number>, text?: string) => {
    const node = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    if (text !== undefined) node.textContent = text;
    svg.append(node);
    return node;
  };
  add("line", { x1: labelWidth, y1: height - 20, x2: width - 10, y2: height - 20, class: "axis" });
  add("text", { x: labelWidth, y: height - 6, class: "axis-label" }, "0");
  add("text", { x: width - 10, y: height - 6, class: "axis-label", "text-anchor": "end" }, formatDuration(end - start));
  shown.forEach((span, index) => {
    const y = index * rowHeight + 4;
    add("text", { x: 4 + span.depth * 12, y: y + 11, class: "row-label" }, `${span.depth ? "↳ " : ""}${span.label}`);
    if (span.kind === "event") {
      add("circle", { cx: x(span.start), cy: y + 7, r: 4, class: "mark-event" });
      return;
    }
    const kindClass = span.status === "failed" ? "bar-failed" : span.status === "pending" && span.kind !== "timer" ? "bar-pending" : `bar-${span.kind}`;
    const bar = add("rect", { x: x(span.start), y, width: Math.max(2, x(span.end) - x(span.start)), height: rowHeight - 6, rx: 2, class: kindClass });
    const title = document.createElementNS(svgNs, "title");
    title.textContent = `${span.label}: ${formatDuration(span.end - span.start)}${span.status === "pending" ? " (not completed)" : span.status === "failed" ? " (failed)" : ""}`;
    bar.append(title);
  });
  const note = spans.length > shown.length ? [paragraph(`Showing ${shown.length} of ${spans.length} rows.`)] : [];
  container.replaceChildren(svg, ...note);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}


function paragraph(text: string): HTMLParagraphElement {
  const p = document.createElement("p");
  p.className = "muted";
  p.textContent = text;
  return p;
}
