/**
 * The `durable` debugger in VS Code: the replay debugger runs as `durable-devkit dap` over stdio; F5 works without a
 * launch.json (it asks which orchestrator); a launch without "input" asks for that orchestrator's input; the app
 * process gets an inspector and a js-debug child session attaches to it (javascript-child.ts), so ordinary
 * breakpoints with locals work in activities and orchestrators as well.
 */
import * as net from "node:net";
import * as vscode from "vscode";
import { bundledCli } from "../emulator-process";
import { pickOrchestrator } from "../commands/pickers";
import { attachJavaScriptDebuggers } from "./javascript-child";
import type { DevkitContext } from "../devkit-context";
import { showError } from "../output";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The one source of the generated launch.json (package.json has no initialConfigurations: VS Code would list both).
 * No "input": each launch asks for it. No "port": attach goes to this window's emulator.
 */
export const INITIAL_CONFIGURATIONS: vscode.DebugConfiguration[] = [
  { type: "durable", request: "launch", name: "Durable: run an orchestration", orchestrator: "${command:durableDevkit.pickOrchestrator}", stopOnEntry: true },
  { type: "durable", request: "launch", name: "Durable: replay a history file", mode: "replay", history: "${file}" },
  { type: "durable", request: "attach", name: "Durable: attach to this window's emulator" },
];

/** A launch that starts a new instance (not a replay, which has its input in the history). */
function startsInstance(config: vscode.DebugConfiguration): boolean {
  return config.request === "launch" && config.mode !== "replay" && !(config.mode === undefined && config.history !== undefined);
}

export class DurableConfigurationProvider implements vscode.DebugConfigurationProvider {
  constructor(private readonly context: DevkitContext) {}

  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    return INITIAL_CONFIGURATIONS;
  }

  async resolveDebugConfiguration(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (!config.type && !config.request && !config.name) {
      // F5 without a launch.json: run an orchestrator the user picks.
      const orchestrator = await pickOrchestrator(this.context, "Debug which orchestrator?");
      if (!orchestrator) return undefined;
      // No "input": it is asked once the orchestrator is known (resolveDebugConfigurationWithSubstitutedVariables).
      Object.assign(config, { type: "durable", request: "launch", name: `Durable: ${orchestrator}`, orchestrator, stopOnEntry: true });
    }
    config.app ??= this.context.appDir();
    if (config.request === "attach" && config.port === undefined) {
      // Attach without a port: to the emulator this window runs (on a port of its own choosing), started if need be.
      try {
        await this.context.ensureEmulator();
      } catch (error) {
        await showError("Durable: attach needs this window's emulator, which did not start", error);
        return undefined;
      }
      const emulator = this.context.emulator.state;
      if (emulator.kind !== "running") return undefined;
      config.port = emulator.port;
    }
    return config;
  }

  async resolveDebugConfigurationWithSubstitutedVariables(
    _folder: vscode.WorkspaceFolder | undefined,
    config: vscode.DebugConfiguration,
  ): Promise<vscode.DebugConfiguration | undefined> {
    if (startsInstance(config) && !("input" in config) && typeof config.orchestrator === "string" && config.orchestrator) {
      // An "input" written in launch.json (even null) is used as it is; without one, each launch asks.
      const input = await this.context.inputs.ask(config.orchestrator, `Debug ${config.orchestrator}`);
      if (!input) return undefined;
      config.input = input.value;
    }
    if (startsInstance(config)) {
      const runtime = this.context.runtime();
      if (runtime.source !== "VS Code") config.nodePath ??= runtime.path;
      if (config.attachJavaScriptDebugger !== false && config.inspectPort === undefined) {
        config.inspectPort = await freePort();
        // The instance waits for js-debug, so breakpoints in orchestrators and activities hit from the first episode.
        config.waitForJavaScriptDebugger = true;
      }
      // Whether js-debug also stops in replayed orchestrator code (javascript-child.ts); the adapter's breakpoint
      // messages say which. launch.json may say it for one configuration.
      if (config.inspectPort !== undefined && typeof config.stopInReplay !== "boolean") {
        config.stopInReplay = vscode.workspace.getConfiguration("durableDevkit").get<boolean>("debug.stopInReplay") === true;
      }
    }
    return config;
  }
}

export function registerDebugger(context: DevkitContext): vscode.Disposable[] {
  return [
    vscode.debug.registerDebugConfigurationProvider("durable", new DurableConfigurationProvider(context)),
    vscode.debug.registerDebugConfigurationProvider(
      "durable",
      { provideDebugConfigurations: () => INITIAL_CONFIGURATIONS },
      vscode.DebugConfigurationProviderTriggerKind.Dynamic,
    ),
    vscode.debug.registerDebugAdapterDescriptorFactory("durable", {
      // `durable-devkit dap` in a process of its own, on the app's Node.js: the replay engine and the TypeScript parser
      // stay out of the extension host, and an adapter crash cannot take the editor's extensions down with it.
      createDebugAdapterDescriptor: () => {
        const runtime = context.runtime();
        return new vscode.DebugAdapterExecutable(runtime.path, [bundledCli(context.extensionRoot), "dap"], { env: runtime.env });
      },
    }),
    vscode.commands.registerCommand("durableDevkit.pickOrchestrator", () => pickOrchestrator(context, "Debug which orchestrator?")),
    attachJavaScriptDebuggers(),
  ];
}
