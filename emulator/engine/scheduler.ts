/**
 * When things run: the pump delivers due timers, starts episodes of ready instances and queued activities up to the
 * host.json limits, and, with time skipping, jumps the clock to the next timer once nothing else can run (unless a
 * debug session holds it at an instance that waits for an event). It also answers "is the engine idle?".
 */
import { findHeldTimer, type HeldTimer } from "./awaited-event-hold";
import type { EngineState } from "./engine-state";
import type { EpisodeRunner } from "./episode-runner";
import type { ActivityRunner } from "./activity-runner";

export class Scheduler {
  private pumpScheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private readonly idleWaiters: (() => void)[] = [];
  /** The timer the clock last refused to skip to, so each hold is reported once. */
  private reportedHold: number | undefined;

  constructor(
    private readonly state: EngineState,
    private readonly episodes: EpisodeRunner,
    private readonly activities: ActivityRunner,
    private readonly holdAtAwaitedEvents: boolean,
  ) {
    state.wake = () => this.schedulePump();
  }

  /** Stops waking up (the engine is closing). */
  stop(): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
  }

  /** Resolves when nothing can run now: no episode, no activity, no due timer (future timers may remain on wall time). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    const nextDue = this.state.timers.peekDue() ?? Infinity;
    const dueTimer = this.state.timers.size > 0 && ((this.state.clock.skipping && !this.heldTimer()) || nextDue <= this.state.clock.now());
    return (
      this.state.runningEpisodes === 0 &&
      this.state.runningActivities === 0 &&
      this.state.ready.size === 0 &&
      this.state.activityQueueHead >= this.state.activityQueue.length &&
      !dueTimer
    );
  }

  /** Instances that cannot progress by themselves (waiting for an external event or a far timer). */
  pendingTimerCount(): number {
    return this.state.timers.size + this.state.wallClockTimers.size;
  }

  /** Timers that wait for wall-clock time even with time skipping (callHttp polls). */
  wallClockTimerCount(): number {
    return this.state.wallClockTimers.size;
  }

  /** Moves the emulator's clock forward (the debugger's `advance`); timers that are due by then fire. */
  advanceClock(ms: number): void {
    this.state.clock.advanceBy(ms);
    this.schedulePump();
  }

  /** Moves the clock to the next pending timer, which then fires (the debugger's `advance` without a duration). */
  advanceClockToNextTimer(): { fireAt: number } | undefined {
    const due = this.state.timers.peekDue();
    if (due === undefined) return undefined;
    const ahead = due - this.state.clock.now();
    if (ahead > 0) this.state.clock.advanceBy(ahead);
    this.schedulePump();
    return { fireAt: due };
  }

  /** The next timer, when skipping to it is held back because its instance waits for an external event. */
  private heldTimer(): HeldTimer | undefined {
    if (!this.holdAtAwaitedEvents || !this.state.clock.skipping) return undefined;
    const due = this.state.timers.peekDue();
    if (due === undefined) return undefined;
    return findHeldTimer(this.state.timers.dueBy(due), (instanceId) => this.state.active.get(instanceId)?.record);
  }

  schedulePump(): void {
    if (this.pumpScheduled || this.state.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.state.closed) return;
    for (const message of this.state.timers.popDue(this.state.clock.now())) {
      message.visibleAt = undefined;
      this.state.deliver(message);
    }
    for (const instanceId of this.state.ready) {
      if (this.state.runningEpisodes >= this.state.limits.maxEpisodes) break;
      this.state.ready.delete(instanceId);
      const instance = this.state.active.get(instanceId);
      if (instance && !instance.running && instance.inbox.length) void this.episodes.runEpisode(instance);
    }
    while (this.state.runningActivities < this.state.limits.maxActivities && this.state.activityQueueHead < this.state.activityQueue.length) {
      const item = this.state.activityQueue[this.state.activityQueueHead++];
      void this.activities.runWorkItem(item);
    }
    if (this.state.activityQueueHead > 1024 && this.state.activityQueueHead * 2 > this.state.activityQueue.length) {
      this.state.activityQueue.splice(0, this.state.activityQueueHead);
      this.state.activityQueueHead = 0;
    }
    const busy = this.state.runningEpisodes > 0 || this.state.runningActivities > 0 || this.state.ready.size > 0;
    const nextDue = this.state.timers.peekDue();
    const held = !busy && nextDue !== undefined ? this.heldTimer() : undefined;
    if (!busy && nextDue !== undefined && this.state.clock.skipping && !held) {
      this.state.clock.advanceTo(nextDue);
      this.schedulePump();
      return;
    }
    if (held && held.messageId !== this.reportedHold) {
      this.reportedHold = held.messageId;
      this.state.emit({ kind: "timeHeld", instanceId: held.instanceId, name: held.name, events: held.events, fireAt: new Date(held.fireAt).toISOString() });
    }
    // On wall time, and while skipping is held, the next timer fires when it is due.
    if (nextDue !== undefined && (!this.state.clock.skipping || held)) this.wakeUpAt(nextDue);
    if (this.isIdle()) {
      const waiters = this.idleWaiters.splice(0);
      for (const resolve of waiters) resolve();
    }
  }

  private wakeUpAt(due: number): void {
    if (due >= this.wakeAt && this.wakeTimer) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = due;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAt = Number.POSITIVE_INFINITY;
        this.schedulePump();
      },
      Math.min(2 ** 31 - 1, Math.max(0, due - this.state.clock.now())),
    );
  }
}
