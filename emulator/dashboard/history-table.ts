/**
 * The history table, shared by the dashboard and the VS Code extension's history view: one row per event, with what
 * the event carries (an activity's input, its result, a failure's reason and details) in a line, and in full under a
 * disclosure when the line cannot hold it. Browser code: plain DOM, text only (never markup from the history).
 */
import { EVENT_NAMES, eventLabel, type FailureDetails, type HistoryEvent, type TimerCancellation } from "./timeline";

/** What a row says about an event: a line, and the whole of it when the line had to be cut or leaves details out. */
export interface EventDetail {
  line: string;
  full?: string;
}

const LINE_LIMIT = 160;
const FULL_LIMIT = 20_000;
export const ROW_LIMIT = 2000;

/** The scheduling events (TaskScheduled, SubOrchestrationInstanceCreated, TimerCreated) by task id. */
export function scheduledById(events: readonly HistoryEvent[]): Map<number, HistoryEvent> {
  return new Map(events.filter((e) => [4, 7, 10].includes(e.EventType)).map((e) => [e.EventId, e]));
}

/** JSON text, indented when it parses; the text as it is otherwise. */
export function pretty(json: string | undefined): string {
  if (json === undefined) return "(none)";
  try {
    return JSON.stringify(JSON.parse(json), null, 2);
  } catch {
    return json;
  }
}

/**
 * The app's own stack out of an activity failure's Details: on Azure (and so here) they are a serialised .NET
 * exception whose inner RpcException carries the Node worker's stack as RemoteStackTrace; a person wants that first.
 */
function appStack(details: string | undefined): string | undefined {
  if (!details?.trimStart().startsWith("{")) return undefined;
  try {
    let exception = JSON.parse(details) as { RemoteStackTrace?: unknown; InnerException?: unknown } | null;
    for (let depth = 0; exception && depth < 5; depth++) {
      if (typeof exception.RemoteStackTrace === "string" && exception.RemoteStackTrace) return `stack (from the app):\n${exception.RemoteStackTrace}`;
      exception = exception.InnerException as typeof exception;
    }
  } catch {
    // not JSON: shown as it is
  }
  return undefined;
}

function failureText(details: FailureDetails | undefined, depth = 0): string {
  if (!details || depth > 5) return "";
  const head = `${details.ErrorType ?? "Error"}: ${details.ErrorMessage ?? ""}`;
  const stack = details.StackTrace ? `\n${details.StackTrace}` : "";
  const inner = details.InnerFailure ? `\ncaused by ${failureText(details.InnerFailure, depth + 1)}` : "";
  return `${head}${stack}${inner}`;
}

export function describeEvent(
  events: readonly HistoryEvent[],
  index: number,
  scheduled: ReadonlyMap<number, HistoryEvent>,
  cancellations: readonly TimerCancellation[] = [],
): EventDetail {
  const event = events[index];
  const origin = scheduled.get(event.TaskScheduledId ?? event.TimerId ?? -2);
  const payloads: [string, string | undefined][] = [];
  let line: string;
  let failure = "";
  switch (EVENT_NAMES[event.EventType]) {
    case "ExecutionStarted":
      line = `input ${event.Input ?? "null"}`;
      payloads.push(["input", event.Input]);
      break;
    case "TaskScheduled":
    case "SubOrchestrationInstanceCreated":
      line = `${event.Name} #${event.EventId}${event.InstanceId ? ` → ${event.InstanceId}` : ""} input ${event.Input ?? "null"}`;
      payloads.push(["input", event.Input]);
      break;
    case "TaskCompleted":
    case "SubOrchestrationInstanceCompleted":
      line = `${origin?.Name ?? ""} #${event.TaskScheduledId} → ${event.Result ?? "null"}`;
      payloads.push(["input", origin?.Input], ["result", event.Result]);
      break;
    case "TaskFailed":
    case "SubOrchestrationInstanceFailed":
      line = `${origin?.Name ?? ""} #${event.TaskScheduledId} ✗ ${event.Reason ?? ""}`;
      payloads.push(["input", origin?.Input]);
      failure = [event.Reason, appStack(event.Details), event.Details, failureText(event.FailureDetails)].filter(Boolean).join("\n\n");
      break;
    case "TimerCreated":
      line = `#${event.EventId} fires at ${event.FireAt}`;
      break;
    case "TimerFired": {
      line = `#${event.TimerId}`;
      const cancelled = cancellations.find((c) => c.timerId === event.TimerId && c.eventIndex < index);
      if (cancelled) line += ` (cancelled at ${eventLabel(events, cancelled.eventIndex)}: the orchestrator ignores it)`;
      break;
    }
    case "EventRaised":
      line = `${event.Name} ${event.Input ?? ""}`;
      payloads.push(["data", event.Input]);
      break;
    case "EventSent":
      line = `${event.Name} → ${event.InstanceId ?? ""} ${event.Input ?? ""}`;
      payloads.push(["data", event.Input]);
      break;
    case "ExecutionCompleted":
      line = event.OrchestrationStatus === 3 ? `✗ ${event.Result ?? ""}` : `${event.Result ?? ""}`;
      payloads.push([event.OrchestrationStatus === 3 ? "failure" : "output", event.Result]);
      failure = failureText(event.FailureDetails);
      break;
    case "ExecutionTerminated":
      line = event.Input ?? event.Reason ?? "";
      break;
    default:
      line = event.Reason ?? event.Input ?? "";
  }
  const cancels = cancellations.filter((c) => c.eventIndex === index).map((c) => `#${c.timerId}`);
  if (cancels.length) line += ` · cancels timer ${cancels.join(", ")}`;
  const shown = payloads.filter((entry): entry is [string, string] => entry[1] !== undefined);
  const cut = line.length > LINE_LIMIT;
  // Objects read better indented; a failure's details (the stack) never fit the line.
  const structured = shown.some(([, text]) => /^\s*[[{]/.test(text) && text.length > 2 && pretty(text) !== text);
  if (!cut && !failure && !structured) return { line };
  const parts = shown.map(([label, text]) => `${label}:\n${pretty(text)}`);
  if (failure) parts.push(`failure:\n${failure}`);
  const full = parts.join("\n\n");
  return {
    line: cut ? `${line.slice(0, LINE_LIMIT - 1)}…` : line,
    full: full.length > FULL_LIMIT ? `${full.slice(0, FULL_LIMIT)}\n… (${full.length - FULL_LIMIT} more characters)` : full,
  };
}

/** The cell of the details column: the line, and the whole under a <details> (works without script, under any CSP). */
export function detailCell(detail: EventDetail): HTMLTableCellElement {
  const cell = document.createElement("td");
  cell.className = "mono detail";
  const line = document.createElement("span");
  line.textContent = detail.line;
  cell.append(line);
  if (detail.full) {
    const more = document.createElement("details");
    const summary = document.createElement("summary");
    summary.textContent = "details";
    const pre = document.createElement("pre");
    pre.textContent = detail.full;
    more.append(summary, pre);
    cell.append(more);
  }
  return cell;
}

/** The table's rows (at most ROW_LIMIT, then a row saying how many more). `time` formats a timestamp. */
export function historyRows(
  events: readonly HistoryEvent[],
  cancellations: readonly TimerCancellation[],
  time: (iso: string) => string,
): HTMLTableRowElement[] {
  const scheduled = scheduledById(events);
  const cell = (text: string, className?: string) => {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  };
  const rows = events.slice(0, ROW_LIMIT).map((event, index) => {
    const row = document.createElement("tr");
    row.append(
      cell(String(index)),
      cell(time(event.Timestamp), "mono"),
      cell(EVENT_NAMES[event.EventType] ?? String(event.EventType)),
      detailCell(describeEvent(events, index, scheduled, cancellations)),
    );
    return row;
  });
  if (events.length > ROW_LIMIT) {
    const row = document.createElement("tr");
    const td = cell(`… ${events.length - ROW_LIMIT} more events`, "muted");
    td.colSpan = 4;
    row.append(td);
    rows.push(row);
  }
  return rows;
}
