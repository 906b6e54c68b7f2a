/**
 * Puts what an instance waits for into words for notifications and the Instances view, e.g.
 * "event `Approval` or a timer at 10:42 (local time)". Pure (no vscode), so it is tested on its own.
 */
import type { InstanceWaits } from "../emulator/api/types";

const pad = (n: number) => String(n).padStart(2, "0");

/** Local time of day, with the date in front when it is not today: timers are often hours or days away. */
export function localTime(iso: string, now: Date = new Date()): string {
  const at = new Date(iso);
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}`;
  const sameDay = at.getFullYear() === now.getFullYear() && at.getMonth() === now.getMonth() && at.getDate() === now.getDate();
  return sameDay ? clock : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${clock}`;
}

/** Names with how often each occurs, the first few only: "`sayHello` ×3, `other`". */
function counted(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  const shown = [...counts].slice(0, 3).map(([name, count]) => (count > 1 ? `\`${name}\` ×${count}` : `\`${name}\``));
  return counts.size > shown.length ? `${shown.join(", ")}, …` : shown.join(", ");
}

/**
 * What would wake the instance, whichever comes first: awaited events, then the soonest timer, then running
 * activities and sub-orchestrations. Undefined when it waits for nothing.
 */
export function describeWaits(waits: InstanceWaits, now: Date = new Date()): string | undefined {
  const parts: string[] = [];
  if (waits.events.length) parts.push(`${waits.events.length > 1 ? "events" : "event"} ${waits.events.map((name) => `\`${name}\``).join(", ")}`);
  const timer = waits.timers[0];
  if (timer) parts.push(`a timer at ${localTime(timer.fireAt, now)} (local time)`);
  if (waits.activities.length)
    parts.push(`${waits.activities.length > 1 ? "activities" : "activity"} ${counted(waits.activities.map((activity) => activity.name))}`);
  if (waits.subOrchestrations.length)
    parts.push(
      `${waits.subOrchestrations.length > 1 ? "sub-orchestrations" : "sub-orchestration"} ${counted(waits.subOrchestrations.map((child) => child.name))}`,
    );
  return parts.length ? parts.join(" or ") : undefined;
}

/** Identifies one wait, so that a follower announces a new wait once and not on every poll. */
export function waitKey(waits: InstanceWaits): string {
  return JSON.stringify([waits.events, waits.timers.map((timer) => timer.taskId)]);
}
