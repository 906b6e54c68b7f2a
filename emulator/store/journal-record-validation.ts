/**
 * A journal line's JSON, checked before it is applied: a line can have a good checksum and still not be a batch this
 * version can apply (edited by hand, written by a newer version). Applying it half-way would damage the database.
 */
import type { JournalRecord } from "./journal-format";

type Problem = string | undefined;
type Check = (value: unknown) => Problem;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

const string: Check = (value) => (typeof value === "string" ? undefined : "is not a string");
const integer: Check = (value) => (Number.isSafeInteger(value) ? undefined : "is not a whole number");
const boolean: Check = (value) => (typeof value === "boolean" ? undefined : "is not true or false");
const optional =
  (check: Check): Check =>
  (value) =>
    value === undefined ? undefined : check(value);

function object(fields: Record<string, Check>): Check {
  return (value) => {
    if (!isObject(value)) return "is not an object";
    for (const [name, check] of Object.entries(fields)) {
      const problem = check(value[name]);
      if (problem) return `field "${name}" ${problem}`;
    }
    return undefined;
  };
}

function list(check: Check): Check {
  return (value) => {
    if (!Array.isArray(value)) return "is not a list";
    for (let i = 0; i < value.length; i++) {
      const problem = check(value[i]);
      if (problem) return `item ${i + 1} ${problem}`;
    }
    return undefined;
  };
}

// Only the fields the store's columns and lookups need: a stricter check could refuse a good store, and the rest of a
// record is carried through as it is.
const instanceRecord = object({ instanceId: string, name: string, runtimeStatus: string, createdTime: string, lastUpdatedTime: string });
const historyEvent = object({ EventType: integer });
const pendingMessage = object({ id: integer, instanceId: string, event: historyEvent });
const workItem = object({ id: integer, instanceId: string, name: string });

const BATCH_FIELDS: Record<string, Check> = {
  upsertInstances: list(instanceRecord),
  history: list(object({ instanceId: string, events: list(historyEvent), replace: optional(boolean) })),
  addMessages: list(pendingMessage),
  deleteMessages: list(integer),
  addWorkItems: list(workItem),
  deleteWorkItems: list(integer),
  purgeInstances: list(string),
};

/** The record, or what is wrong with it. */
export function toJournalRecord(value: unknown): JournalRecord | { problem: string } {
  if (!isObject(value)) return { problem: "it is not an object" };
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 1) return { problem: 'its "seq" is not a positive whole number' };
  const batch = value.batch;
  if (!isObject(batch)) return { problem: 'its "batch" is not an object' };
  for (const [name, field] of Object.entries(batch)) {
    const check = BATCH_FIELDS[name];
    if (!check) return { problem: `its batch has a field "${name}" this version does not know (written by a newer Durable Devkit?)` };
    const problem = field === undefined ? undefined : check(field);
    if (problem) return { problem: `its batch's "${name}": ${problem}` };
  }
  return value as unknown as JournalRecord;
}
