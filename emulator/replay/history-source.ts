/**
 * Reads a history to replay, in any of the shapes a user has at hand, and says clearly what is wrong when it cannot:
 * - the file `durable-devkit export` writes ({ format, instanceId, name, input, history });
 * - a bare array of history events as the Durable Task extension gives them to the package (numeric EventType);
 * - what the Durable HTTP management API returns with showHistory=true (the whole status object, or its
 *   historyEvents array): scheduling events folded into their completions and ids removed, rebuilt by
 *   replay/api-history.ts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { HISTORY_EXPORT_FORMAT } from "../history/history-export";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { parseJsonText } from "../api/json-text";

import { HistoryFileError } from "./history-file-error";
import { validateHistory } from "./history-validation";

export { HistoryFileError };

/** One event as the management API shows it: EventType as a name, no ids. */
export interface ApiHistoryEvent {
  EventType: string;
  Timestamp?: string;
  FunctionName?: string;
  Name?: string;
  ScheduledTime?: string;
  Input?: unknown;
  Result?: unknown;
  Reason?: string;
  Details?: string;
  FireAt?: string;
  OrchestrationStatus?: string;
  InstanceId?: string;
  FailureDetails?: unknown;
  [key: string]: unknown;
}

export interface HistorySource {
  /** Where it came from, for messages: a file path or "instance <id>". */
  origin: string;
  /** The orchestrator function's name (from the file, or its ExecutionStarted event). */
  name: string;
  instanceId: string;
  input: unknown;
  /** The full history, when the source has one. */
  events?: HistoryEvent[];
  /** The file the events were read from, as they are (the app host can read it itself). */
  file?: string;
  /** The management API's folded history, to rebuild by replaying. */
  apiEvents?: ApiHistoryEvent[];
}

const HOW_TO_GET_ONE =
  "A history file is what `durable-devkit export <instanceId> --out FILE` writes, or what the Durable HTTP API returns for " +
  "GET /runtime/webhooks/durabletask/instances/<id>?showHistory=true&showHistoryOutput=true&showInput=true.";

export function readHistoryFile(file: string): HistorySource {
  const shown = path.relative(process.cwd(), file) || file;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new HistoryFileError(`There is no history file at ${shown}. ${HOW_TO_GET_ONE}`);
    if (code === "EISDIR") throw new HistoryFileError(`${shown} is a folder; give a history file (or use replay on the folder to replay every .json in it).`);
    throw new HistoryFileError(`Cannot read the history file ${shown}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new HistoryFileError(`${shown} is not valid JSON (${(error as Error).message}). ${HOW_TO_GET_ONE}`);
  }
  const source = historyFromJson(json, shown);
  return source.events ? { ...source, file: path.resolve(file) } : source;
}

export function historyFromJson(json: unknown, origin: string): HistorySource {
  if (Array.isArray(json)) return fromEventArray(json, origin, {});
  if (!json || typeof json !== "object")
    throw new HistoryFileError(`${origin} holds ${json === null ? "null" : typeof json}, not a history. ${HOW_TO_GET_ONE}`);
  const object = json as Record<string, unknown>;
  if (object.format !== undefined && object.format !== HISTORY_EXPORT_FORMAT) {
    throw new HistoryFileError(
      `${origin} is in format "${String(object.format)}"; this version reads "${HISTORY_EXPORT_FORMAT}". Export the history again with this version.`,
    );
  }
  const events = object.history ?? object.historyEvents;
  if (!Array.isArray(events)) {
    throw new HistoryFileError(
      `${origin} has no history events (no "history" or "historyEvents" array). ` +
        (object.runtimeStatus !== undefined ? "Ask the management API with showHistory=true. " : "") +
        HOW_TO_GET_ONE,
    );
  }
  return fromEventArray(events, origin, {
    name: typeof object.name === "string" ? object.name : undefined,
    instanceId: typeof object.instanceId === "string" ? object.instanceId : undefined,
    input: object.input,
    hasInput: "input" in object,
  });
}

interface Known {
  name?: string;
  instanceId?: string;
  input?: unknown;
  hasInput?: boolean;
}

function fromEventArray(events: unknown[], origin: string, known: Known): HistorySource {
  if (events.length === 0) throw new HistoryFileError(`${origin} has an empty history: there is nothing to replay.`);
  events.forEach((event, index) => {
    if (!event || typeof event !== "object" || !("EventType" in event)) {
      throw new HistoryFileError(`Event ${index} of ${origin} is not a history event (it has no EventType). ${HOW_TO_GET_ONE}`);
    }
  });
  const first = (events as { EventType: unknown }[]).find((event) => typeof event.EventType === "string");
  if (first) return fromApiEvents(events as ApiHistoryEvent[], origin, known);
  const history = events as HistoryEvent[];
  history.forEach((event, index) => {
    if (typeof event.EventType !== "number" || HistoryEventType[event.EventType] === undefined) {
      throw new HistoryFileError(`Event ${index} of ${origin} has an unknown EventType ${JSON.stringify(event.EventType)}.`);
    }
    if (typeof event.EventId !== "number") throw new HistoryFileError(`Event ${index} of ${origin} (${HistoryEventType[event.EventType]}) has no EventId.`);
  });
  const started = history.find((event) => event.EventType === HistoryEventType.ExecutionStarted);
  if (!started) throw new HistoryFileError(`${origin} has no ExecutionStarted event, so it is not the history of an orchestration from its start.`);
  const name = known.name ?? started.Name;
  if (!name) throw new HistoryFileError(`${origin} does not say which orchestrator it belongs to (no name, and ExecutionStarted has no Name).`);
  validateHistory(history, origin, known.name);
  return {
    origin,
    name,
    instanceId: known.instanceId ?? started.OrchestrationInstance?.InstanceId ?? path.basename(origin, ".json"),
    input: known.hasInput ? known.input : parseJsonText(started.Input),
    events: history,
  };
}

function fromApiEvents(events: ApiHistoryEvent[], origin: string, known: Known): HistorySource {
  const started = events.find((event) => event.EventType === "ExecutionStarted");
  if (!started) throw new HistoryFileError(`${origin} has no ExecutionStarted event, so it is not the history of an orchestration from its start.`);
  const name = known.name ?? started.FunctionName ?? started.Name;
  if (!name) throw new HistoryFileError(`${origin} does not say which orchestrator it belongs to (no name, and ExecutionStarted has no FunctionName).`);
  for (const [index, event] of events.entries()) {
    if (!(event.EventType in HistoryEventType)) throw new HistoryFileError(`Event ${index} of ${origin} has an unknown EventType "${event.EventType}".`);
  }
  return {
    origin,
    name,
    instanceId: known.instanceId ?? path.basename(origin, ".json"),
    input: known.hasInput ? known.input : typeof started.Input === "string" ? parseJsonText(started.Input) : started.Input,
    apiEvents: events,
  };
}

/** The .json files of a folder, or the file itself. */
export function historyFilesAt(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new HistoryFileError(`There is no history file or folder at ${target}. ${HOW_TO_GET_ONE}`);
  }
  if (!stat.isDirectory()) return [target];
  const files = fs
    .readdirSync(target)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => path.join(target, name));
  if (files.length === 0) throw new HistoryFileError(`The folder ${target} has no .json history files.`);
  return files;
}

/** An instance's history as a store keeps it. */
export function historyFromInstance(record: { instanceId: string; name: string; input?: string }, events: HistoryEvent[]): HistorySource {
  return { origin: `instance ${record.instanceId}`, name: record.name, instanceId: record.instanceId, input: parseJsonText(record.input), events };
}
