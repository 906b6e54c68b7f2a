/**
 * `durable-devkit replay`: replays saved histories against the current code without running anything, as a CI step
 * (what Temporal users do with replay tests). Exit 0 when every history matches, 1 when one diverges, 2 on bad input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { APP_OPTIONS, parse, writeLines, type Command, type Io } from "../command";
import { openStoreForReading } from "../session";
import { isDurableError, eventTypeName } from "../../emulator";
import { openReplayHost } from "../../emulator/replay/replay-host";
import { replayHistory, type ReplayReport } from "../../emulator/replay/replay-check";
import { HistoryFileError, historyFilesAt, historyFromInstance, readHistoryFile, type HistorySource } from "../../emulator/replay/history-source";
import { durableTaskSdkOf } from "../../emulator/grpc/sdk-app";
import { findWorkerEntry } from "../../emulator/replay/sdk-worker-entry";
import { openSdkReplayHost } from "../../emulator/replay/sdk-replay-host";
import { replaySdkHistory } from "../../emulator/replay/sdk-replay-check";
import { SdkWorkerError } from "../../emulator/replay/sdk-worker-error";
import { EXIT, UsageError } from "../cli-error";

interface Outcome {
  target: string;
  verdict?: ReplayReport;
  error?: string;
}

const HELP = `Usage: durable-devkit replay <history.json | folder | instanceId>... [options]

Replays each history against the app's current code, without running activities, timers or anything else, and
checks that the code makes the same durable calls in the same order and finishes as the history did. Use it in CI
with histories saved by \`durable-devkit export\` (or taken from the Durable HTTP API with showHistory=true) to catch
changes that would break orchestrations already running in production.

A folder replays every .json file in it. An argument that is not a file is an instance id in the store.

An app on the Durable Task SDK for JavaScript (@microsoft/durabletask-js in package.json, no host.json), or any
app with --worker: its worker entry runs in a child process that connects nowhere, and each history replays through
the SDK's own replay (TaskHubGrpcWorker.processOrchestratorRequest) against the orchestrators it registers. The
SDK's nondeterminism errors are divergences, and so is code that no longer ends as the history did (another output,
a failure, more calls) or that asks a running instance for more than its history records.

Exit status: 0 every history matches, 1 one diverges (the event, the expected and actual call and the source line
are printed), 2 bad input (a missing or malformed file, an unknown orchestrator, a worker entry that cannot run).

Options:
  --app, -a DIR        the app folder (default: the current folder)
  --store, -s FILE     the store to read instance ids from (default: DIR/.durable/emulator.sqlite)
  --worker, -w FILE    the Durable Task SDK app's file that registers its orchestrators and calls worker.start()
                       (default: package.json "main", else the file its "start" script runs with node)
  --json               print a JSON array with one result per history
  --help, -h           show this help`;

async function sourcesFor(target: string, values: { app?: string; store?: string }): Promise<{ label: string; load: () => HistorySource }[]> {
  if (fs.existsSync(target)) return historyFilesAt(target).map((file) => ({ label: file, load: () => readHistoryFile(file) }));
  const store = await openStoreForReading(values).catch((error: Error) => {
    throw new HistoryFileError(`There is no history file or folder at ${target}, and it cannot be read as an instance id: ${error.message}`);
  });
  try {
    const record = store.getInstance(target);
    if (!record) throw new HistoryFileError(`There is no history file or folder at ${target}, and no instance has that id in ${store.description}.`);
    const source = historyFromInstance(record, store.getHistory(target));
    return [{ label: `instance ${target}`, load: () => source }];
  } finally {
    await store.close();
  }
}

interface Replayer {
  replay(source: HistorySource): Promise<ReplayReport>;
  close(): Promise<void>;
}

/**
 * The code the histories replay against. A Functions app (host.json) replays in its app host, as before; an app on a
 * Durable Task SDK (no host.json, the SDK named in its build), or any app given --worker, through its own worker.
 */
async function openReplayer(appDir: string, worker: string | undefined, io: Io): Promise<Replayer> {
  const sdk = fs.existsSync(path.join(appDir, "host.json")) ? undefined : durableTaskSdkOf(appDir);
  if (!worker && !sdk) {
    const replayHost = await openReplayHost(appDir, { appOutput: io.stderr });
    return { replay: (source) => replayHistory(replayHost.host, source), close: () => replayHost.close() };
  }
  if (!worker && !sdk?.includes("durabletask-js"))
    throw new UsageError(
      `The app in ${appDir} is on ${sdk}; replay runs the Durable Task SDK for JavaScript (@microsoft/durabletask-js) only. ` +
        "Replay its histories with that SDK's own replay tooling.",
    );
  try {
    // @dapr/durabletask-js is its own package; the others (…-azuremanaged) build on @microsoft/durabletask-js's worker.
    const sdkPackage = sdk === "@dapr/durabletask-js" ? sdk : undefined;
    const host = await openSdkReplayHost(appDir, findWorkerEntry(appDir, worker), { appOutput: io.stderr, sdkPackage });
    return { replay: (source) => replaySdkHistory(host, source), close: () => host.close() };
  } catch (error) {
    if (error instanceof SdkWorkerError) throw new UsageError(error.message);
    throw error;
  }
}

function printOutcome(io: Io, outcome: Outcome): void {
  if (outcome.error) {
    writeLines(io.stderr, [`error  ${outcome.target}: ${outcome.error}`]);
    return;
  }
  const verdict = outcome.verdict as ReplayReport;
  const facts = `${verdict.source.name}, ${verdict.events.length} events, ${verdict.durationMs.toFixed(1)} ms`;
  const divergence = verdict.divergence;
  if (!divergence) {
    writeLines(io.stdout, [`ok     ${outcome.target} (${facts})`, ...(verdict.next ?? []).map((step) => `       next:    ${step}`)]);
    return;
  }
  const event = verdict.events[divergence.eventIndex];
  writeLines(io.stdout, [
    `FAIL   ${outcome.target} (${facts})`,
    `       diverges at event #${divergence.eventIndex}${event ? ` (${eventTypeName(event.EventType)})` : ""}`,
    `       history: ${divergence.expected}`,
    `       code:    ${divergence.actual}`,
    ...(divergence.sourceLine ? [`       at ${divergence.sourceLine}`] : []),
  ]);
}

function toJson(outcome: Outcome): Record<string, unknown> {
  if (outcome.error) return { target: outcome.target, ok: false, error: outcome.error };
  const verdict = outcome.verdict as ReplayReport;
  const divergence = verdict.divergence;
  const event = divergence ? verdict.events[divergence.eventIndex] : undefined;
  return {
    target: outcome.target,
    ok: !divergence,
    name: verdict.source.name,
    instanceId: verdict.source.instanceId,
    events: verdict.events.length,
    durationMs: Math.round(verdict.durationMs * 10) / 10,
    next: verdict.next,
    divergence: divergence ? { ...divergence, eventType: event ? eventTypeName(event.EventType) : undefined } : undefined,
  };
}

export const replayCommand: Command = {
  name: "replay",
  summary: "replay saved histories against the current code and report where it diverges (for CI)",
  help: HELP,
  async run(args, io) {
    const { values, positionals, help } = parse(
      "replay",
      args,
      { app: APP_OPTIONS.app, store: APP_OPTIONS.store, worker: { type: "string", short: "w" }, json: APP_OPTIONS.json, help: APP_OPTIONS.help },
      { min: 1, max: Infinity },
    );
    if (help) return (io.stdout.write(`${HELP}\n`), EXIT.ok);
    const outcomes: Outcome[] = [];
    const work: { label: string; load: () => HistorySource }[] = [];
    for (const target of positionals) {
      try {
        work.push(...(await sourcesFor(target, values)));
      } catch (error) {
        if (!(error instanceof HistoryFileError)) throw error;
        outcomes.push({ target, error: error.message });
      }
    }
    if (work.length) {
      const replayer = await openReplayer(path.resolve(values.app ?? "."), values.worker, io);
      try {
        for (const item of work) {
          try {
            outcomes.push({ target: item.label, verdict: await replayer.replay(item.load()) });
          } catch (error) {
            if (!(error instanceof HistoryFileError || error instanceof SdkWorkerError || isDurableError(error, "UnknownFunction"))) throw error;
            outcomes.push({ target: item.label, error: error.message });
          }
        }
      } finally {
        await replayer.close();
      }
    }
    if (values.json) io.stdout.write(`${JSON.stringify(outcomes.map(toJson), null, 2)}\n`);
    else {
      for (const outcome of outcomes) printOutcome(io, outcome);
      const diverged = outcomes.filter((o) => o.verdict?.divergence).length;
      const errors = outcomes.filter((o) => o.error).length;
      if (outcomes.length > 1)
        writeLines(io.stdout, [`${outcomes.length} histories: ${outcomes.length - diverged - errors} match, ${diverged} diverge, ${errors} could not be read`]);
    }
    if (outcomes.some((o) => o.error)) return EXIT.usage;
    return outcomes.some((o) => o.verdict?.divergence) ? EXIT.failed : EXIT.ok;
  },
};
