import { isTerminal, type Engine, type EngineEvent, type InstanceStatus } from "../../emulator";
import { APP_OPTIONS, APP_OPTIONS_HELP, parse, writeLines, type Command, type Io } from "../command";
import { EXIT } from "../cli-error";
import { parseJsonArgument } from "../json-input";
import { driveToRest, openEmulator } from "../session";
import { formatHistory, summaryLines } from "../history-format";

export const runCommand: Command = {
  name: "run",
  summary: "start an orchestration and run it to the end, showing progress, output and history",
  help: `Usage: durable-devkit run <orchestrator> [options]

Starts one instance of the orchestrator in the emulator and runs it until it completes, fails or can only wait
(for an external event, or while suspended), then prints its output and a compact history.

Options:
  --input, -i JSON|@FILE   the orchestration input (JSON text, or @path to a JSON file)
  --id ID                  the instance id (default: a new GUID)
${APP_OPTIONS_HELP}

Exit codes: 0 completed, 1 failed or terminated, 2 usage error, 3 still waiting (raise the event it waits for with
\`durable-devkit raise\`, or resume it).

Examples:
  durable-devkit run helloSequence
  durable-devkit run approval --input '{"timeoutHours":72}' --time-skip
  durable-devkit run fanOut --input @items.json --json`,
  async run(args, io) {
    const { values, positionals, help } = parse(
      "run",
      args,
      { ...APP_OPTIONS, input: { type: "string", short: "i" }, id: { type: "string" } },
      { min: 1, max: 1 },
    );
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const input = values.input === undefined ? undefined : parseJsonArgument(values.input, "input");
    const progress = new Progress(io, values.json !== true);
    const emulator = await openEmulator(values, io, (event) => progress.onEvent(event));
    try {
      const instanceId = await emulator.engine.startNew(positionals[0], { input, instanceId: values.id });
      progress.started(positionals[0], instanceId, emulator.store.description);
      const status = await driveToRest(emulator.engine, instanceId);
      progress.done();
      return report(emulator.engine, status, values.json === true, io);
    } finally {
      await emulator.close();
    }
  },
};

/** Prints the result of a run, a raise or any command that drove an instance; returns the exit code. */
export function report(engine: Engine, status: InstanceStatus, asJson: boolean, io: Io): number {
  const history = engine.getHistory(status.instanceId);
  const record = engine.getRecord(status.instanceId);
  if (asJson) {
    io.stdout.write(`${JSON.stringify({ ...status, waitingForEvents: record?.waitingForEvents ?? [], history }, null, 2)}\n`);
  } else {
    writeLines(io.stdout, ["", ...summaryLines(status), "", "History:", ...formatHistory(history)]);
    if (!isTerminal(status.runtimeStatus)) writeLines(io.stdout, ["", ...waitingAdvice(status, record?.waitingForEvents ?? [])]);
  }
  if (status.runtimeStatus === "Completed") return EXIT.ok;
  if (isTerminal(status.runtimeStatus)) return EXIT.failed;
  return EXIT.waiting;
}

function waitingAdvice(status: InstanceStatus, events: string[]): string[] {
  if (status.runtimeStatus === "Suspended") {
    return [`The instance is suspended. Resume it with: durable-devkit resume ${status.instanceId}`];
  }
  if (events.length) {
    return [
      `The instance is waiting for the external event${events.length > 1 ? "s" : ""} ${events.map((e) => `"${e}"`).join(", ")}.`,
      `Raise one with: durable-devkit raise ${status.instanceId} ${events[0]} '<json>'   (it then runs on from there)`,
    ];
  }
  return [`The instance is ${status.runtimeStatus} and has nothing left to do by itself.`];
}

/** A one-line live status on a terminal; silent otherwise, so logs and CI output stay readable. */
class Progress {
  private activitiesDone = 0;
  private activitiesFailed = 0;
  private episodes = 0;
  private readonly live: boolean;
  private lastDraw = 0;

  constructor(
    private readonly io: Io,
    enabled: boolean,
  ) {
    this.live = enabled && (io.stderr as NodeJS.WriteStream).isTTY === true;
  }

  started(name: string, instanceId: string, store: string): void {
    this.io.stderr.write(`Started ${name} as ${instanceId} (store: ${store})\n`);
  }

  onEvent(event: EngineEvent): void {
    if (event.kind === "activityFinished") {
      if (event.ok) this.activitiesDone++;
      else this.activitiesFailed++;
    }
    if (event.kind === "historyAppended") this.episodes++;
    if (!this.live) return;
    const now = Date.now();
    if (now - this.lastDraw < 100) return;
    this.lastDraw = now;
    this.io.stderr.write(
      `\r  ${this.episodes} episodes · ${this.activitiesDone} activities done${this.activitiesFailed ? ` · ${this.activitiesFailed} failed` : ""}   `,
    );
  }

  done(): void {
    if (this.live) this.io.stderr.write("\r\x1b[K");
  }
}
