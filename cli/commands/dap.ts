/** `durable-devkit dap`: the replay debugger as a Debug Adapter Protocol server over stdio. */
import { parse, type Command } from "../command";
import { EXIT } from "../cli-error";

const HELP = `Usage: durable-devkit dap [--stdio]

Runs the orchestration replay debugger as a Debug Adapter Protocol server on standard input and output, for any DAP
client (VS Code, nvim-dap, Emacs dap-mode...). Configurations have type "durable":
  launch  { "orchestrator": "name", "input": ..., "app": DIR, "stopOnEntry": true }   runs a new instance
  launch  { "mode": "replay", "history": "history.json" | "instanceId": ID, "app": DIR } replays a saved history
  attach  { "port": 7071 }                                                                a running durable-devkit start
A run skips timers ("timeSkipping": true) but holds time at a timer that races an awaited external event until the
debug console's \`advance\`; "timeSkipping": "always" skips every timer, false keeps wall time.
Stepping moves one history event at a time, forwards and back.`;

export const dapCommand: Command = {
  name: "dap",
  summary: "run the replay debugger as a Debug Adapter Protocol server over stdio",
  help: HELP,
  async run(args, io) {
    const { help } = parse("dap", args, { stdio: { type: "boolean" }, help: { type: "boolean", short: "h" } }, { min: 0, max: 0 });
    if (help) return (io.stdout.write(`${HELP}\n`), EXIT.ok);
    const { runDebugAdapterOverStdio } = require("../../debug-adapter/main") as typeof import("../../debug-adapter/main");
    runDebugAdapterOverStdio();
    // The session ends the process when the client disconnects.
    return new Promise<number>(() => undefined);
  },
};
