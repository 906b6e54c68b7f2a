/**
 * Follows an instance Run Orchestration… started until it ends: a cancellable progress notification while it works,
 * a notice with Raise and Show History buttons as soon as it waits for an event (and again for each later wait), a
 * status bar spinner while it waits, and the outcome when it ends. It never gives up on its own: an approval can take
 * days; the user stops it (Cancel, or Stop Following).
 */
import * as vscode from "vscode";
import type { DevkitContext } from "../devkit-context";
import type { EmulatorClient, InstanceWaitsAnswer } from "../emulator-client";
import { showHistoryPanel } from "../history-panel";
import { log } from "../output";
import { describeWaits, waitKey } from "../wait-description";
import type { RaiseTarget } from "./raise-event";
import { completeWalkthroughStep } from "../walkthrough-steps";

/** Often enough to announce a wait well within a second of it starting. */
const POLL_MS = 250;
const ENDED = new Set(["Completed", "Failed", "Terminated"]);
const STOP_FOLLOWING = "Stop Following";
const SHOW_HISTORY = "Show History";

const hasEnded = (answer: InstanceWaitsAnswer) => ENDED.has(answer.runtimeStatus);
const waitsForEvents = (answer: InstanceWaitsAnswer) => answer.runtimeStatus === "Running" && answer.waits.events.length > 0;

export async function followInstance(context: DevkitContext, client: EmulatorClient, orchestrator: string, instanceId: string): Promise<void> {
  // Cancelled by the progress notification's Cancel or a notice's Stop Following (which may come after the end).
  const stop = new vscode.CancellationTokenSource();
  let answer = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Running ${orchestrator}…`, cancellable: true },
    (progress, token) => {
      token.onCancellationRequested(() => stop.cancel());
      let shown = "";
      return poll(context, client, instanceId, stop.token, (current) => {
        if (hasEnded(current) || waitsForEvents(current)) return true;
        const waits = describeWaits(current.waits);
        const message = current.runtimeStatus === "Suspended" ? "suspended" : waits ? `waiting for ${waits}` : "";
        if (message !== shown) progress.report({ message });
        shown = message;
        return false;
      });
    },
  );
  while (answer && !hasEnded(answer)) {
    announceWait(context, orchestrator, instanceId, answer, stop);
    const announced = waitKey(answer.waits);
    const title = `${orchestrator} waits for ${answer.waits.events.join(", ")}`;
    // A new wait is one for other events or timers, or the same again after the instance moved on in between.
    let movedOn = false;
    answer = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () =>
      poll(context, client, instanceId, stop.token, (current) => {
        if (hasEnded(current)) return true;
        if (!waitsForEvents(current)) {
          movedOn = true;
          return false;
        }
        return movedOn || waitKey(current.waits) !== announced;
      }),
    );
  }
  if (answer) await reportEnd(context, client, orchestrator, instanceId);
}

/**
 * Polls the instance until `done` says so; undefined when following was stopped, the emulator stopped or the
 * instance was purged (the user did that, or knows: nothing to say).
 */
async function poll(
  context: DevkitContext,
  client: EmulatorClient,
  instanceId: string,
  stop: vscode.CancellationToken,
  done: (answer: InstanceWaitsAnswer) => boolean,
): Promise<InstanceWaitsAnswer | undefined> {
  while (!stop.isCancellationRequested) {
    let answer: InstanceWaitsAnswer;
    try {
      answer = await client.waits(instanceId);
    } catch (error) {
      const emulatorStopped = context.emulator.state.kind !== "running" || context.emulator.state.client !== client;
      if (!emulatorStopped) log().appendLine(`Stopped following ${instanceId}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    if (done(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return undefined;
}

/** "approvalWorkflow <id> is waiting for event `Approval` or a timer at 10:42 (local time)", with what one can do. */
function announceWait(
  context: DevkitContext,
  orchestrator: string,
  instanceId: string,
  answer: InstanceWaitsAnswer,
  stop: vscode.CancellationTokenSource,
): void {
  completeWalkthroughStep("ran");
  const events = answer.waits.events;
  // One event: its button raises it; several: the button asks which (Raise Event… offers the names).
  const raise = events.length === 1 ? `Raise ${events[0]}…` : "Raise Event…";
  const target: RaiseTarget = { instanceId, eventName: events.length === 1 ? events[0] : undefined };
  void vscode.window
    .showInformationMessage(`${orchestrator} ${instanceId} is waiting for ${describeWaits(answer.waits)}`, raise, SHOW_HISTORY, STOP_FOLLOWING)
    .then(async (choice) => {
      if (choice === raise) await vscode.commands.executeCommand("durableDevkit.raiseEvent", target);
      else if (choice === SHOW_HISTORY) await showHistoryPanel(context, instanceId);
      else if (choice === STOP_FOLLOWING) stop.cancel();
    });
}

async function reportEnd(context: DevkitContext, client: EmulatorClient, orchestrator: string, instanceId: string): Promise<void> {
  const status = await client.status(instanceId);
  completeWalkthroughStep("ran");
  await context.refresh();
  const message = `${orchestrator} ${instanceId}: ${status.runtimeStatus}${status.output !== undefined && status.output !== null ? ` → ${JSON.stringify(status.output).slice(0, 200)}` : ""}`;
  const shown =
    status.runtimeStatus === "Failed" ? vscode.window.showErrorMessage(message, SHOW_HISTORY) : vscode.window.showInformationMessage(message, SHOW_HISTORY);
  void shown.then((choice) => choice && showHistoryPanel(context, instanceId));
}
