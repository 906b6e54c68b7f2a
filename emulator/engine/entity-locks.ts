/**
 * Critical sections as an orchestration's history records them: its lock requests (EventSent "op" messages with a
 * lock set), the grants (EventRaised named by the request id) and its releases.
 */
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { ENTITY_OPERATION_EVENT, ENTITY_RELEASE_EVENT, parseEntityRequest } from "./entity-batch";

/** The lock request an EventSent carries (its id and lock set), if it is one. */
function lockRequestOf(event: HistoryEvent): { id: string; lockSet: string[] } | undefined {
  if (event.EventType !== HistoryEventType.EventSent || event.Name !== ENTITY_OPERATION_EVENT || !/"lock[sS]et"/.test(event.Input ?? "")) return undefined;
  const request = parseEntityRequest({ ...event, EventType: HistoryEventType.EventRaised });
  return "unusable" in request || !request.lockSet ? undefined : { id: request.id, lockSet: request.lockSet };
}

/** The entities an orchestration holds locked at the end of its history: granted by the last answer, not yet released. */
export function heldLocks(history: readonly HistoryEvent[]): string[] {
  let pending: { id: string; lockSet: string[] } | undefined;
  let held = new Set<string>();
  for (const event of history) {
    const lock = lockRequestOf(event);
    if (lock) pending = lock;
    else if (pending && event.EventType === HistoryEventType.EventRaised && event.Name === pending.id) {
      held = new Set(pending.lockSet);
      pending = undefined;
    } else if (event.EventType === HistoryEventType.EventSent && event.Name === ENTITY_RELEASE_EVENT && event.InstanceId) held.delete(event.InstanceId);
  }
  return [...held];
}

/** The id of the orchestration's last lock request (its EventSent), which its releases name: in this episode's events, else in its history. */
export function lockRequestIdOf(history: readonly HistoryEvent[], produced: readonly HistoryEvent[]): string | undefined {
  for (const events of [produced, history]) {
    for (let i = events.length - 1; i >= 0; i--) {
      const lock = lockRequestOf(events[i]);
      if (lock) return lock.id;
    }
  }
  return undefined;
}
