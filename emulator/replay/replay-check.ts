/**
 * The verdict of replaying a saved history against the current code, as `durable-devkit replay` reports it and the
 * debugger's nondeterminism stop shows it: does the code make the same durable calls, in the same order, and finish
 * the way the history did? Nothing runs: activities, timers and events come from the history.
 */
import * as path from "node:path";
import { HistoryEventType, OrchestrationStatusCode, eventTypeName, type HistoryEvent } from "../history/history-event";
import { describeTask } from "../history/task-matching";
import type { AppHostClient } from "../app-host/app-host-client";
import type { ReplayTrace } from "../app-host/protocol";
import { unknownFunction } from "../core/errors";
import { rebuildFromApi } from "./api-history";
import { sourceLineOfError } from "./source-line";
import type { HistorySource } from "./history-source";

export interface Divergence {
  /** Index of the history event where the code stopped matching. */
  eventIndex: number;
  /** What the history recorded there. */
  expected: string;
  /** What the current code does instead. */
  actual: string;
  /** The app's file:line:column of the call that no longer matches, relative to the app folder. */
  sourceLine?: string;
  message: string;
}

/** What every replay reports, whichever code ran it: the Functions app host here, a Durable Task SDK's worker in sdk-replay-check.ts. */
export interface ReplayReport {
  source: HistorySource;
  /** The history that was replayed (rebuilt when the source was the management API's folded history). */
  events: HistoryEvent[];
  divergence?: Divergence;
  /** What the code does next, when the history ends with events the orchestrator has not answered yet. */
  next?: string[];
  durationMs: number;
}

export interface ReplayVerdict extends ReplayReport {
  /** The record of the replay (detailed when it diverged, so the source line is known). */
  trace: ReplayTrace;
}

/** Replays one history; throws an UnknownFunction DurableError when the app has no such orchestrator. */
export async function replayHistory(host: AppHostClient, source: HistorySource, options: { detailed?: boolean } = {}): Promise<ReplayVerdict> {
  const started = performance.now();
  requireOrchestrator(host, source.name);
  const traceOf = (events: HistoryEvent[], detailed: boolean) =>
    host.trace({
      functionName: source.name,
      instanceId: source.instanceId,
      history: events === source.events && source.file ? { file: source.file } : events,
      input: source.input,
      detailed,
    });
  let events = source.events;
  let rebuiltDivergence: Divergence | undefined;
  if (!events) {
    const rebuilt = await rebuildFromApi(source, (history) => traceOf(history, false));
    events = rebuilt.events;
    rebuiltDivergence = rebuilt.divergence;
  }
  let trace = await traceOf(events, options.detailed === true);
  let divergence = rebuiltDivergence ?? judgeReplay(events, trace, host.appDir);
  if (divergence && !options.detailed) {
    // Once more with stacks, to point at the line.
    trace = await traceOf(events, true);
    divergence = rebuiltDivergence ?? judgeReplay(events, trace, host.appDir);
  }
  return { source, events, divergence, trace, durationMs: performance.now() - started };
}

export function requireOrchestrator(host: AppHostClient, name: string): void {
  const orchestrators = host.functions.filter((fn) => fn.kind === "orchestration").map((fn) => fn.name);
  if (!orchestrators.includes(name)) throw unknownFunction("orchestration", name, orchestrators);
}

export function judgeReplay(events: HistoryEvent[], trace: ReplayTrace, appDir: string): Divergence | undefined {
  const report = trace.nondeterminism;
  if (report) {
    const eventIndex = events.findIndex(
      (event) => event.EventId === report.eventId && event.EventType !== HistoryEventType.OrchestratorStarted && event.EventId >= 0,
    );
    return { eventIndex: Math.max(eventIndex, 0), expected: report.expected, actual: report.actual, sourceLine: report.sourceLine, message: report.message };
  }
  const endIndex = events.findIndex((event) => event.EventType === HistoryEventType.ExecutionCompleted);
  if (endIndex < 0) return undefined;
  const end = events[endIndex];
  if (end.OrchestrationStatus !== OrchestrationStatusCode.Completed) return undefined;
  if (trace.failure) {
    return {
      eventIndex: endIndex,
      expected: "the orchestration completes",
      actual: `the orchestrator throws: ${trace.failure.message}`,
      sourceLine: sourceLineOfError(trace.failure.stack, appDir),
      message: `The history ends with the orchestration Completed, but the current code throws when replayed: ${trace.failure.message}`,
    };
  }
  if (!trace.state.isDone) {
    const next = trace.newTasks[0];
    const traced = next ? trace.tasks.find((task) => task.id === next.id) : undefined;
    const frame = traced?.stack[0];
    const actual = next ? `a ${describeTask(next.task)}` : "waiting";
    return {
      eventIndex: endIndex,
      expected: "the orchestration completes",
      actual,
      sourceLine: frame ? `${path.relative(appDir, frame.file)}:${frame.line}:${frame.column}` : undefined,
      message:
        `Non-deterministic workflow detected: the history ends with the orchestration Completed (${eventTypeName(end.EventType)} #${endIndex}), ` +
        `but the current code does not finish there: it makes ${actual}${frame ? ` (at ${path.relative(appDir, frame.file)}:${frame.line})` : ""}.`,
    };
  }
  return undefined;
}
