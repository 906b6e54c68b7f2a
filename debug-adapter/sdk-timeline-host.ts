/**
 * The debugger's timeline for a Durable Task SDK orchestration (@microsoft/durabletask-js): one replay of the whole
 * history through the SDK itself, in the app's own worker (emulator/replay/sdk-replay-host.ts), traced event by event
 * (sdk-replay-tracer.ts), read here into the ReplayTrace the Functions path gives, so InstanceTimeline steps both alike.
 *
 * One traced replay, not a replay per prefix of the history: the SDK processes the events one by one in one context,
 * so the state after each event is what the orchestrator had done and waited for at that point, as a prefix's replay
 * would say, for one replay's cost. Action ids are the SDK's sequence numbers, which are the EventIds of the
 * history's scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated, EventSent), so each of
 * those events finds the call that made it; a completion finds the call whose task it completed.
 *
 * Whether the history still matches the code is `durable-devkit replay`'s verdict (sdk-replay-check.ts), with the
 * source line of the code's call at that event taken from the trace when the verdict has none.
 */
import * as path from "node:path";
import { HistoryEventType as T, type HistoryEvent } from "../emulator/history/history-event";
import type { ReplayTrace, TraceStep, TracedTask } from "../emulator/app-host/protocol";
import type { RegisteredFunction } from "../emulator/core/functions";
import { decisionOf } from "../emulator/grpc/decision-translation";
import { toProtoEvent } from "../emulator/grpc/history-translation";
import { pb, textOf } from "../emulator/grpc/protocol";
import type { Divergence } from "../emulator/replay/replay-check";
import { replaySdkHistory, requestOf } from "../emulator/replay/sdk-replay-check";
import type { SdkReplayHost } from "../emulator/replay/sdk-replay-host";
import type { SdkReplayTraceRecord } from "../emulator/replay/sdk-replay-protocol";
import type { HistorySource } from "../emulator/replay/history-source";
import type { TimelineHost } from "./timeline-host";
import { wireJsonValue } from "../emulator/api/json-text";

const SCHEDULING = new Set([T.TaskScheduled, T.TimerCreated, T.SubOrchestrationInstanceCreated, T.EventSent]);

export function sdkTimelineHost(host: SdkReplayHost): TimelineHost & { readonly functions: RegisteredFunction[] } {
  // The SDK's registry is not read from outside the worker: what the debugger knows by name is what the histories
  // it replayed name (function breakpoints on other names are still set, as unverified).
  const functions: RegisteredFunction[] = [];
  const know = (name: string | undefined, kind: RegisteredFunction["kind"]) => {
    if (name && !functions.some((fn) => fn.name === name)) functions.push({ name, kind, triggerType: `${kind}Trigger`, bindings: {} });
  };
  return {
    appDir: host.appDir,
    functions,
    async traceInstance(facts) {
      const source: HistorySource = {
        origin: `instance ${facts.instanceId}`,
        name: facts.name,
        instanceId: facts.instanceId,
        input: facts.input,
        events: facts.history,
      };
      // The verdict first: it also says, as `replay` says it, when the worker has no such orchestrator.
      const report = await replaySdkHistory(host, source);
      const answer = await host.replay(facts.name, requestOf(source, facts.history), { trace: true });
      if (answer.kind !== "response") throw new Error(`The worker ${host.entryLabel} registers no orchestrator named "${facts.name}".`);
      know(facts.name, "orchestration");
      for (const event of facts.history) {
        if (event.EventType === T.TaskScheduled) know(event.Name, "activity");
        if (event.EventType === T.SubOrchestrationInstanceCreated) know(event.Name, "orchestration");
      }
      const record = answer.trace ?? { calls: [], steps: [] };
      const trace = traceOf(facts.history, answer.response, record);
      return { trace, divergence: withSourceLine(report.divergence, facts.history, trace, host.appDir) };
    },
  };
}

/** The SDK's record, in the debugger's terms: history indexes, task roles as the engine reads actions, finished states. */
export function traceOf(history: HistoryEvent[], response: pb.OrchestratorResponse, record: SdkReplayTraceRecord): ReplayTrace {
  // The request carries the events toProtoEvent translates, in history order: the n-th of them is this history index.
  const historyIndexOf: number[] = [];
  history.forEach((event, index) => {
    if (toProtoEvent(event) !== undefined) historyIndexOf.push(index);
  });
  const at = (requestIndex: number) => (requestIndex < 0 ? -1 : (historyIndexOf[requestIndex] ?? -1));
  const lastStep = record.steps[record.steps.length - 1];
  const tasks: TracedTask[] = record.calls.map((call, index) => ({
    id: call.id,
    task: call.method === "waitForExternalEvent" ? { role: "externalEvent", name: call.eventName ?? "" } : roleOf(call.action, call.method, history.length),
    createdAtEvent: at(call.atEvent),
    stack: call.frame ? [call.frame] : [],
    open: lastStep?.open.includes(index) ?? true,
  }));
  const finished = finishedOf(response);
  const steps: TraceStep[] = record.steps.map((step) => {
    const eventIndex = at(step.event);
    const event = history[eventIndex];
    let eventTask: number | undefined;
    if (event && SCHEDULING.has(event.EventType) && event.EventId >= 0) eventTask = tasks.findIndex((task) => task.id === event.EventId);
    if (eventTask === undefined || eventTask < 0) eventTask = step.completed[0];
    return {
      eventIndex,
      isReplaying: step.isReplaying,
      currentUtcDateTime: step.currentUtcDateTime ?? event?.Timestamp ?? "",
      customStatus: wireJsonValue(step.customStatus),
      eventTask,
      waitingOn: step.complete ? undefined : step.waitingOn,
      created: tasks.flatMap((task, index) => (record.calls[index].atEvent === step.event ? [index] : [])),
      openTaskIds: step.open.flatMap((index) => (tasks[index].id === undefined ? [] : [tasks[index].id as number])),
      waitingForEvents: step.open.flatMap((index) => {
        const role = tasks[index].task;
        return role.role === "externalEvent" ? [role.name] : [];
      }),
      logs: [],
      finished: step.complete ? (finished ?? {}) : undefined,
    };
  });
  const decision = decisionOf(response, history.length);
  return {
    steps: steps.filter((step) => step.eventIndex >= 0),
    tasks,
    state: {
      isDone: finished !== undefined,
      output: finished?.output,
      error: finished?.error,
      customStatus: wireJsonValue(textOf(response.getCustomstatus())),
    },
    newTasks: decision.newTasks,
  };
}

/** An action as the engine reads it from a worker's response (decision-translation.ts), so it is named as everywhere. */
function roleOf(action: string | undefined, method: string, historyLength: number): TracedTask["task"] {
  if (action) {
    const response = new pb.OrchestratorResponse();
    response.setActionsList([pb.OrchestratorAction.deserializeBinary(Buffer.from(action, "base64"))]);
    const task = decisionOf(response, historyLength).newTasks[0];
    if (task) return task.task;
  }
  return { role: "unknown", description: method };
}

function finishedOf(response: pb.OrchestratorResponse): { output?: unknown; error?: string } | undefined {
  for (const action of response.getActionsList()) {
    const complete = action.getCompleteorchestration();
    if (!complete) continue;
    const failure = complete.getFailuredetails();
    if (complete.getOrchestrationstatus() === pb.OrchestrationStatus.ORCHESTRATION_STATUS_FAILED)
      return { error: failure ? `${failure.getErrortype()}: ${failure.getErrormessage()}` : "failed" };
    return { output: wireJsonValue(textOf(complete.getResult())) };
  }
  return undefined;
}

/** The verdict's source line, else the code's call at the diverging event (or the first call the history lacks). */
function withSourceLine(divergence: Divergence | undefined, history: HistoryEvent[], trace: ReplayTrace, appDir: string): Divergence | undefined {
  if (!divergence || divergence.sourceLine) return divergence;
  const event = history[divergence.eventIndex];
  let task = event && event.EventId >= 0 ? trace.tasks.find((candidate) => candidate.id === event.EventId) : undefined;
  if (!task && trace.newTasks[0]) task = trace.tasks.find((candidate) => candidate.id === trace.newTasks[0].id);
  const frame = task?.stack[0];
  return frame ? { ...divergence, sourceLine: `${path.relative(appDir, frame.file)}:${frame.line}:${frame.column}` } : divergence;
}
