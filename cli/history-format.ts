/** Renders histories for people: one line per meaningful event, runs of the same event folded together. */
import { HistoryEventType, eventTypeName, type HistoryEvent, type InstanceStatus } from "../emulator";

const HIDDEN = new Set([HistoryEventType.OrchestratorStarted, HistoryEventType.OrchestratorCompleted]);

function shorten(text: string | undefined, max = 80): string {
  if (text === undefined) return "";
  const single = text.replace(/\s+/g, " ");
  return single.length > max ? `${single.slice(0, max - 1)}…` : single;
}

function detail(event: HistoryEvent): string {
  switch (event.EventType) {
    case HistoryEventType.ExecutionStarted:
      return `${event.Name} input=${shorten(event.Input ?? "null")}`;
    case HistoryEventType.TaskScheduled:
      return `${event.Name}#${event.EventId} input=${shorten(event.Input)}`;
    case HistoryEventType.TaskCompleted:
      return `#${event.TaskScheduledId} result=${shorten(event.Result)}`;
    case HistoryEventType.TaskFailed:
    case HistoryEventType.SubOrchestrationInstanceFailed:
      return `#${event.TaskScheduledId} ${shorten(event.Reason, 120)}`;
    case HistoryEventType.SubOrchestrationInstanceCreated:
      return `${event.Name}#${event.EventId} instance=${event.InstanceId}`;
    case HistoryEventType.SubOrchestrationInstanceCompleted:
      return `#${event.TaskScheduledId} result=${shorten(event.Result)}`;
    case HistoryEventType.TimerCreated:
      return `#${event.EventId} fireAt=${event.FireAt}`;
    case HistoryEventType.TimerFired:
      return `#${event.TimerId}`;
    case HistoryEventType.EventRaised:
      return `${event.Name} input=${shorten(event.Input ?? "null")}`;
    case HistoryEventType.EventSent: {
      const request = (() => {
        try {
          return JSON.parse(event.Input ?? "{}") as { op?: string; signal?: boolean; input?: string };
        } catch {
          return {};
        }
      })();
      return `#${event.EventId} ${request.signal ? "signal" : "call"} ${event.InstanceId} ${request.op ?? event.Name}(${shorten(request.input ?? "", 40)})`;
    }
    case HistoryEventType.ExecutionCompleted:
      return `result=${shorten(event.Result, 120)}`;
    case HistoryEventType.ExecutionTerminated:
      return `reason=${shorten(event.Input)}`;
    case HistoryEventType.GenericEvent:
      return shorten(event.Reason);
    default:
      return "";
  }
}

function formatOffset(ms: number): string {
  if (ms < 1000) return `+${ms}ms`;
  if (ms < 60_000) return `+${(ms / 1000).toFixed(1)}s`;
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return hours ? `+${hours}h${String(minutes).padStart(2, "0")}m` : `+${minutes}m${String(seconds).padStart(2, "0")}s`;
}

/** Lines such as `+12ms  TaskScheduled  sayHello#0 input="Tokyo"`, with runs of one kind folded into `×N`. */
export function formatHistory(history: HistoryEvent[], options: { maxRun?: number } = {}): string[] {
  const maxRun = options.maxRun ?? 3;
  const start = Math.min(...history.map((event) => Date.parse(event.Timestamp)));
  const visible = history.filter((event) => !HIDDEN.has(event.EventType));
  const lines: string[] = [];
  for (let i = 0; i < visible.length;) {
    const event = visible[i];
    let j = i + 1;
    while (j < visible.length && visible[j].EventType === event.EventType && visible[j].Name === event.Name && visible[j].InstanceId === event.InstanceId) j++;
    const run = j - i;
    const offset = formatOffset(Date.parse(event.Timestamp) - start).padStart(9);
    const type = eventTypeName(event.EventType).padEnd(34);
    if (run > maxRun) {
      const name = event.EventType === HistoryEventType.EventSent ? `to ${event.InstanceId} ` : event.Name ? `${event.Name} ` : "";
      lines.push(`${offset}  ${type}${name}×${run}`);
    } else {
      for (let k = i; k < j; k++) {
        const e = visible[k];
        lines.push(`${formatOffset(Date.parse(e.Timestamp) - start).padStart(9)}  ${eventTypeName(e.EventType).padEnd(34)}${detail(e)}`);
      }
    }
    i = j;
  }
  return lines;
}

export function formatValue(value: unknown): string {
  return value === undefined ? "(none)" : JSON.stringify(value, null, 2);
}

export function summaryLines(status: InstanceStatus): string[] {
  const lines = [`${status.name} ${status.instanceId}: ${status.runtimeStatus}`];
  lines.push(`  created ${status.createdTime}, last updated ${status.lastUpdatedTime}`);
  lines.push(`  input: ${shorten(JSON.stringify(status.input), 200)}`);
  if (status.customStatus !== null) lines.push(`  custom status: ${shorten(JSON.stringify(status.customStatus), 200)}`);
  if (status.runtimeStatus === "Failed" && status.failure) {
    lines.push(`  failure: ${status.failure.message}`);
  } else {
    lines.push(`  output: ${shorten(JSON.stringify(status.output), 200)}`);
  }
  return lines;
}
