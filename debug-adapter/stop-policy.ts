/**
 * Where a run stops: the debugger's policy for one history event, given the breakpoints the client set — a
 * divergence from the history (nondeterminism), a failure the client asked to break on (orchestration, activity,
 * entity operation), a line breakpoint on the orchestrator line the event belongs to, a function breakpoint on the
 * activity, sub-orchestration or event name. In that order: the most serious reason is the one reported.
 */
import * as path from "node:path";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { HistoryEventType, OrchestrationStatusCode, type HistoryEvent } from "../emulator/history/history-event";
import type { InstanceTimeline } from "./timeline";

export type StopReason = "entry" | "step" | "breakpoint" | "function breakpoint" | "exception" | "pause";

/** Why the run stops at an event (before it knows which thread and position). */
export interface StopHit {
  reason: StopReason;
  description?: string;
  text?: string;
  hitBreakpointIds?: number[];
}

/** What the policy reads of a timeline. */
export type StopTimeline = Pick<InstanceTimeline, "history" | "divergence" | "frames" | "nameOf">;

export const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  {
    filter: "nondeterminism",
    label: "Nondeterminism",
    description: "The replay no longer matches the history: the code changed under a running instance.",
    default: true,
  },
  { filter: "orchestrationFailed", label: "Orchestration failed", default: true },
  { filter: "activityFailed", label: "Activity failed", default: false },
  { filter: "entityError", label: "Entity operation failed", default: false },
];

/** A path as breakpoints are compared (case and separators as the platform treats them). */
export function normalizePath(file: string): string {
  const resolved = path.resolve(file);
  return process.platform === "win32" ? resolved.toLowerCase() : resolved;
}

export class StopPolicy {
  /** Verified line breakpoints, by normalized file. */
  private readonly lines = new Map<string, { id: number; line: number }[]>();
  private functions: { id: number; name: string }[] = [];
  private exceptions = new Set(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));

  setLineBreakpoints(file: string, breakpoints: { id: number; line: number }[]): void {
    this.lines.set(normalizePath(file), breakpoints);
  }

  setFunctionBreakpoints(breakpoints: { id: number; name: string }[]): void {
    this.functions = breakpoints;
  }

  setExceptionFilters(filters: readonly string[]): void {
    this.exceptions = new Set(filters);
  }

  /** Whether the run stops at this event of the timeline, and why. */
  hitAt(timeline: StopTimeline, eventIndex: number): StopHit | undefined {
    const event = timeline.history[eventIndex];
    if (timeline.divergence && timeline.divergence.eventIndex === eventIndex && this.exceptions.has("nondeterminism")) {
      return { reason: "exception", description: "Nondeterminism", text: timeline.divergence.message };
    }
    const failure = this.failureAt(timeline, event);
    if (failure) return { reason: "exception", description: failure.label, text: failure.text };
    const top = timeline.frames(eventIndex)[0]?.source;
    if (top) {
      const hits = (this.lines.get(normalizePath(top.file)) ?? []).filter((bp) => bp.line === top.line);
      if (hits.length) return { reason: "breakpoint", hitBreakpointIds: hits.map((bp) => bp.id) };
    }
    if (
      event.EventType === HistoryEventType.TaskScheduled ||
      event.EventType === HistoryEventType.SubOrchestrationInstanceCreated ||
      event.EventType === HistoryEventType.EventRaised
    ) {
      const name = timeline.nameOf(event);
      const hits = this.functions.filter((bp) => bp.name === name);
      if (hits.length) return { reason: "function breakpoint", hitBreakpointIds: hits.map((bp) => bp.id) };
    }
    return undefined;
  }

  private failureAt(timeline: StopTimeline, event: HistoryEvent): { label: string; text: string } | undefined {
    if (
      event.EventType === HistoryEventType.ExecutionCompleted &&
      event.OrchestrationStatus === OrchestrationStatusCode.Failed &&
      this.exceptions.has("orchestrationFailed")
    ) {
      return { label: "Orchestration failed", text: failureText(event.Result ?? event.FailureDetails?.ErrorMessage) };
    }
    if (event.EventType === HistoryEventType.TaskFailed && this.exceptions.has("activityFailed")) {
      return {
        label: "Activity failed",
        text: `${timeline.nameOf(event) ?? "activity"} failed: ${event.Reason ?? ""}${event.Details ? ` (${event.Details})` : ""}`,
      };
    }
    if (event.EventType === HistoryEventType.EventRaised && this.exceptions.has("entityError") && event.Input?.includes('"exceptionType"')) {
      try {
        const response = JSON.parse(event.Input) as { exceptionType?: string; result?: string };
        if (response.exceptionType) {
          // What the caller's callEntity fails with: the package's Error(JSON.parse(result)). An Error thrown in the
          // entity arrives as JSON.stringify(error) ("{}"), so its message is lost, as on Azure (the emulator warns).
          let seen = response.result ?? "";
          try {
            seen = response.result ? String(Error(JSON.parse(response.result) as string).message) : "";
          } catch {
            // not JSON: shown as it is
          }
          const lost = response.result === "{}" ? " (an Error thrown in the entity serializes as {}: its message never reaches the caller)" : "";
          return {
            label: "Entity operation failed",
            text: `callEntity fails with "${seen}"${lost}; the entity answered ${response.exceptionType}: ${response.result ?? ""}`,
          };
        }
      } catch {
        // not an entity response
      }
    }
    return undefined;
  }
}

/** A failed orchestration's result: its message (the text itself, or JSON text of one from older stores). */
export function failureText(value: string | undefined): string {
  if (!value) return "The orchestration failed.";
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === "string" ? parsed : JSON.stringify(parsed);
  } catch {
    return value;
  }
}
