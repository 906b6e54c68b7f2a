/**
 * Commands that change instances: they start the emulator on the app (which also carries on every unfinished
 * instance in the store) and, where an instance will move on, drive it until it finishes or can only wait.
 */
import { instanceNotFound, type Engine } from "../../emulator";
import { APP_OPTIONS, APP_OPTIONS_HELP, parse, type Command, type Io } from "../command";
import { EXIT } from "../cli-error";
import { parseJsonArgument } from "../json-input";
import { driveToRest, openEmulator, type SessionOptions } from "../session";
import { report } from "./run";
import { LIST_FILTER_OPTIONS, queryFrom } from "./read-commands";

async function withEngine(values: SessionOptions, io: Io, use: (engine: Engine) => Promise<number>): Promise<number> {
  const emulator = await openEmulator(values, io);
  try {
    return await use(emulator.engine);
  } finally {
    await emulator.close();
  }
}

/** Drives the instance after the change and reports it like `run` does. */
async function driveAndReport(engine: Engine, instanceId: string, values: SessionOptions, io: Io): Promise<number> {
  const status = await driveToRest(engine, instanceId);
  return report(engine, status, values.json === true, io);
}

function controlCommand(spec: {
  name: string;
  summary: string;
  args: string;
  details: string;
  maxPositionals: number;
  act: (engine: Engine, positionals: string[]) => Promise<string | void>;
}): Command {
  return {
    name: spec.name,
    summary: spec.summary,
    help: `Usage: durable-devkit ${spec.name} ${spec.args} [options]\n\n${spec.details}\n\nOptions:\n${APP_OPTIONS_HELP}`,
    async run(args, io) {
      const { values, positionals, help } = parse(spec.name, args, APP_OPTIONS, { min: 1, max: spec.maxPositionals });
      if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
      return withEngine(values, io, async (engine) => {
        const target = (await spec.act(engine, positionals)) ?? positionals[0];
        return driveAndReport(engine, target, values, io);
      });
    },
  };
}

export const raiseCommand = controlCommand({
  name: "raise",
  summary: "raise an external event to an instance, then run it on",
  args: "<instanceId> <eventName> [JSON|@FILE]",
  details: "Sends the event (with optional JSON data) and runs the instance until it finishes or waits again.",
  maxPositionals: 3,
  act: async (engine, [instanceId, eventName, data]) => {
    await engine.raiseEvent(instanceId, eventName, data === undefined ? undefined : parseJsonArgument(data, "event data"));
  },
});

export const terminateCommand = controlCommand({
  name: "terminate",
  summary: "terminate a running or suspended instance",
  args: "<instanceId> [reason]",
  details: "Terminates the instance; the reason becomes its output.",
  maxPositionals: 2,
  act: async (engine, [instanceId, reason]) => engine.terminate(instanceId, reason),
});

export const suspendCommand = controlCommand({
  name: "suspend",
  summary: "suspend an instance (events wait until it is resumed)",
  args: "<instanceId> [reason]",
  details: "Suspends the instance. Messages that arrive meanwhile are kept and processed after `resume`.",
  maxPositionals: 2,
  act: async (engine, [instanceId, reason]) => engine.suspend(instanceId, reason),
});

export const resumeCommand = controlCommand({
  name: "resume",
  summary: "resume a suspended instance, then run it on",
  args: "<instanceId> [reason]",
  details: "Resumes the instance and runs it until it finishes or waits.",
  maxPositionals: 2,
  act: async (engine, [instanceId, reason]) => engine.resume(instanceId, reason),
});

export const rewindCommand = controlCommand({
  name: "rewind",
  summary: "rewind a failed instance: retry its failed activities and sub-orchestrations",
  args: "<instanceId> [reason]",
  details: "Removes the failures from the history of a Failed instance and runs it again from there.",
  maxPositionals: 2,
  act: async (engine, [instanceId, reason]) => engine.rewind(instanceId, reason),
});

export const waitCommand = controlCommand({
  name: "wait",
  summary: "carry on the store's unfinished instances and wait for one to finish",
  args: "<instanceId>",
  details:
    "Starts the emulator on the app, which carries on every unfinished instance in the store (after a crash, say),\n" +
    "and waits until this one finishes or can only wait; then reports it like `run`.",
  maxPositionals: 1,
  act: async (engine, [instanceId]) => {
    if (!engine.getRecord(instanceId)) throw instanceNotFound(instanceId);
  },
});

export const restartCommand: Command = {
  name: "restart",
  summary: "start an instance again with its original input",
  help: `Usage: durable-devkit restart <instanceId> [--new-id] [options]

Starts the orchestrator again with the instance's original input, under the same id (the instance must be finished)
or, with --new-id, under a new one; then runs it like \`run\`.

Options:
  --new-id             give the restarted instance a new id
${APP_OPTIONS_HELP}`,
  async run(args, io) {
    const { values, positionals, help } = parse("restart", args, { ...APP_OPTIONS, "new-id": { type: "boolean" } }, { min: 1, max: 1 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    return withEngine(values, io, async (engine) => {
      const id = await engine.restart(positionals[0], { newInstanceId: values["new-id"] === true });
      io.stderr.write(`Restarted as ${id}\n`);
      return driveAndReport(engine, id, values, io);
    });
  },
};

export const purgeCommand: Command = {
  name: "purge",
  summary: "delete finished instances and their histories",
  help: `Usage: durable-devkit purge <instanceId> [options]
       durable-devkit purge --all [--status S] [--from T] [--to T] [--prefix P] [--name N] [options]

Deletes finished (Completed, Failed, Terminated) instances. Running instances are never purged: terminate them first.

Options:
  --all                purge every finished instance that matches the filters
  --status, --from, --to, --prefix, --name   filters, as for \`list\`
${APP_OPTIONS_HELP}`,
  async run(args, io) {
    const { values, positionals, help } = parse("purge", args, { ...APP_OPTIONS, ...LIST_FILTER_OPTIONS, all: { type: "boolean" } }, { min: 0, max: 1 });
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    if ((positionals.length === 1) === (values.all === true)) {
      io.stderr.write("Give either one instance id or --all (with optional filters). Run `durable-devkit purge --help` for the usage.\n");
      return EXIT.usage;
    }
    return withEngine(values, io, async (engine) => {
      const count = positionals.length ? ((await engine.purge(positionals[0])) ? 1 : 0) : await engine.purgeWhere(queryFrom(values));
      if (values.json) io.stdout.write(`${JSON.stringify({ instancesDeleted: count })}\n`);
      else io.stdout.write(`Purged ${count} instance${count === 1 ? "" : "s"}.\n`);
      return positionals.length && count === 0 ? EXIT.failed : EXIT.ok;
    });
  },
};
