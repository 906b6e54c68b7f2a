/**
 * The stepping runtime of the durable debugger, apart from the protocol (as vscode-mock-debug's runtime is): the
 * session's instances as threads, each at a position in its timeline (an event of its history); runs forward to the
 * next stop the policy finds (stop-policy.ts), into sub-orchestrations and back; waits, on a live instance, for its
 * history to grow; steps back. It tells what happens as events — "thread" (a new instance), "stopped" (where and
 * why), "output" (logs, notes), "end" — and the session (durable-debug-session.ts) turns them into DAP.
 */
import { EventEmitter } from "node:events";
import { HistoryEventType } from "../emulator/history/history-event";
import type { Divergence } from "../emulator/replay/replay-check";
import type { ReplayTrace } from "../emulator/app-host/protocol";
import type { SourceFrame } from "../emulator/core/functions";
import { parseJsonText } from "../emulator/api/json-text";
import { InstanceTimeline } from "./timeline";
import { StopPolicy, type StopHit } from "./stop-policy";
import type { InstanceSource, TimeHeld } from "./instance-sources";

export interface DebugThread {
  id: number;
  instanceId: string;
  parentThreadId?: number;
  timeline?: InstanceTimeline;
  /** History length the timeline was built from; a longer history means a rebuild. */
  builtFrom: number;
  /** Index into timeline.stops. */
  position: number;
  /** Set after stepIn on an activity call: the activity about to run is shown on top. */
  inActivity?: { name: string; input: unknown; source?: SourceFrame };
  /** Events whose logs were already printed. */
  printed: Set<number>;
  /** The refresh in progress: refreshes run one after another, so an older history never lands after a newer one. */
  refreshing?: Promise<void>;
}

export interface StopFound extends StopHit {
  thread: DebugThread;
  position: number;
}

export type OutputCategory = "console" | "stdout" | "stderr";

export interface ReplayRuntimeEvents {
  thread: [threadId: number];
  stopped: [found: StopFound];
  output: [text: string, category: OutputCategory];
  end: [];
}

export class ReplayRuntime extends EventEmitter<ReplayRuntimeEvents> {
  source: InstanceSource | undefined;
  readonly threads = new Map<number, DebugThread>();
  readonly policy = new StopPolicy();
  /** The thread the user is on: the last stop's, or the main instance's. */
  current: DebugThread | undefined;
  lastStop: StopFound | undefined;
  private nextThreadId = 1;
  /** Set while the session runs forward on a live instance and waits for its history to grow. */
  private waiting: { thread: DebugThread; scanFrom: number; kind: "continue" | "next"; entry?: boolean } | undefined;
  /** Attached to every instance of a server, running until one of them hits a breakpoint. */
  private attachRunning = false;
  private terminated = false;
  /** Instances whose timer time skipping holds back, until their history moves on. */
  private readonly heldTimers = new Map<string, TimeHeld>();

  // ------------------------------------------------------------------ the session's start and end

  /** Follows the source's instances; their history changes move a waiting run on. */
  open(source: InstanceSource): void {
    this.source = source;
    source.onHistoryChanged((instanceId) => this.historyChanged(instanceId));
  }

  /** Attached to every instance of a server: each gets a thread, and the run goes on until a breakpoint. */
  async attachAll(instanceIds: readonly string[]): Promise<void> {
    for (const id of instanceIds) await this.refresh(this.threadFor(id));
    this.attachRunning = true;
  }

  /** Once the client has set its breakpoints: stops at the main instance's first event, or runs to its first stop. */
  async begin(stopOnEntry: boolean): Promise<void> {
    const source = this.source;
    if (!source) return;
    try {
      await source.started;
      if (!source.mainInstanceId) return; // attached to everything: run until a breakpoint
      const main = this.threadFor(source.mainInstanceId);
      const seen = this.changesSeen(main.instanceId);
      await this.refresh(main);
      this.current = main;
      if (!main.timeline || main.timeline.stops.length === 0) {
        this.waiting = { thread: main, scanFrom: 0, kind: stopOnEntry ? "next" : "continue", entry: stopOnEntry };
        this.lookAgainIfChanged(main.instanceId, seen);
        return;
      }
      if (stopOnEntry) this.stopAt({ thread: main, position: 0, reason: "entry" });
      else await this.runForward(main, 0, "continue", true);
    } catch (error) {
      this.fail(error);
    }
  }

  /** No more waiting for a live instance (the user stepped, paused, or ended the session). */
  stopWaiting(): void {
    this.waiting = undefined;
  }

  /** Ends the session once ("end"). */
  end(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.emit("end");
  }

  get ended(): boolean {
    return this.terminated;
  }

  /** Says what went wrong and ends the session. */
  fail(error: unknown): void {
    this.output(`${error instanceof Error ? error.message : String(error)}\n`, "stderr");
    this.end();
  }

  output(text: string, category: OutputCategory): void {
    this.emit("output", text, category);
  }

  // ------------------------------------------------------------------ moving

  /** Runs to the next stop (into the sub-orchestrations it called); on a live instance, waits for one. */
  async continue(thread: DebugThread): Promise<void> {
    await this.loadChildren(thread);
    await this.runForward(thread, thread.position, "continue");
  }

  /** The next event (an activity stepped into stays where it is). */
  async next(thread: DebugThread): Promise<void> {
    if (thread.inActivity) return this.stopAt({ thread, position: thread.position, reason: "step" });
    await this.runForward(thread, thread.position, "next");
  }

  stepBack(thread: DebugThread): void {
    if (thread.inActivity) return this.stopAt({ thread, position: thread.position, reason: "step" });
    this.stopAt({ thread, position: Math.max(0, thread.position - 1), reason: "step" });
  }

  /** Back to the previous stop the policy finds, or the first event. */
  reverseContinue(thread: DebugThread): void {
    const timeline = thread.timeline as InstanceTimeline;
    for (let position = thread.position - 1; position >= 0; position--) {
      const hit = this.policy.hitAt(timeline, timeline.stops[position]);
      if (hit) return this.stopAt({ thread, position, ...hit });
    }
    this.stopAt({ thread, position: 0, reason: "entry" });
  }

  /** Into the sub-orchestration the event started (its first event), or onto the activity it scheduled; else next. */
  async stepIn(thread: DebugThread): Promise<void> {
    const timeline = thread.timeline as InstanceTimeline;
    const event = timeline.history[timeline.stops[thread.position]];
    const scheduling =
      event.EventType === HistoryEventType.SubOrchestrationInstanceCreated || event.EventType === HistoryEventType.TaskScheduled
        ? event
        : timeline.origin(event);
    if (scheduling?.EventType === HistoryEventType.SubOrchestrationInstanceCreated && scheduling.InstanceId) {
      const facts = await this.source?.load(scheduling.InstanceId);
      if (facts) {
        const child = this.threadFor(scheduling.InstanceId, thread.id);
        await this.refresh(child);
        this.stopAt({ thread: child, position: 0, reason: "step" });
        return;
      }
      this.output(
        `The history of sub-orchestration ${scheduling.InstanceId} is not available here (a history file holds one instance); stepping over it.\n`,
        "console",
      );
    } else if (scheduling?.EventType === HistoryEventType.TaskScheduled && !thread.inActivity) {
      const registered = this.source?.host.functions.find((fn) => fn.name === scheduling.Name);
      thread.inActivity = { name: scheduling.Name ?? "activity", input: parseJsonText(scheduling.Input), source: registered?.source };
      const found: StopFound = { thread, position: thread.position, reason: "step", description: `activity ${scheduling.Name}` };
      this.lastStop = found;
      this.emit("stopped", found);
      return;
    }
    await this.runForward(thread, thread.position, "next");
  }

  /** Back in the parent, on the event that ends the sub-orchestration (or the one that created it); else continue. */
  async stepOut(thread: DebugThread): Promise<void> {
    if (thread.inActivity) return this.stopAt({ thread, position: thread.position, reason: "step" });
    const parent = thread.parentThreadId !== undefined ? this.threads.get(thread.parentThreadId) : undefined;
    if (parent?.timeline) {
      await this.refresh(parent);
      const timeline = parent.timeline;
      let position = timeline.stops.findIndex((eventIndex) => {
        const event = timeline.history[eventIndex];
        return (
          (event.EventType === HistoryEventType.SubOrchestrationInstanceCompleted || event.EventType === HistoryEventType.SubOrchestrationInstanceFailed) &&
          timeline.origin(event)?.InstanceId === thread.instanceId
        );
      });
      if (position < 0) position = timeline.stops.findIndex((eventIndex) => timeline.history[eventIndex].InstanceId === thread.instanceId);
      this.stopAt({ thread: parent, position: Math.max(0, position), reason: "step" });
      return;
    }
    await this.runForward(thread, thread.position, "continue");
  }

  /** Replays the instance again from the start, with the code as it is now. */
  async restart(thread: DebugThread): Promise<void> {
    await this.refresh(thread, true);
    thread.printed.clear();
    this.stopAt({ thread, position: 0, reason: "entry" });
  }

  /** Stops a running (or waiting) instance at its newest event: the history as it is now. */
  async pause(threadId: number): Promise<void> {
    const waiting = this.waiting;
    const thread = waiting?.thread ?? this.threads.get(threadId) ?? this.current;
    this.waiting = undefined;
    if (!thread) return;
    await this.refresh(thread).catch(() => undefined);
    this.stopAt({ thread, position: Math.max(0, (thread.timeline?.stops.length ?? 0) - 1), reason: "pause" });
  }

  // ------------------------------------------------------------------ threads, timelines, the run

  threadFor(instanceId: string, parentThreadId?: number): DebugThread {
    for (const thread of this.threads.values()) if (thread.instanceId === instanceId) return thread;
    const thread: DebugThread = { id: this.nextThreadId++, instanceId, parentThreadId, builtFrom: -1, position: 0, printed: new Set() };
    this.threads.set(thread.id, thread);
    this.emit("thread", thread.id);
    return thread;
  }

  /**
   * Rebuilds the thread's timeline when its history has grown (or on demand). A step the client asks for and a change
   * of the live instance may both refresh at once; each waits for the one before it, whose trace may return later.
   */
  refresh(thread: DebugThread, force = false): Promise<void> {
    const next = (thread.refreshing ?? Promise.resolve()).catch(() => undefined).then(() => this.rebuildTimeline(thread, force));
    thread.refreshing = next;
    return next;
  }

  private async rebuildTimeline(thread: DebugThread, force: boolean): Promise<void> {
    const source = this.source;
    if (!source) return;
    const facts = await source.load(thread.instanceId);
    if (!facts) throw new Error(`The instance "${thread.instanceId}" is not there any more.`);
    if (!force && thread.timeline && facts.history.length === thread.builtFrom && facts.runtimeStatus === thread.timeline.facts.runtimeStatus) return;
    // A new instance has no history until its first episode: nothing to replay yet.
    const replayed: { trace: ReplayTrace; divergence?: Divergence } = facts.history.length
      ? await source.host.traceInstance(facts)
      : { trace: { steps: [], tasks: [], state: { isDone: false }, newTasks: [] } };
    thread.timeline = new InstanceTimeline(facts, replayed.trace, replayed.divergence);
    thread.builtFrom = facts.history.length;
    if (facts.parentInstanceId && thread.parentThreadId === undefined) {
      for (const candidate of this.threads.values()) if (candidate.instanceId === facts.parentInstanceId) thread.parentThreadId = candidate.id;
    }
  }

  private changeQueue: Promise<void> = Promise.resolve();

  private readonly queuedChanges = new Set<string>();

  /** History changes arrive in bursts; each instance is looked at once per burst, one at a time. */
  historyChanged(instanceId: string): void {
    this.heldTimers.delete(instanceId); // it moved on: the timer fired, or the event came
    this.changeCounts.set(instanceId, this.changesSeen(instanceId) + 1);
    this.lookAt(instanceId);
  }

  private readonly changeCounts = new Map<string, number>();

  changesSeen(instanceId: string): number {
    return this.changeCounts.get(instanceId) ?? 0;
  }

  /**
   * After `waiting` is set outside the change queue (a launch, a step the client asked for): a change that came while
   * the history was being read saw nothing waiting and was dropped, so it is looked at again. The instance may have
   * finished meanwhile, and then no later change would ever come.
   */
  lookAgainIfChanged(instanceId: string, seenBefore: number): void {
    if (this.changesSeen(instanceId) !== seenBefore) this.lookAt(instanceId);
  }

  /** Queues a look at the instance's history (at most one queued per instance). */
  private lookAt(instanceId: string): void {
    if (this.queuedChanges.has(instanceId)) return;
    this.queuedChanges.add(instanceId);
    this.changeQueue = this.changeQueue.then(() => {
      this.queuedChanges.delete(instanceId);
      return this.handleChange(instanceId);
    });
  }

  findThread(instanceId: string): DebugThread | undefined {
    for (const thread of this.threads.values()) if (thread.instanceId === instanceId) return thread;
    return undefined;
  }

  private async handleChange(instanceId: string): Promise<void> {
    const source = this.source;
    if (this.terminated || !source) return;
    const attachAll = !source.mainInstanceId;
    const waiting = this.waiting;
    if (!waiting && !this.attachRunning) {
      if (attachAll) this.threadFor(instanceId);
      return;
    }
    try {
      let thread = this.findThread(instanceId);
      if (waiting?.thread && thread === waiting.thread) {
        await this.refresh(thread);
        if (this.waiting !== waiting) return;
        this.waiting = undefined;
        await this.runForward(thread, waiting.scanFrom, waiting.kind, true, waiting.entry);
        return;
      }
      if (waiting?.kind === "next") return; // a step stays on its thread
      if (!thread) {
        // A sub-orchestration of an instance in the session (or, attached, any new instance).
        const facts = await source.load(instanceId);
        const parent = facts?.parentInstanceId ? this.findThread(facts.parentInstanceId) : undefined;
        if (!facts || (!attachAll && !parent)) return;
        thread = this.threadFor(instanceId, parent?.id);
      }
      const before = thread.timeline?.stops.length ?? 0;
      await this.refresh(thread);
      if (this.waiting !== waiting) return;
      const found = this.scan(thread, before, "continue", true, 0);
      if (found) {
        this.waiting = undefined;
        this.attachRunning = false;
        this.stopAt(found);
      }
    } catch (error) {
      this.fail(error);
    }
  }

  /**
   * Moves forward from `from` (a position already passed) and stops at the next event that is a stop for `kind`:
   * any event for "next", a breakpoint for "continue". Live instances that have nothing more yet are waited for.
   */
  async runForward(thread: DebugThread, from: number, kind: "continue" | "next", includeFrom = false, entry = false): Promise<void> {
    const seen = this.changesSeen(thread.instanceId);
    await this.refresh(thread);
    const found = this.scan(thread, from, kind, includeFrom, 0);
    if (found) {
      this.stopAt(entry && found.reason === "step" ? { ...found, reason: "entry" } : found);
      return;
    }
    const timeline = thread.timeline as InstanceTimeline;
    const end = Math.max(0, timeline.stops.length - 1);
    if (this.source?.live && !this.source.mainInstanceId) {
      // Attached: the end of one instance is not the end of the session.
      this.printLogs(thread, end);
      thread.position = end;
      this.attachRunning = true;
      return;
    }
    if (this.source?.live && !timeline.finished) {
      this.printLogs(thread, end);
      // Running on into held time would look like a hang: say again what it waits for.
      const held = this.heldTimers.get(thread.instanceId);
      if (held) this.timeHeld(held);
      thread.position = end;
      this.waiting = { thread, scanFrom: timeline.stops.length, kind, entry };
      this.lookAgainIfChanged(thread.instanceId, seen);
      return;
    }
    const parent = thread.parentThreadId !== undefined ? this.threads.get(thread.parentThreadId) : undefined;
    if (parent?.timeline) {
      // The sub-orchestration ended: carry on in the parent after the event that created it.
      this.current = parent;
      await this.runForward(parent, parent.position, kind);
      return;
    }
    this.printLogs(thread, end);
    this.output(`${timeline.facts.name} ${timeline.facts.instanceId}: end of the history (${timeline.facts.runtimeStatus}).\n`, "console");
    this.end();
  }

  /** Finds the next stop; for "continue", sub-orchestrations' histories are searched where they were called. */
  private scan(thread: DebugThread, from: number, kind: "continue" | "next", includeFrom: boolean, depth: number): StopFound | undefined {
    const timeline = thread.timeline;
    if (!timeline) return undefined;
    const start = includeFrom ? from : from + 1;
    for (let position = start; position < timeline.stops.length; position++) {
      const eventIndex = timeline.stops[position];
      if (kind === "next") return { thread, position, reason: "step" };
      const hit = this.policy.hitAt(timeline, eventIndex);
      if (hit) return { thread, position, ...hit };
      const event = timeline.history[eventIndex];
      if (event.EventType === HistoryEventType.SubOrchestrationInstanceCreated && event.InstanceId && depth < 8) {
        const child = this.childThread(event.InstanceId);
        if (child?.timeline) {
          const inChild = this.scan(child, 0, kind, true, depth + 1);
          if (inChild) {
            thread.position = position;
            return inChild;
          }
        }
      }
    }
    return undefined;
  }

  /** The thread of a sub-orchestration, once loadChildren has found its history. */
  private childThread(instanceId: string): DebugThread | undefined {
    return this.findThread(instanceId);
  }

  /** Loads the timelines of the sub-orchestrations an instance called, so continue can stop inside them. */
  async loadChildren(thread: DebugThread, depth = 0): Promise<void> {
    if (!thread.timeline || depth > 8) return;
    for (const event of thread.timeline.history) {
      if (event.EventType !== HistoryEventType.SubOrchestrationInstanceCreated || !event.InstanceId) continue;
      const facts = await this.source?.load(event.InstanceId);
      if (!facts) continue;
      const child = this.threadFor(event.InstanceId, thread.id);
      await this.refresh(child);
      await this.loadChildren(child, depth + 1);
    }
  }

  /** Stops the run at the found position: the logs up to it are printed, then the stop is announced ("stopped"). */
  stopAt(found: StopFound): void {
    const { thread, position } = found;
    this.attachRunning = false;
    thread.position = position;
    thread.inActivity = undefined;
    this.current = thread;
    this.printLogs(thread, thread.timeline?.stops[position] ?? 0);
    this.lastStop = found;
    this.emit("stopped", found);
  }

  /** Prints what the orchestrator logged at the events up to this one, once each; replayed lines are marked. */
  private printLogs(thread: DebugThread, upToEvent: number): void {
    const timeline = thread.timeline;
    if (!timeline) return;
    for (let index = 0; index <= upToEvent; index++) {
      if (thread.printed.has(index)) continue;
      thread.printed.add(index);
      for (const entry of timeline.logsAt(index)) {
        this.output(
          `${entry.replaying ? "[replay] " : ""}[${timeline.facts.name}] ${entry.message}\n`,
          entry.level === "error" || entry.level === "warning" ? "stderr" : "stdout",
        );
      }
    }
  }

  threadOf(threadId: number): DebugThread {
    const thread = this.threads.get(threadId) ?? this.current;
    if (!thread) throw new Error("There is no orchestration instance in this session yet.");
    return thread;
  }

  /** Says why a waiting instance does not move on: its timer waits for the user, who may still raise the event. */
  timeHeld(held: TimeHeld): void {
    this.heldTimers.set(held.instanceId, held);
    const events = held.events.map((name) => `\`${name}\``).join(", ");
    this.output(
      `time held: ${held.name} waits for event ${events}; the timer at ${held.fireAt} fires after \`advance\` (raise ${held.events[0]} <json> answers it first; "timeSkipping": "always" skips such timers).\n`,
      "console",
    );
  }
}
