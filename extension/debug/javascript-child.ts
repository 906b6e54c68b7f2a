/**
 * VS Code's JavaScript debugger beside the replay debugger: a `durable` launch given an inspector port gets a js-debug
 * child session attached to the app process, and the instance starts only once that child can stop at breakpoints,
 * so ordinary breakpoints in orchestrators and activities hit from the first episode.
 */
import * as vscode from "vscode";
import { log } from "../output";

/** js-debug's attach session starts a session of its own per target; breakpoints are bound once that one has started. */
const TARGET_WAIT_MS = 5000;

export function attachJavaScriptDebuggers(): vscode.Disposable {
  // js-debug's attach session id → the durable session waiting for it, and the fallback timer.
  const waiting = new Map<string, { durable: vscode.DebugSession; timer: NodeJS.Timeout }>();
  const release = (durable: vscode.DebugSession) => void durable.customRequest("javaScriptDebuggerAttached").then(undefined, () => undefined);

  return vscode.debug.onDidStartDebugSession((session) => {
    const parent = session.parentSession;
    if (parent?.type === "durable" && parent.configuration.inspectPort) {
      // The attach session: wait for its target, or not for long.
      waiting.set(session.id, { durable: parent, timer: setTimeout(() => (waiting.delete(session.id), release(parent)), TARGET_WAIT_MS) });
      return;
    }
    const attach = parent && waiting.get(parent.id);
    if (attach) {
      clearTimeout(attach.timer);
      waiting.delete(parent.id);
      release(attach.durable);
      return;
    }
    const port = session.type === "durable" ? (session.configuration.inspectPort as number | undefined) : undefined;
    if (!port) return;
    // Not compact: VS Code moves the focus to a compact child of the focused session, and the user would lose the
    // stopped history event from the Variables view. Best effort: without js-debug the replay debugger works alone.
    const config = { type: "node", request: "attach", name: "Durable app (JavaScript)", address: "127.0.0.1", port, continueOnAttach: true, timeout: 15000 };
    vscode.debug.startDebugging(session.workspaceFolder, config, { parentSession: session, compact: false }).then(
      (started) => {
        if (started) return;
        log().appendLine("The JavaScript debugger did not attach to the app process; history stepping works without it.");
        release(session);
      },
      () => release(session),
    );
  });
}
