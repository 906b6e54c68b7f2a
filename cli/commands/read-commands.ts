/** Commands that only read the store: they never load the app, and work while another process runs it. */
import * as fs from "node:fs";
import { toInstanceStatus, type RuntimeStatus, type InstanceQuery } from "../../emulator";
import { APP_OPTIONS, APP_OPTIONS_HELP, parse, writeLines, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";
import { openStoreForReading } from "../session";
import { formatHistory, summaryLines } from "../history-format";
import type { Store } from "../../emulator/store/store";
import { HISTORY_EXPORT_FORMAT, type HistoryExport } from "../../emulator/history/history-export";

const READ_OPTIONS = { app: APP_OPTIONS.app, store: APP_OPTIONS.store, json: APP_OPTIONS.json, help: APP_OPTIONS.help } as const;
const READ_HELP = APP_OPTIONS_HELP.split("\n")
  .filter((line) => !line.includes("--time-skip"))
  .join("\n");

async function withStore<T>(values: { app?: string; store?: string }, use: (store: Store) => T): Promise<T> {
  const store = await openStoreForReading(values);
  try {
    return use(store);
  } finally {
    await store.close();
  }
}

function requireRecord(store: Store, instanceId: string) {
  const record = store.getInstance(instanceId);
  if (!record) throw new UsageError(`No instance has the id "${instanceId}" in ${store.description}. List them with \`durable-devkit list\`.`);
  return record;
}

export const statusCommand: Command = {
  name: "status",
  summary: "show one instance's status, input, output and custom status",
  help: `Usage: durable-devkit status <instanceId> [options]\n\nOptions:\n${READ_HELP}`,
  async run(args, io) {
    const { values, positionals, help } = parse("status", args, READ_OPTIONS, { min: 1, max: 1 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    return withStore(values, (store) => {
      const status = toInstanceStatus(requireRecord(store, positionals[0]));
      if (values.json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else writeLines(io.stdout, summaryLines(status));
      return EXIT.ok;
    });
  },
};

const STATUSES: RuntimeStatus[] = ["Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended"];

export function parseStatuses(text: string | undefined): RuntimeStatus[] | undefined {
  if (!text) return undefined;
  return text.split(",").map((raw) => {
    const match = STATUSES.find((status) => status.toLowerCase() === raw.trim().toLowerCase());
    if (!match) throw new UsageError(`"${raw}" is not a runtime status. Use one or more of: ${STATUSES.join(", ")}.`);
    return match;
  });
}

function parseTime(text: string | undefined, option: string): string | undefined {
  if (!text) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new UsageError(`--${option} "${text}" is not a date/time. Use ISO 8601, e.g. 2026-11-24T10:00:00Z.`);
  return new Date(ms).toISOString();
}

export const LIST_FILTER_OPTIONS = {
  status: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  prefix: { type: "string" },
  name: { type: "string" },
} as const;

export function queryFrom(values: { status?: string; from?: string; to?: string; prefix?: string; name?: string }): InstanceQuery {
  return {
    runtimeStatus: parseStatuses(values.status),
    createdTimeFrom: parseTime(values.from, "from"),
    createdTimeTo: parseTime(values.to, "to"),
    instanceIdPrefix: values.prefix,
    name: values.name,
  };
}

export const listCommand: Command = {
  name: "list",
  summary: "list instances, filtered by status, creation time, id prefix or name",
  help: `Usage: durable-devkit list [options]

Options:
  --status S1,S2       only these runtime statuses (${STATUSES.join(", ")})
  --from TIME          created at or after TIME (ISO 8601)
  --to TIME            created at or before TIME
  --prefix P           instance ids starting with P
  --name NAME          instances of this orchestrator
  --top N              at most N instances
${READ_HELP}`,
  async run(args, io) {
    const { values, help } = parse("list", args, { ...READ_OPTIONS, ...LIST_FILTER_OPTIONS, top: { type: "string" } }, { min: 0, max: 0 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const top = values.top === undefined ? undefined : Number(values.top);
    if (top !== undefined && (!Number.isInteger(top) || top <= 0)) throw new UsageError(`--top must be a positive whole number, not "${values.top}".`);
    const query = { ...queryFrom(values), top };
    return withStore(values, (store) => {
      const page = store.listInstances(query);
      if (values.json) {
        io.stdout.write(
          `${JSON.stringify(
            page.instances.map((record) => toInstanceStatus(record)),
            null,
            2,
          )}\n`,
        );
        return EXIT.ok;
      }
      if (!page.instances.length) {
        io.stdout.write(`No instances match in ${store.description}.\n`);
        return EXIT.ok;
      }
      const rows = page.instances.map((r) => [r.instanceId, r.name, r.runtimeStatus, r.createdTime, r.lastUpdatedTime]);
      const header = ["INSTANCE ID", "NAME", "STATUS", "CREATED", "LAST UPDATED"];
      const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
      const line = (cells: string[]) =>
        cells
          .map((cell, i) => cell.padEnd(widths[i]))
          .join("  ")
          .trimEnd();
      writeLines(io.stdout, [line(header), ...rows.map(line)]);
      if (page.continuationToken) io.stdout.write(`(more instances: raise --top)\n`);
      return EXIT.ok;
    });
  },
};

export const historyCommand: Command = {
  name: "history",
  summary: "show an instance's history, compact or as JSON",
  help: `Usage: durable-devkit history <instanceId> [options]

Prints the history of the instance's current execution. With --json, the events in the exact shape the Durable
Task extension gives the durable-functions package.

Options:
  --all                one line per event, no folding of repeated events
${READ_HELP}`,
  async run(args, io) {
    const { values, positionals, help } = parse("history", args, { ...READ_OPTIONS, all: { type: "boolean" } }, { min: 1, max: 1 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    return withStore(values, (store) => {
      requireRecord(store, positionals[0]);
      const history = store.getHistory(positionals[0]);
      if (values.json) io.stdout.write(`${JSON.stringify(history, null, 2)}\n`);
      else writeLines(io.stdout, formatHistory(history, { maxRun: values.all ? Number.POSITIVE_INFINITY : 3 }));
      return EXIT.ok;
    });
  },
};

export const exportCommand: Command = {
  name: "export",
  summary: "write an instance's history, name and input as JSON, for replaying it later",
  help: `Usage: durable-devkit export <instanceId> [--out FILE] [options]

Writes {format, instanceId, name, input, runtimeStatus, output, history} where history holds the events in the
shape the Durable Task extension gives the durable-functions package. \`durable-devkit replay\` and the debugger read
this file.

Options:
  --out, -o FILE       write to FILE instead of standard output
${READ_HELP}`,
  async run(args, io) {
    const { values, positionals, help } = parse("export", args, { ...READ_OPTIONS, out: { type: "string", short: "o" } }, { min: 1, max: 1 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    return withStore(values, (store) => {
      const record = requireRecord(store, positionals[0]);
      const exported: HistoryExport = {
        format: HISTORY_EXPORT_FORMAT,
        instanceId: record.instanceId,
        name: record.name,
        input: record.input === undefined ? null : JSON.parse(record.input),
        runtimeStatus: record.runtimeStatus,
        output: record.output === undefined ? null : JSON.parse(record.output),
        history: store.getHistory(record.instanceId),
      };
      const text = `${JSON.stringify(exported, null, 2)}\n`;
      if (values.out) {
        fs.writeFileSync(values.out, text);
        io.stderr.write(`Wrote ${exported.history.length} events of ${record.name} ${record.instanceId} to ${values.out}\n`);
      } else {
        io.stdout.write(text);
      }
      return EXIT.ok;
    });
  },
};
