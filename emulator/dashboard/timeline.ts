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
  Details?: string;
  FailureDetails?: FailureDetails;
  OrchestrationStatus?: number;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  InstanceId?: string;
}

export interface FailureDetails {
  ErrorType?: string;
  ErrorMessage?: string;
  StackTrace?: string;
  InnerFailure?: FailureDetails;
}

/**
 * A timer the orchestrator cancelled and the index of the event it was processing then (the instance record's
 * timerCancellations, emulator/api/types.ts; the page is bundled apart).
 */
export interface TimerCancellation {
  timerId: number;
  eventIndex: number;
}

export const EVENT_NAMES = [
  "ExecutionStarted",
  "ExecutionCompleted",
  "ExecutionFailed",
  "ExecutionTerminated",
  "TaskScheduled",
  "TaskCompleted",
  "TaskFailed",
  "SubOrchestrationInstanceCreated",
  "SubOrchestrationInstanceCompleted",
  "SubOrchestrationInstanceFailed",
  "TimerCreated",
  "TimerFired",
  "OrchestratorStarted",
  "OrchestratorCompleted",
  "EventSent",
  "EventRaised",
  "ContinueAsNew",
  "GenericEvent",
  "HistoryState",
  "ExecutionSuspended",
  "ExecutionResumed",
];

export interface Span {
  label: string;
  kind: "activity" | "timer" | "suborchestration" | "event";
  start: number;
  end: number;
  status: "done" | "failed" | "pending" | "cancelled";
  depth: number;
  instanceId?: string;
  /** A cancelled timer: the event that won its race ("EventRaised approval #7"), and when the timer was due. */
  cancelledAt?: string;
  dueAt?: string;
}

/** The event a cancellation points at, as a row of the history table names it. */
export function eventLabel(events: readonly HistoryEvent[], index: number): string {
  const event = events[index];
  if (!event) return `#${index}`;
  return `${EVENT_NAMES[event.EventType] ?? event.EventType}${event.Name ? ` ${event.Name}` : ""} #${index}`;
}

/**
 * The bars of one instance. A timer the orchestrator cancelled ends where it did so (the event that won its race),
 * even though its TimerFired may still come later in the history (Azure delivers it, and the orchestrator ignores it).
 */
export function spansOf(events: HistoryEvent[], nowInput: number, depth: number, cancellations: readonly TimerCancellation[] = []): Span[] {
  const spans = new Map<number, Span>();
  const result: Span[] = [];
  // Work still open when the execution ended (a race's loser) stops where the instance did.
  const ended = events.find((e) => EVENT_NAMES[e.EventType] === "ExecutionCompleted");
  const now = ended ? Date.parse(ended.Timestamp) : nowInput;
  const cancelledAt = new Map<number, number>();
  for (const { timerId, eventIndex } of cancellations) if (events[eventIndex]) cancelledAt.set(timerId, eventIndex);
  const cancel = (span: Span, timerId: number) => {
    const index = cancelledAt.get(timerId) as number;
    span.end = Math.max(span.start, Date.parse(events[index].Timestamp));
    span.status = "cancelled";
    span.cancelledAt = eventLabel(events, index);
  };
  events.forEach((event, index) => {
    const type = EVENT_NAMES[event.EventType];
    const at = Date.parse(event.Timestamp);
    if (type === "TaskScheduled" || type === "SubOrchestrationInstanceCreated" || type === "TimerCreated") {
      const kind = type === "TaskScheduled" ? "activity" : type === "TimerCreated" ? "timer" : "suborchestration";
      const label = kind === "timer" ? `timer #${event.EventId}` : `${event.Name} #${event.EventId}`;
      const span: Span = {
        label,
        kind,
        start: at,
        end: kind === "timer" && event.FireAt ? Math.min(Date.parse(event.FireAt), now) : now,
        status: "pending",
        depth,
        instanceId: event.InstanceId,
      };
      if (kind === "timer") span.dueAt = event.FireAt;
      spans.set(event.EventId, span);
      result.push(span);
      // Cancelled in the episode that created it (the cancel ran while an earlier event of that episode was processed).
      if (kind === "timer" && (cancelledAt.get(event.EventId) ?? Infinity) < index) cancel(span, event.EventId);
      return;
    }
    if (type === "EventRaised") result.push({ label: `event ${event.Name}`, kind: "event", start: at, end: at, status: "done", depth });
    else {
      const id = event.TaskScheduledId ?? event.TimerId;
      const span = id === undefined ? undefined : spans.get(id);
      // A cancelled timer's late firing changes nothing: the orchestrator had stopped waiting for it.
      if (span && span.status !== "cancelled") {
        // A TimerFired's Timestamp is when the timer was created (as on Azure); it fired at FireAt.
        span.end = type === "TimerFired" && event.FireAt ? Math.max(span.start, Date.parse(event.FireAt)) : at;
        span.status = type === "TaskFailed" || type === "SubOrchestrationInstanceFailed" ? "failed" : "done";
      }
    }
    for (const [timerId, cancelIndex] of cancelledAt) {
      const span = spans.get(timerId);
      // Only a timer still waiting is cancelled: one that had fired already was not raced any more.
      if (cancelIndex === index && span?.kind === "timer" && span.status === "pending") cancel(span, timerId);
    }
  });
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
    const kindClass =
      span.status === "failed"
        ? "bar-failed"
        : span.status === "cancelled"
          ? "bar-cancelled"
          : span.status === "pending" && span.kind !== "timer"
            ? "bar-pending"
            : `bar-${span.kind}`;
    const bar = add("rect", { x: x(span.start), y, width: Math.max(2, x(span.end) - x(span.start)), height: rowHeight - 6, rx: 2, class: kindClass });
    const title = document.createElementNS(svgNs, "title");
    const note =
      span.status === "pending"
        ? " (not completed)"
        : span.status === "failed"
          ? " (failed)"
          : span.status === "cancelled"
            ? ` (cancelled at ${span.cancelledAt}${span.dueAt ? `; it was due at ${span.dueAt}` : ""})`
            : "";
    title.textContent = `${span.label}: ${formatDuration(span.end - span.start)}${note}`;
    bar.append(title);
    if (span.status === "cancelled") {
      // Where the orchestrator stopped waiting for it: a stop mark and the word, right after the bar.
      add("line", { x1: x(span.end), y1: y - 1, x2: x(span.end), y2: y + rowHeight - 5, class: "cancel-mark" });
      const text = add("text", { x: Math.min(x(span.end) + 4, width - 60), y: y + 10, class: "cancel-label" }, "cancelled");
      const why = document.createElementNS(svgNs, "title");
      why.textContent = title.textContent;
      text.append(why);
    }
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
