/**
 * What a launched session does on its own emulator's engine, the same for a Functions app and a Durable Task SDK app:
 * load an instance for the timeline, raise, terminate, and move the clock for the debug console's `advance`.
 */
import type { Engine } from "../emulator/engine/engine";
import { parseJsonText } from "../emulator/api/json-text";
import type { InstanceSource } from "./instance-sources";

export function engineControls(engine: Engine): Pick<InstanceSource, "load" | "raise" | "terminate" | "advance"> {
  return {
    async load(id) {
      const record = engine.getRecord(id);
      if (!record) return undefined;
      return {
        instanceId: id,
        name: record.name,
        input: parseJsonText(record.input),
        runtimeStatus: record.runtimeStatus,
        history: engine.getHistory(id),
        parentInstanceId: record.parent?.instanceId,
      };
    },
    raise: (id, name, data) => engine.raiseEvent(id, name, data),
    terminate: (id, reason) => engine.terminate(id, reason),
    async advance(ms) {
      if (ms === undefined) {
        const next = engine.advanceClockToNextTimer();
        if (!next) throw new Error("No timer is pending, so there is nothing to advance to. Give a duration (advance 2h) to move the clock anyway.");
        return `The clock is now ${new Date(engine.clock.now()).toISOString()}: the timer due at ${new Date(next.fireAt).toISOString()} fires.`;
      }
      engine.advanceClock(ms);
      return `The clock is now ${new Date(engine.clock.now()).toISOString()}.`;
    },
  };
}
