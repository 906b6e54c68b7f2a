/**
 * Time skipping in a debug session: the clock does not jump to a timer while that timer's instance waits for an
 * external event, because the user debugging it may still raise the event (a 72-hour approval timeout would
 * otherwise have fired before the first stop). Time still passes at wall speed, and `advance` moves it on purpose.
 */
import type { InstanceRecord } from "../api/types";
import type { PendingMessage } from "../store/store";

export interface HeldTimer {
  /** The timer message that is not skipped to. */
  messageId: number;
  instanceId: string;
  /** The orchestrator's name. */
  name: string;
  /** The events the instance waits for. */
  events: string[];
  /** When the timer is due (epoch milliseconds). */
  fireAt: number;
}

/** The first of the timers due next whose instance waits for an external event, if one does. */
export function findHeldTimer(dueNext: readonly PendingMessage[], recordOf: (instanceId: string) => InstanceRecord | undefined): HeldTimer | undefined {
  for (const message of dueNext) {
    const record = recordOf(message.instanceId);
    if (!record?.waitingForEvents?.length) continue;
    return { messageId: message.id, instanceId: record.instanceId, name: record.name, events: record.waitingForEvents, fireAt: message.visibleAt ?? 0 };
  }
  return undefined;
}
