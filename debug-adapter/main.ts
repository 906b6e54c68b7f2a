/** The debug adapter over stdio, as `durable-devkit dap` runs it (the extension runs the session in-process). */
import { DurableDebugSession } from "./durable-debug-session";

export function runDebugAdapterOverStdio(): void {
  const session = new DurableDebugSession();
  process.on("SIGTERM", () => session.shutdown());
  session.start(process.stdin, process.stdout);
}
