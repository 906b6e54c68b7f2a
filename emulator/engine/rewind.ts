/**
 * Rewind: a Failed instance's history is cut back to just before the episode that first failed (a failed activity or
 * sub-orchestration, or the orchestrator's own failure), and everything that was in flight at that point runs again:
 * activities re-run, timers re-armed, finished sub-orchestrations report again and failed ones are rewound too, and
 * events raised after that point are delivered again. The orchestrator then replays from there.
 */
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import type { PendingMessage, StoreBatch } from "../store/store";
import type { InstanceRecord } from "../api/types";
import type { EngineState } from "./engine-state";
import type { ActivityRunner } from "./activity-runner";
import { genericEvent, subOrchestrationCompleted, timerFired } from "../core/history-events";

export class Rewinder {
  constructor(
    private readonly state: EngineState,
    private readonly activities: ActivityRunner,
  ) {}

  /**
   * Rewinds a Failed instance into the batch (see Engine.rewind): the history cut back to just before the episode that
   * first failed, everything in flight then run again, failed sub-orchestrations rewound too.
   */
  rewindInto(batch: StoreBatch, record: InstanceRecord, reason: string): void {
    const old = this.state.store.getHistory(record.instanceId);
    const now = new Date(this.state.clock.now()).toISOString();
    const isFailure = (e: HistoryEvent) =>
      e.EventType === HistoryEventType.TaskFailed ||
      e.EventType === HistoryEventType.SubOrchestrationInstanceFailed ||
      e.EventType === HistoryEventType.ExecutionCompleted;
    const firstFailure = old.findIndex(isFailure);
    let cut = firstFailure < 0 ? old.length : firstFailure;
    while (cut > 0 && old[cut].EventType !== HistoryEventType.OrchestratorStarted) cut--;
    const kept = old.slice(0, cut);
    const dropped = old.slice(cut);
    kept.push(genericEvent(`Rewound: ${reason}`, now));

    const updated: InstanceRecord = {
      ...record,
      runtimeStatus: "Running",
      output: undefined,
      failure: undefined,
      lastUpdatedTime: now,
      waitingForEvents: undefined,
      canceledTimerIds: undefined,
      timerCancellations: undefined,
      controlReason: undefined,
    };
    (batch.history ??= []).push({ instanceId: record.instanceId, events: kept, replace: true });
    this.state.upsert(batch, updated);
    const instance = this.state.activeFrom(updated, kept);
    this.state.active.set(record.instanceId, instance);
    const message = (event: HistoryEvent, executionId?: string): PendingMessage => ({
      id: this.state.nextId(),
      instanceId: record.instanceId,
      executionId,
      event,
    });

    for (const [taskId, scheduled] of instance.scheduled) {
      if (instance.completed.has(taskId)) continue;
      switch (scheduled.EventType) {
        case HistoryEventType.TaskScheduled:
          this.activities.addWorkItem(batch, instance, taskId, scheduled.Name ?? "", scheduled.Input ?? "null");
          break;
        case HistoryEventType.TimerCreated: {
          const fireAt = scheduled.FireAt ?? now;
          this.state.enqueue(batch, { ...message(timerFired(taskId, fireAt, scheduled.Timestamp), record.executionId), visibleAt: Date.parse(fireAt) });
          break;
        }
        case HistoryEventType.SubOrchestrationInstanceCreated: {
          const child = scheduled.InstanceId ? this.state.store.getInstance(scheduled.InstanceId) : undefined;
          if (child?.runtimeStatus === "Failed") this.rewindInto(batch, child, reason);
          else if (child?.runtimeStatus === "Completed") {
            this.state.enqueue(batch, message(subOrchestrationCompleted(taskId, child.output ?? "null", now), record.executionId));
          }
          break;
        }
      }
    }
    for (const event of dropped) {
      if (event.EventType === HistoryEventType.EventRaised) this.state.enqueue(batch, message(event));
      // Failed in its first episode: the execution starts again (on Azure it replays from the same ExecutionStarted).
      if (event.EventType === HistoryEventType.ExecutionStarted) this.state.enqueue(batch, message({ ...event, IsPlayed: false }, record.executionId));
    }
    // Wake the orchestrator so it replays the shortened history even when nothing else is due.
    this.state.enqueue(batch, message(genericEvent(`Rewind: ${reason}`, now), record.executionId));
  }
}
