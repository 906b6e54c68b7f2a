/** The words the extension's notices and Instances view use for what an instance waits for. */
import { strict as assert } from "node:assert";
import type { InstanceWaits } from "../../emulator";
import { describeWaits, localTime, waitKey } from "../../extension/wait-description";

const none: InstanceWaits = { events: [], timers: [], activities: [], subOrchestrations: [] };
const at = (hours: number, minutes: number, day = 2) => new Date(2030, 0, day, hours, minutes).toISOString();
const morning = new Date(2030, 0, 2, 9, 0);

describe("describing what an instance waits for", () => {
  it("says the event and the soonest timer in local time, with the date when it is not today", () => {
    const waits: InstanceWaits = {
      ...none,
      events: ["Approval"],
      timers: [
        { taskId: 1, fireAt: at(10, 42) },
        { taskId: 2, fireAt: at(23, 5) },
      ],
    };
    assert.equal(describeWaits(waits, morning), "event `Approval` or a timer at 10:42 (local time)");
    assert.equal(describeWaits({ ...none, timers: [{ taskId: 1, fireAt: at(7, 3, 5) }] }, morning), "a timer at 2030-01-05 07:03 (local time)");
    assert.equal(localTime(at(0, 0, 3), morning), "2030-01-03 00:00");
  });

  it("lists several events, counts repeated activities and names sub-orchestrations", () => {
    assert.equal(describeWaits({ ...none, events: ["A", "B"] }, morning), "events `A`, `B`");
    const work: InstanceWaits = {
      ...none,
      activities: [1, 2, 3]
        .map((taskId) => ({ taskId, name: "slowEcho", scheduledAt: at(9, 0) }))
        .concat([{ taskId: 4, name: "sayHello", scheduledAt: at(9, 0) }]),
      subOrchestrations: [{ taskId: 5, name: "child", instanceId: "c1", scheduledAt: at(9, 0) }],
    };
    assert.equal(describeWaits(work, morning), "activities `slowEcho` ×3, `sayHello` or sub-orchestration `child`");
    const many = { ...none, activities: ["a", "b", "c", "d"].map((name, taskId) => ({ taskId, name, scheduledAt: at(9, 0) })) };
    assert.equal(describeWaits(many, morning), "activities `a`, `b`, `c`, …");
  });

  it("says nothing when it waits for nothing, and tells one wait from the next", () => {
    assert.equal(describeWaits(none, morning), undefined);
    const first: InstanceWaits = { ...none, events: ["Approval"], timers: [{ taskId: 1, fireAt: at(10, 42) }] };
    assert.equal(waitKey(first), waitKey({ ...first, activities: [{ taskId: 3, name: "x", scheduledAt: at(9, 0) }] }));
    assert.notEqual(waitKey(first), waitKey({ ...first, timers: [{ taskId: 2, fireAt: at(11, 0) }] }));
    assert.notEqual(waitKey(first), waitKey({ ...first, events: ["Confirm"] }));
  });
});
