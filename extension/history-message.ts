/**
 * What the history view (extension/webview/history-view.ts) is sent: an instance's record and history, and those of
 * the first sub-orchestrations it started, read from an emulator's API. Kept free of the vscode module, so the page can
 * be tested in a browser with exactly what the extension sends.
 */
import type { FailureInfo, InstanceRecord, TimerCancellation } from "../emulator/api/types";
import { HistoryEventType, type HistoryEvent } from "../emulator/history/history-event";

export interface HistoryMessage {
  type: "history";
  instanceId: string;
  name: string;
  runtimeStatus: string;
  /** The emulator's clock, which runs ahead of the wall clock when it skips time. */
  now: string;
  input?: string;
  output?: string;
  customStatus?: string;
  failure?: FailureInfo;
  timerCancellations: TimerCancellation[];
  history: HistoryEvent[];
  children: { instanceId: string; history: HistoryEvent[]; timerCancellations: TimerCancellation[] }[];
}

/** At most this many sub-orchestrations are nested into the timeline, as in the dashboard. */
const CHILDREN = 10;

/** The part of EmulatorClient read here (named by shape: the page's own build imports this file's types). */
export interface HistoryReader {
  history(instanceId: string): Promise<{ instance: InstanceRecord; history: HistoryEvent[]; now: string }>;
}

export async function historyMessage(client: HistoryReader, instanceId: string): Promise<HistoryMessage> {
  const { instance, history, now } = await client.history(instanceId);
  const children: HistoryMessage["children"] = [];
  for (const event of history.filter((e) => e.EventType === HistoryEventType.SubOrchestrationInstanceCreated && e.InstanceId).slice(0, CHILDREN)) {
    try {
      const child = await client.history(event.InstanceId as string);
      children.push({ instanceId: event.InstanceId as string, history: child.history, timerCancellations: child.instance.timerCancellations ?? [] });
    } catch {
      // purged child: the parent's bar alone
    }
  }
  return {
    type: "history",
    instanceId,
    name: instance.name,
    runtimeStatus: instance.runtimeStatus,
    now,
    input: instance.input,
    output: instance.output,
    customStatus: instance.customStatus,
    failure: instance.failure,
    timerCancellations: instance.timerCancellations ?? [],
    history,
    children,
  };
}
