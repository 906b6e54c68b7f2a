/**
 * The verdict of replaying a saved history of a Durable Task SDK orchestration against the app's current code, in the
 * shape replay-check.ts gives for Functions histories (so `replay` prints both alike). The SDK replays it itself
 * (sdk-replay-host.ts): it raises its own nondeterminism when the code's calls do not match the history's scheduling
 * events, reported as a failed CompleteOrchestration of type NonDeterminismError. What the SDK does not check is
 * checked here from the actions it returns: that the code ends as the history ended (completed with the same output,
 * failed with the same message, continued as new, terminated), or, for an instance still running, asks for nothing
 * the history has not recorded.
 *
 * The request is what the sidecar sends a worker for the history's last episode (grpc-worker-pool.ts): every event up
 * to the last OrchestratorStarted as past events, the rest as new events. The SDK needs at least one new event to run,
 * and replays past and new events alike but for isReplaying, which so stays as it was in that episode.
 */
import { isDeepStrictEqual } from "node:util";
import { HistoryEventType as T, OrchestrationStatusCode as S, eventTypeName, type HistoryEvent } from "../history/history-event";
import { describeScheduledEvent, describeTask } from "../history/task-matching";
import type { TrackedTask } from "../core/tasks";
import { DurableError } from "../core/errors";
import { decisionOf } from "../grpc/decision-translation";
import { toProtoEvent } from "../grpc/history-translation";
import { pb, stringValue, textOf } from "../grpc/protocol";
import { rebuildFromApi } from "./api-history";
import { HistoryFileError, type HistorySource } from "./history-source";
import type { Divergence, ReplayReport } from "./replay-check";
import type { SdkReplayHost } from "./sdk-replay-host";
import { sourceLineOfError } from "./source-line";
import { wireJsonValue } from "../api/json-text";

const Status = pb.OrchestrationStatus;

/** How the code ends the orchestration in a replay, when it does. */
interface Completion {
  status: pb.OrchestrationStatus;
  /** JSON text of the output (of the next input, for continue-as-new). */
  result?: string;
  failure?: { errorType: string; message: string; stack?: string };
}

/** What the SDK's replay of a history came to. */
interface SdkReplay {
  /** Calls the code makes that the history does not record. */
  newTasks: TrackedTask[];
  completion?: Completion;
  /** The SDK's NonDeterminismError message. */
  nondeterminism?: string;
}

export async function replaySdkHistory(host: SdkReplayHost, source: HistorySource): Promise<ReplayReport> {
  const startedAt = performance.now();
  let events = source.events;
  let divergence: Divergence | undefined;
  if (!events) {
    // The management API's folded history: its task ids are recovered by replaying the code (api-history.ts).
    if (source.apiEvents?.some((event) => event.EventType === "EventSent" && typeof event.InstanceId === "string" && event.InstanceId.startsWith("@")))
      throw new HistoryFileError(
        `${source.origin} is the management API's history of an orchestration that calls entities. The SDK names each entity call ` +
          "after the time its episode started, which that history leaves out, so the calls cannot be matched to their answers. " +
          "Replay the full history `durable-devkit export <instanceId> --out FILE` writes.",
      );
    const rebuilt = await rebuildFromApi(source, (history) => replayEvents(host, source, history));
    events = rebuilt.events;
    divergence = rebuilt.divergence;
  }
  const replay = await replayEvents(host, source, events);
  let next: string[] | undefined;
  if (!divergence && replay.nondeterminism) divergence = await locateNondeterminism(host, source, events, replay.nondeterminism);
  else if (!divergence) {
    const judged = judgeEnd(events, replay, host.appDir);
    divergence = judged.divergence;
    next = judged.next;
  }
  return { source, events, divergence, next, durationMs: performance.now() - startedAt };
}

/** One replay through the SDK of `events` (all of the history, or the part of it up to an event). */
async function replayEvents(host: SdkReplayHost, source: HistorySource, events: HistoryEvent[]): Promise<SdkReplay> {
  const answer = await host.replay(source.name, requestOf(source, events));
  if (answer.kind === "unknownOrchestrator") throw unknownOrchestrator(host, source.name, answer.registered);
  const response = answer.response;
  let completion: Completion | undefined;
  for (const action of response.getActionsList()) {
    const complete = action.getCompleteorchestration();
    if (!complete) continue;
    const details = complete.getFailuredetails();
    completion = {
      status: complete.getOrchestrationstatus(),
      result: textOf(complete.getResult()),
      failure: details && { errorType: details.getErrortype(), message: details.getErrormessage(), stack: textOf(details.getStacktrace()) },
    };
  }
  // The SDK's answer when the registry has no such orchestrator (the preload checks first; a registry it cannot read
  // leaves it to the SDK).
  if (completion?.failure?.errorType === "OrchestratorNotRegisteredError") throw unknownOrchestrator(host, source.name, undefined);
  if (completion?.status === Status.ORCHESTRATION_STATUS_FAILED && completion.failure?.errorType === "NonDeterminismError")
    return { newTasks: [], nondeterminism: completion.failure.message };
  return { newTasks: decisionOf(response, events.length).newTasks, completion };
}

/** The request the sidecar sends a worker for the last episode of `events` (see the top of this file). */
export function requestOf(source: HistorySource, events: HistoryEvent[]): pb.OrchestratorRequest {
  let lastStart = 0;
  for (let i = events.length - 1; i >= 0; i--) {
    if (events[i].EventType === T.OrchestratorStarted) {
      lastStart = i;
      break;
    }
  }
  const toMessages = (part: HistoryEvent[]) => part.map(toProtoEvent).filter((message): message is pb.HistoryEvent => message !== undefined);
  const started = events.find((event) => event.EventType === T.ExecutionStarted);
  const request = new pb.OrchestratorRequest();
  request.setInstanceid(source.instanceId);
  request.setExecutionid(stringValue(started?.OrchestrationInstance?.ExecutionId));
  request.setPasteventsList(toMessages(events.slice(0, lastStart)));
  request.setNeweventsList(toMessages(events.slice(lastStart)));
  return request;
}

/** `registered` is undefined when the worker's registry could not be listed. */
function unknownOrchestrator(host: SdkReplayHost, name: string, registered: string[] | undefined): DurableError {
  const known =
    registered === undefined ? "" : registered.length ? `It registers: ${registered.map((n) => `"${n}"`).join(", ")}.` : "It registers no orchestrators.";
  return new DurableError("UnknownFunction", `The worker ${host.entryLabel} registers no orchestrator named "${name}". ${known}`.trim());
}

/**
 * Which event the SDK tripped on: the shortest start of the history whose replay raises the nondeterminism ends with
 * it (a replay of fewer events never reaches it; one of more always does, the code being the same). Then the replay
 * of the history just before that event says what the code does in its place.
 */
async function locateNondeterminism(host: SdkReplayHost, source: HistorySource, events: HistoryEvent[], sdkMessage: string): Promise<Divergence> {
  let low = 1;
  let high = events.length;
  while (low < high) {
    const middle = Math.floor((low + high) / 2);
    if ((await replayEvents(host, source, events.slice(0, middle))).nondeterminism) high = middle;
    else low = middle + 1;
  }
  const eventIndex = high - 1;
  const event = events[eventIndex];
  const before = await replayEvents(host, source, events.slice(0, eventIndex));
  const task = before.newTasks.find((candidate) => candidate.id === event.EventId);
  const expected = describeEvent(event);
  const actual = task ? describeTask(task.task) : before.completion ? describeCompletion(before.completion) : "nothing";
  const sourceLine = before.completion?.failure ? sourceLineOfError(before.completion.failure.stack, host.appDir) : undefined;
  return {
    eventIndex,
    expected,
    actual,
    sourceLine,
    message:
      `Non-deterministic workflow detected: a previous execution of this orchestration made a ${expected} as task ${event.EventId}, ` +
      (task ? `but the current code makes a ${actual} there. ` : `but the current code does not make it (it ${actualVerb(actual)}). `) +
      `Was the orchestrator code changed after this instance started? (The SDK's replay: ${sdkMessage})`,
  };
}

/** The end of the history against the end of the replay, when the SDK found the calls themselves consistent. */
function judgeEnd(events: HistoryEvent[], replay: SdkReplay, appDir: string): { divergence?: Divergence; next?: string[] } {
  const endIndex = events.findIndex((event) => event.EventType === T.ExecutionCompleted);
  const doing = [...replay.newTasks.map((task) => describeTask(task.task)), ...(replay.completion ? [describeCompletion(replay.completion)] : [])];
  const sourceLine = replay.completion?.failure ? sourceLineOfError(replay.completion.failure.stack, appDir) : undefined;
  if (endIndex >= 0) {
    const end = events[endIndex];
    if (replay.newTasks.length === 0 && endsAlike(end, replay.completion)) return {};
    const expected = describeEnd(end);
    const actual = doing[0] ?? "waiting";
    return {
      divergence: {
        eventIndex: endIndex,
        expected,
        actual,
        sourceLine,
        message:
          `Non-deterministic workflow detected: the history ends with ${expected} (${eventTypeName(end.EventType)} #${endIndex}), ` +
          `but the current code, given the same events, ${actualVerb(actual)}${sourceLine ? ` (at ${sourceLine})` : ""}.`,
      },
    };
  }
  if (!doing.length) return {};
  // Still running. An episode the history closed (OrchestratorCompleted) recorded everything the code asked for then:
  // asking for more now is a change. Events after the last closed episode are news the orchestrator has not
  // answered yet, and what the code does with them is simply its next step.
  let lastClosed = -1;
  for (let i = events.length - 1; i >= 0 && lastClosed < 0; i--) if (events[i].EventType === T.OrchestratorCompleted) lastClosed = i;
  const unanswered = events.slice(lastClosed + 1).some((event) => event.EventType !== T.OrchestratorStarted);
  if (unanswered) return { next: doing };
  const eventIndex = events.length - 1;
  return {
    divergence: {
      eventIndex,
      expected: "the orchestration waits (nothing more recorded)",
      actual: doing[0],
      sourceLine,
      message:
        `Non-deterministic workflow detected: the history of this running orchestration records nothing more after event #${eventIndex}, ` +
        `but the current code, given the same events, ${actualVerb(doing[0])}${sourceLine ? ` (at ${sourceLine})` : ""}.`,
    },
  };
}

/** Whether the code ends the orchestration as the history's ExecutionCompleted says it ended. */
function endsAlike(end: HistoryEvent, completion: Completion | undefined): boolean {
  if (!completion) return false;
  switch (end.OrchestrationStatus) {
    case S.Completed:
      return completion.status === Status.ORCHESTRATION_STATUS_COMPLETED && sameJson(end.Result, completion.result);
    case S.ContinuedAsNew:
      return completion.status === Status.ORCHESTRATION_STATUS_CONTINUED_AS_NEW && (end.Result === undefined || sameJson(end.Result, completion.result));
    case S.Failed:
      return completion.status === Status.ORCHESTRATION_STATUS_FAILED && failureMessageOf(end) === completion.failure?.message;
    default:
      return (completion.status as number) === end.OrchestrationStatus;
  }
}

/** A failed execution's message: the SDK's failure details when kept, else the Result DurableTask.Core sets to it. */
function failureMessageOf(end: HistoryEvent): string | undefined {
  return end.FailureDetails?.ErrorMessage ?? end.Result;
}

function sameJson(a: string | undefined, b: string | undefined): boolean {
  return isDeepStrictEqual(wireJsonValue(a), wireJsonValue(b));
}

const MAX_SHOWN = 120;

function shown(text: string | undefined): string {
  const value = text === undefined || text === "" ? "nothing" : text;
  return value.length > MAX_SHOWN ? `${value.slice(0, MAX_SHOWN)}…` : value;
}

function describeEnd(end: HistoryEvent): string {
  switch (end.OrchestrationStatus) {
    case S.Completed:
      return `the orchestration completing with ${shown(end.Result)}`;
    case S.ContinuedAsNew:
      return `the orchestration continuing as new${end.Result === undefined ? "" : ` with ${shown(end.Result)}`}`;
    case S.Failed:
      return `the orchestration failing: ${shown(failureMessageOf(end))}`;
    case S.Terminated:
      return "the orchestration terminated";
    default:
      return `the orchestration ${S[end.OrchestrationStatus ?? S.Completed] ?? "ended"}`;
  }
}

function describeCompletion(completion: Completion): string {
  switch (completion.status) {
    case Status.ORCHESTRATION_STATUS_COMPLETED:
      return `the orchestration completing with ${shown(completion.result)}`;
    case Status.ORCHESTRATION_STATUS_CONTINUED_AS_NEW:
      return `the orchestration continuing as new with ${shown(completion.result)}`;
    case Status.ORCHESTRATION_STATUS_FAILED:
      return `the orchestrator throwing ${completion.failure?.errorType ?? "Error"}: ${shown(completion.failure?.message)}`;
    case Status.ORCHESTRATION_STATUS_TERMINATED:
      return "the orchestration terminated";
    default:
      return `the orchestration ending as ${Status[completion.status] ?? completion.status}`;
  }
}

/** "a call of activity 'x'" → "makes a call of activity 'x'"; "the orchestration completing …" → "ends with …". */
function actualVerb(actual: string): string {
  if (actual === "nothing" || actual === "waiting") return "waits instead";
  return actual.startsWith("the orchestration") ? `ends with ${actual}` : `makes a ${actual}`;
}

/**
 * A scheduling event of the history as the call that made it. An entity operation is an EventSent to the entity
 * (the classic entity messages the engine sends, decision-translation.ts), named by its operation here, as the code's
 * call is, so the two can be compared.
 */
function describeEvent(event: HistoryEvent): string {
  if (event.EventType === T.EventSent && event.Name === "op" && event.InstanceId?.startsWith("@")) {
    const message = wireJsonValue(event.Input) as { op?: string; signal?: boolean } | undefined;
    if (message && typeof message === "object" && message.op) return `entity ${message.signal ? "signal" : "call"} of '${message.op}' on ${event.InstanceId}`;
  }
  return describeScheduledEvent(event);
}
