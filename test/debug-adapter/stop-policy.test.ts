/**
 * The debugger's stop policy on its own (debug-adapter/stop-policy.ts), on hand-made timelines: which event a run
 * stops at, and which reason wins when several apply. The end-to-end DAP tests cover the runtime that uses it.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { HistoryEventType as T, OrchestrationStatusCode, type HistoryEvent } from "../../emulator/history/history-event";
import { StopPolicy, type StopTimeline } from "../../debug-adapter/stop-policy";

const FILE = path.resolve("/app/src/orchestrator.js");

function event(type: T, fields: Partial<HistoryEvent> = {}): HistoryEvent {
  return { EventType: type, EventId: -1, Timestamp: "2026-12-02T00:00:00.000Z", IsPlayed: false, ...fields };
}

/** A timeline whose events sit on the given source lines (undefined: no source). */
function timeline(history: HistoryEvent[], lines: (number | undefined)[], divergence?: StopTimeline["divergence"]): StopTimeline {
  return {
    history,
    divergence,
    frames: (index: number) => [
      { name: "orchestrator", source: lines[index] === undefined ? undefined : { name: "orchestrator", file: FILE, line: lines[index] as number, column: 1 } },
    ],
    nameOf: (e: HistoryEvent) => e.Name,
  };
}

describe("debugger stop policy", () => {
  const history = [
    event(T.ExecutionStarted, { Name: "flow" }),
    event(T.TaskScheduled, { EventId: 0, Name: "charge" }),
    event(T.TaskFailed, { TaskScheduledId: 0, Reason: "card declined" }),
    event(T.EventRaised, { Name: "Approval", Input: "true" }),
    event(T.ExecutionCompleted, { OrchestrationStatus: OrchestrationStatusCode.Failed, Result: "Orchestrator function 'flow' failed: no" }),
  ];
  const lines = [1, 5, 5, 9, 12];

  it("stops on a line breakpoint at the events of that line only", () => {
    const policy = new StopPolicy();
    policy.setExceptionFilters([]);
    policy.setLineBreakpoints(FILE, [{ id: 7, line: 5 }]);
    const hits = history.map((_, index) => policy.hitAt(timeline(history, lines), index));
    assert.deepEqual(
      hits.map((hit) => hit?.reason),
      [undefined, "breakpoint", "breakpoint", undefined, undefined],
    );
    assert.deepEqual(hits[1]?.hitBreakpointIds, [7]);
  });

  it("stops on a function breakpoint at the activity's scheduling and at an event of that name, not at its completion", () => {
    const policy = new StopPolicy();
    policy.setExceptionFilters([]);
    policy.setFunctionBreakpoints([
      { id: 1, name: "charge" },
      { id: 2, name: "Approval" },
    ]);
    const reasons = history.map((_, index) => policy.hitAt(timeline(history, []), index)?.hitBreakpointIds?.[0]);
    assert.deepEqual(reasons, [undefined, 1, undefined, 2, undefined]);
  });

  it("breaks on failures only for the filters the client chose", () => {
    const policy = new StopPolicy();
    const at = (index: number) => policy.hitAt(timeline(history, []), index);
    // By default: orchestration failures and nondeterminism, not activity failures.
    assert.equal(at(2), undefined);
    assert.deepEqual({ ...at(4) }, { reason: "exception", description: "Orchestration failed", text: "Orchestrator function 'flow' failed: no" });
    policy.setExceptionFilters(["activityFailed"]);
    assert.equal(at(2)?.description, "Activity failed");
    assert.match(String(at(2)?.text), /card declined/);
    assert.equal(at(4), undefined);
  });

  it("reads a failure result written as JSON text too (stores of earlier versions)", () => {
    const policy = new StopPolicy();
    const old = [event(T.ExecutionCompleted, { OrchestrationStatus: OrchestrationStatusCode.Failed, Result: JSON.stringify("it broke") })];
    assert.equal(policy.hitAt(timeline(old, []), 0)?.text, "it broke");
  });

  it("reports nondeterminism before a breakpoint on the same event", () => {
    const policy = new StopPolicy();
    policy.setLineBreakpoints(FILE, [{ id: 3, line: 9 }]);
    const divergent = timeline(history, lines, { eventIndex: 3, expected: "x", actual: "y", message: "the code changed" } as StopTimeline["divergence"]);
    assert.deepEqual({ ...policy.hitAt(divergent, 3) }, { reason: "exception", description: "Nondeterminism", text: "the code changed" });
    policy.setExceptionFilters([]);
    assert.equal(policy.hitAt(divergent, 3)?.reason, "breakpoint");
  });

  it("explains an entity operation's failure as the caller sees it", () => {
    const policy = new StopPolicy();
    policy.setExceptionFilters(["entityError"]);
    const answer = [event(T.EventRaised, { Name: "a-request-id", Input: JSON.stringify({ result: "{}", exceptionType: "Error" }) })];
    const hit = policy.hitAt(timeline(answer, []), 0);
    assert.equal(hit?.description, "Entity operation failed");
    assert.match(String(hit?.text), /serializes as \{\}/);
  });
});
