/**
 * The store keeps instances, histories and the queues of work that is waiting. The engine applies every change as
 * one batch (an episode: history append + messages consumed and produced + status), so a batch is all-or-nothing.
 */
import type { HistoryEvent } from "../history/history-event";
import type { InstanceRecord, InstanceQuery, InstancePage } from "../api/types";

/** A message waiting for an orchestration instance: a history event to deliver, maybe not before `visibleAt`. */
export interface PendingMessage {
  id: number;
  instanceId: string;
  /** Set for messages that belong to one execution (completions, timers); unset for events raised to the instance. */
  executionId?: string;
  /** Epoch milliseconds before which the message must not be delivered (timers). */
  visibleAt?: number;
  /**
   * A timer that waits for the outside world (the one a callHttp poll waits on): with time skipping it still fires
   * no earlier than this wall-clock time (epoch milliseconds), since the server it polls lives in real time.
   */
  wallClockDueAt?: number;
  event: HistoryEvent;
}

export type WorkItemKind = "activity" | "http";

/** An activity (or built-in HTTP call) an orchestration scheduled and that has not completed yet. */
export interface WorkItem {
  id: number;
  kind: WorkItemKind;
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the input. */
  input: string;
}

export interface StoreBatch {
  upsertInstances?: InstanceRecord[];
  /** Appends to the instance's history; with `replace` the history is first emptied (new execution, rewind). */
  history?: { instanceId: string; events: HistoryEvent[]; replace?: boolean }[];
  addMessages?: PendingMessage[];
  deleteMessages?: number[];
  addWorkItems?: WorkItem[];
  deleteWorkItems?: number[];
  purgeInstances?: string[];
}

/** Everything a restarted engine needs to carry on: unfinished instances and the queued work. */
export interface StoreSnapshot {
  activeInstances: InstanceRecord[];
  histories: Map<string, HistoryEvent[]>;
  messages: PendingMessage[];
  workItems: WorkItem[];
  /** The largest message / work item id ever used, so new ids never collide. */
  lastId: number;
}

export interface Store {
  /** A short description for messages ("memory", or the file path). */
  readonly description: string;
  open(): Promise<StoreSnapshot>;
  /** Applies a batch at once; it is durable once the promise of the next `flush` resolves. */
  commit(batch: StoreBatch): void;
  flush(): Promise<void>;
  getInstance(instanceId: string): InstanceRecord | undefined;
  getHistory(instanceId: string): HistoryEvent[];
  listInstances(query: InstanceQuery): InstancePage;
  close(): Promise<void>;
}
