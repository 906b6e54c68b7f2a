/**
 * VS Code's JavaScript debugger beside the replay debugger: a `durable` launch given an inspector port gets a js-debug
 * child session attached to the app process, and the instance starts only once that child can stop at breakpoints,
 * so ordinary breakpoints in orchestrators and activities hit from the first episode. Unless the launch says
 * `stopInReplay` (the durableDevkit.debug.stopInReplay setting), those breakpoints skip replayed orchestrator code
 * (replay-guard.ts): they stop once per line, where the code runs for the first time, not once per episode.
 */
import * as vscode from "vscode";
import { log } from "../output";
import { guardSetBreakpoints } from "./replay-guard";

/** How long the instance waits for js-debug's target session to be configured before it runs without. */
const TARGET_WAIT_MS = 5000;

/** The `durable` session a js-debug session belongs to (its attach session, or a target session under that). */
function durableAncestor(session: vscode.DebugSession): vscode.DebugSession | undefined {
  for (let parent = session.parentSession; parent; parent = parent.parentSession) {
    if (parent.type === "durable") return parent;
  }
  return undefined;
}

export function attachJavaScriptDebuggers(): vscode.Disposable {
  // The durable sessions whose instance waits for js-debug, with the fallback timer.
  const waiting = new Map<string, NodeJS.Timeout>();
  const wait = (durable: vscode.DebugSession) => {
    clearTimeout(waiting.get(durable.id));
    waiting.set(
      durable.id,
      setTimeout(() => release(durable), TARGET_WAIT_MS),
    );
  };
  const release = (durable: vscode.DebugSession) => {
    if (!waiting.has(durable.id)) return;
    clearTimeout(waiting.get(durable.id));
    waiting.delete(durable.id);
    void durable.customRequest("javaScriptDebuggerAttached").then(undefined, () => undefined);
  };

  const started = vscode.debug.onDidStartDebugSession((session) => {
    const durable = durableAncestor(session);
    // js-debug's attach session, then the session it starts for the app process (its target): each restarts the wait.
    if (durable) return durable.configuration.inspectPort ? wait(durable) : undefined;
    const port = session.type === "durable" ? (session.configuration.inspectPort as number | undefined) : undefined;
    if (!port) return;
    // Not compact: VS Code moves the focus to a compact child of the focused session, and the user would lose the
    // stopped history event from the Variables view. Best effort: without js-debug the replay debugger works alone.
    const config = { type: "node", request: "attach", name: "Durable app (JavaScript)", address: "127.0.0.1", port, continueOnAttach: true, timeout: 15000 };
    wait(session);
    vscode.debug.startDebugging(session.workspaceFolder, config, { parentSession: session, compact: false }).then(
      (ok) => {
        if (ok) return;
        log().appendLine("The JavaScript debugger did not attach to the app process; history stepping works without it.");
        release(session);
      },
      () => release(session),
    );
  });
  const ended = vscode.debug.onDidTerminateDebugSession((session) => {
    clearTimeout(waiting.get(session.id));
    waiting.delete(session.id);
  });

  /**
   * Each js-debug session under a durable one gets a tracker: it sees every DAP message before the adapter does (and
   * the message it is given is the one sent on), and every message the adapter sends.
   */
  const factory: vscode.DebugAdapterTrackerFactory = {
    createDebugAdapterTracker(session) {
      const durable = durableAncestor(session);
      if (!durable) return undefined;
      const skipReplays = durable.configuration.stopInReplay !== true;
      // The target session (under js-debug's attach session) has its breakpoints set once it answers
      // configurationDone (VS Code sends them all before it): then the instance may start.
      const target = session.parentSession !== durable;
      return {
        // The editor keeps the breakpoints as the user set them; js-debug gets them with the replay condition.
        onWillReceiveMessage: (message: unknown) => void (skipReplays && guardSetBreakpoints(message)),
        onDidSendMessage: (message: { type?: string; command?: string }) => {
          if (target && message.type === "response" && message.command === "configurationDone") release(durable);
        },
      };
    },
  };
  // "node" configurations resolve to js-debug's "pwa-node" sessions; both are listed in case a version keeps the name.
  return vscode.Disposable.from(
    started,
    ended,
    vscode.debug.registerDebugAdapterTrackerFactory("pwa-node", factory),
    vscode.debug.registerDebugAdapterTrackerFactory("node", factory),
  );
}
