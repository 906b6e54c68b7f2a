/**
 * An instance's history as a sequence diagram: the orchestrator talking to its activities, sub-orchestrations,
 * entities, timers and the outside world (start, events, output), one message per history event in history order.
 * Returns a standalone SVG document (inline styles, no script), so the dashboard can show it, the VS Code history view
 * can reuse it and a person can save it as a file. Browser-safe: no DOM or Node APIs.
 */
import type { HistoryEvent } from "./timeline";

const T = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

const COLUMN = 170;
const ROW = 30;
const TOP = 56;
const LABEL_CHARS = 26;

interface Message {
  from: string;
  to: string;
  label: string;
  kind: "call" | "return" | "failure" | "note";
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c] as string);
}

function clip(text: string, max = LABEL_CHARS): string {
  const flat = text.replace(/\s+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function value(json: string | undefined): string {
  if (json === undefined || json === "") return "";
  return clip(json, 18);
}

/** `@counter@k1` → `counter (k1)`: entity instance ids as people name them. */
function entityLabel(instanceId: string): string {
  const match = /^@([^@]+)@(.*)$/.exec(instanceId);
  return match ? `${match[1]} (${match[2]})` : instanceId;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "");
  } catch {
    return undefined;
  }
}

/** An entity request's operation and request id (its answer comes back as an event named by that id). */
function entityRequestOf(event: HistoryEvent): { label: string; requestId?: string } {
  const parsed = parseJson(event.Input) as { op?: unknown; signal?: unknown; id?: unknown } | undefined;
  if (parsed && typeof parsed.op === "string")
    return { label: `${parsed.signal ? "signal " : ""}${parsed.op}`, requestId: typeof parsed.id === "string" ? parsed.id : undefined };
  return { label: event.Name ?? "event" };
}

/** An entity's answer: its result, or its failure's message. */
function entityAnswerOf(event: HistoryEvent): { label: string; failed: boolean } {
  const parsed = parseJson(event.Input) as { result?: unknown; exceptionType?: unknown } | undefined;
  const result = typeof parsed?.result === "string" ? parsed.result : JSON.stringify(parsed?.result ?? null);
  const failed = parsed?.exceptionType !== undefined && parsed.exceptionType !== null;
  return { label: failed ? `failed: ${clip(result, 20)}` : value(result) || "done", failed };
}

/** The messages of a history, with the participants in order of first appearance (orchestrator first). */
export function sequenceOf(events: readonly HistoryEvent[], orchestrator: string): { participants: string[]; messages: Message[] } {
  const self = orchestrator;
  const outside = "caller";
  const participants = [outside, self];
  const add = (name: string) => {
    if (!participants.includes(name)) participants.push(name);
    return name;
  };
  const scheduled = new Map<number, string>();
  const subOrchestrations = new Map<number, string>();
  const entityRequests = new Map<string, string>();
  const messages: Message[] = [];
  for (const event of events) {
    switch (event.EventType) {
      case T.ExecutionStarted:
        messages.push({ from: outside, to: self, label: `start(${value(event.Input)})`, kind: "call" });
        break;
      case T.TaskScheduled:
        scheduled.set(event.EventId, add(`activity ${event.Name ?? "?"}`));
        messages.push({ from: self, to: `activity ${event.Name ?? "?"}`, label: `${event.Name ?? "?"}(${value(event.Input)})`, kind: "call" });
        break;
      case T.TaskCompleted:
        messages.push({
          from: scheduled.get(event.TaskScheduledId ?? -1) ?? add("activity ?"),
          to: self,
          label: value(event.Result) || "done",
          kind: "return",
        });
        break;
      case T.TaskFailed:
        messages.push({
          from: scheduled.get(event.TaskScheduledId ?? -1) ?? add("activity ?"),
          to: self,
          label: `failed: ${clip(event.FailureDetails?.ErrorMessage ?? event.Reason ?? "", 20)}`,
          kind: "failure",
        });
        break;
      case T.SubOrchestrationInstanceCreated: {
        const name = add(`sub ${event.Name ?? "?"}`);
        subOrchestrations.set(event.EventId, name);
        messages.push({ from: self, to: name, label: `${event.Name ?? "?"}(${value(event.Input)})`, kind: "call" });
        break;
      }
      case T.SubOrchestrationInstanceCompleted:
        messages.push({
          from: subOrchestrations.get(event.TaskScheduledId ?? -1) ?? add("sub ?"),
          to: self,
          label: value(event.Result) || "done",
          kind: "return",
        });
        break;
      case T.SubOrchestrationInstanceFailed:
        messages.push({
          from: subOrchestrations.get(event.TaskScheduledId ?? -1) ?? add("sub ?"),
          to: self,
          label: `failed: ${clip(event.FailureDetails?.ErrorMessage ?? event.Reason ?? "", 20)}`,
          kind: "failure",
        });
        break;
      case T.TimerCreated:
        messages.push({ from: self, to: add("timers"), label: `timer until ${(event.FireAt ?? "").slice(11, 19)}`, kind: "call" });
        break;
      case T.TimerFired:
        messages.push({ from: add("timers"), to: self, label: `fired #${event.TimerId ?? "?"}`, kind: "return" });
        break;
      case T.EventSent: {
        const target = event.InstanceId?.startsWith("@") ? add(`entity ${entityLabel(event.InstanceId)}`) : add(`instance ${event.InstanceId ?? "?"}`);
        const request = entityRequestOf(event);
        if (request.requestId) entityRequests.set(request.requestId, target);
        messages.push({ from: self, to: target, label: request.label, kind: "call" });
        break;
      }
      case T.EventRaised: {
        const entity = entityRequests.get(event.Name ?? "");
        if (entity) {
          const answer = entityAnswerOf(event);
          messages.push({ from: entity, to: self, label: answer.label, kind: answer.failed ? "failure" : "return" });
        } else {
          messages.push({ from: outside, to: self, label: `event ${clip(event.Name ?? "?", 16)}(${value(event.Input)})`, kind: "call" });
        }
        break;
      }
      case T.ExecutionSuspended:
      case T.ExecutionResumed:
        messages.push({ from: outside, to: self, label: event.EventType === T.ExecutionSuspended ? "suspend" : "resume", kind: "note" });
        break;
      case T.ContinueAsNew:
        messages.push({ from: self, to: self, label: `continue as new(${value(event.Input)})`, kind: "note" });
        break;
      case T.ExecutionCompleted:
        messages.push({
          from: self,
          to: outside,
          label: event.OrchestrationStatus === 3 ? `failed: ${clip(event.FailureDetails?.ErrorMessage ?? "", 20)}` : `output ${value(event.Result)}`,
          kind: event.OrchestrationStatus === 3 ? "failure" : "return",
        });
        break;
      case T.ExecutionFailed:
        messages.push({ from: self, to: outside, label: "failed", kind: "failure" });
        break;
      case T.ExecutionTerminated:
        messages.push({ from: outside, to: self, label: `terminate(${value(event.Input)})`, kind: "failure" });
        break;
      default:
        break;
    }
  }
  return { participants, messages };
}

const STROKE: Record<Message["kind"], string> = { call: "#2563eb", return: "#16a34a", failure: "#dc2626", note: "#6b7280" };

/** The diagram as a standalone SVG document. */
export function sequenceDiagramSvg(events: readonly HistoryEvent[], orchestrator: string): string {
  const { participants, messages } = sequenceOf(events, orchestrator);
  const width = participants.length * COLUMN;
  const height = TOP + (messages.length + 1) * ROW;
  const x = (name: string) => participants.indexOf(name) * COLUMN + COLUMN / 2;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12" role="img" aria-label="${escapeXml(`Sequence diagram of ${orchestrator}`)}">`,
  );
  parts.push("<defs>");
  for (const [kind, color] of Object.entries(STROKE))
    parts.push(
      `<marker id="arrow-${kind}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="${color}"/></marker>`,
    );
  parts.push("</defs>");
  parts.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  for (const name of participants) {
    const cx = x(name);
    parts.push(`<line x1="${cx}" y1="${TOP - 10}" x2="${cx}" y2="${height - 8}" stroke="#9ca3af" stroke-dasharray="4 4"/>`);
    parts.push(
      `<g class="participant"><title>${escapeXml(name)}</title><rect x="${cx - COLUMN / 2 + 8}" y="8" width="${COLUMN - 16}" height="30" rx="4" fill="#f3f4f6" stroke="#6b7280"/>`,
    );
    parts.push(`<text x="${cx}" y="27" text-anchor="middle" fill="#111827">${escapeXml(clip(name, 22))}</text></g>`);
  }
  messages.forEach((message, index) => {
    const y = TOP + (index + 1) * ROW - 8;
    const from = x(message.from);
    const to = x(message.to);
    const color = STROKE[message.kind];
    const dash = message.kind === "return" || message.kind === "failure" ? ' stroke-dasharray="6 3"' : "";
    if (from === to) {
      parts.push(`<path d="M ${from} ${y - 8} h 30 v 12 h -28" fill="none" stroke="${color}"${dash} marker-end="url(#arrow-${message.kind})"/>`);
      parts.push(`<text x="${from + 36}" y="${y}" fill="${color}" class="message">${escapeXml(message.label)}</text>`);
      return;
    }
    parts.push(`<line x1="${from}" y1="${y}" x2="${to}" y2="${y}" stroke="${color}"${dash} marker-end="url(#arrow-${message.kind})"/>`);
    parts.push(`<text x="${(from + to) / 2}" y="${y - 5}" text-anchor="middle" fill="${color}" class="message">${escapeXml(message.label)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("");
}
