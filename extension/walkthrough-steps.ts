/**
 * The walkthrough's steps complete on their result (files written, an instance run, a stop in the debugger), not when
 * their command starts: a prompt the user closed has done nothing. package.json's completionEvents name these keys.
 */
import * as vscode from "vscode";

export type WalkthroughStep = "scaffolded" | "ran" | "debugged" | "replayed";

export function completeWalkthroughStep(step: WalkthroughStep): void {
  void vscode.commands.executeCommand("setContext", `durableDevkit.walkthrough.${step}`, true);
}

/** Debug sessions complete "debugged" (a run) or "replayed" (a saved history) on their first stop. */
export function trackDebugWalkthroughSteps(): vscode.Disposable {
  return vscode.debug.registerDebugAdapterTrackerFactory("durable", {
    createDebugAdapterTracker(session) {
      const step: WalkthroughStep = session.configuration.mode === "replay" ? "replayed" : "debugged";
      return {
        onDidSendMessage(message: { type?: string; event?: string }) {
          if (message.type === "event" && message.event === "stopped") completeWalkthroughStep(step);
        },
      };
    },
  });
}
