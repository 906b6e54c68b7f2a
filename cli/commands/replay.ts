/**
 * `durable-devkit replay`: replays saved histories against the current code without running anything, as a CI step
 * (what Temporal users do with replay tests). Exit 0 when every history matches, 1 when one diverges, 2 on bad input.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { APP_OPTIONS, parse, writeLines, type Command, type Io } from "../command";
import { EXIT } from "../cli-error";
import { openStoreForReading } from "../session";
import { isDurableError, eventTypeName } from "../../emulator";
import { openReplayHost } from "../../emulator/replay/replay-host";
import { replayHistory, type ReplayVerdict } from "../../emulator/replay/replay-check";
import { HistoryFileError, historyFilesAt, historyFromInstance, readHistoryFile, type HistorySource } from "../../emulator/replay/history-source";

interface Outcome {
  target: string;
  verdict?: ReplayVerdict;
  error?: string;
}

const HELP = `Usage: durable-devkit replay <history.json | folder | instanceId>... [options]

Replays each history against the app's current code, without running activities, timers or anything else, and
checks that the code makes the same durable calls in the same order and finishes as the history did. Use it in CI
with histories saved by \`durable-devkit export\` (or taken from the Durable HTTP API with showHistory=true) to catch
changes that would break orchestrations already running in production.

A folder replays every .json file in it. An argument that is not a file is an instance id in the store.

Exit status: 0 every history matches, 1 one diverges (the event, the expected and actual call and the source line
are printed), 2 bad input (a missing or malformed file, an unknown orchestrator).

Options:
  --app, -a DIR        the Functions app folder (default: the current folder)
  --store, -s FILE     the store to read instance ids from (default: DIR/.durable/emulator.sqlite)
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

function printOutcome(io: Io, outcome: Outcome): void {
  if (outcome.error) {
    writeLines(io.stderr, [`error  ${outcome.target}: ${outcome.error}`]);
    return;
  }
  const verdict = outcome.verdict as ReplayVerdict;
  const facts = `${verdict.source.name}, ${verdict.events.length} events, ${verdict.durationMs.toFixed(1)} ms`;
  const divergence = verdict.divergence;
  if (!divergence) {
    writeLines(io.stdout, [`ok     ${outcome.target} (${facts})`]);
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
  const verdict = outcome.verdict as ReplayVerdict;
  const divergence = verdict.divergence;
  const event = divergence ? verdict.events[divergence.eventIndex] : undefined;
  return {
    target: outcome.target,
    ok: !divergence,
    name: verdict.source.name,
    instanceId: verdict.source.instanceId,
    events: verdict.events.length,
    durationMs: Math.round(verdict.durationMs * 10) / 10,
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
      { app: APP_OPTIONS.app, store: APP_OPTIONS.store, json: APP_OPTIONS.json, help: APP_OPTIONS.help },
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
      const replayHost = await openReplayHost(path.resolve(values.app ?? "."), { appOutput: io.stderr });
      try {
        for (const item of work) {
          try {
            outcomes.push({ target: item.label, verdict: await replayHistory(replayHost.host, item.load()) });
          } catch (error) {
            if (!(error instanceof HistoryFileError || isDurableError(error, "UnknownFunction"))) throw error;
            outcomes.push({ target: item.label, error: error.message });
          }
        }
      } finally {
        await replayHost.close();
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
