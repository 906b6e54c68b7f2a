/** What the commands, views and the debugger share: the app folder, the runtime, and the emulator (started on demand). */
import { watchEmulator } from "../emulator/api/emulator-watch";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { EmulatorProcess, bundledCli } from "./emulator-process";
import type { EmulatorClient } from "./emulator-client";
import { FunctionsView } from "./views/functions-view";
import { InstancesView, type InstanceNode } from "./views/instances-view";
import { DebugEmulators } from "./debug/debug-emulators";
import { ReloadProblems } from "./reload-problems";
import { describeRuntime, resolveNodeRuntime, type NodeRuntime } from "./node-runtime";
import { CancelledError, log, showError } from "./output";
import { OrchestrationInputs } from "./commands/orchestration-inputs";

export class DevkitContext implements vscode.Disposable {
  readonly emulator: EmulatorProcess;
  readonly functionsView = new FunctionsView();
  readonly instancesView = new InstancesView();
  /** The emulators durable debug sessions run, whose instances the Instances view lists under each session. */
  readonly debugEmulators = new DebugEmulators(this.instancesView);
  readonly reloadProblems = new ReloadProblems();
  /** Each orchestrator's input, asked for and remembered in the workspace's state. */
  readonly inputs: OrchestrationInputs;
  private liveUpdates: { dispose(): void } | undefined;

  constructor(
    readonly extensionRoot: string,
    workspaceState: vscode.Memento,
  ) {
    this.inputs = new OrchestrationInputs(workspaceState, (orchestrator) => this.orchestratorFiles(orchestrator));
    this.emulator = new EmulatorProcess(bundledCli(extensionRoot), log());
    this.emulator.onDidChange((state) => {
      if (state.kind === "failed" && this.liveUpdates) void showError(state.message + " Its output is in the log; Durable: Start Emulator starts it again");
      if (state.kind === "running") this.followChanges(state.client);
      else {
        this.stopFollowing();
        this.reloadProblems.update(undefined);
      }
      void vscode.commands.executeCommand("setContext", "durableDevkit.emulatorRunning", state.kind === "running");
    });
  }

  /** The Functions app folder: the setting, else the first workspace folder with a package.json using durable-functions. */
  appDir(): string {
    const configured = vscode.workspace.getConfiguration("durableDevkit").get<string>("appFolder");
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (configured) return path.resolve(folders[0]?.uri.fsPath ?? process.cwd(), configured);
    for (const folder of folders) {
      const packageFile = path.join(folder.uri.fsPath, "package.json");
      try {
        const json = JSON.parse(fs.readFileSync(packageFile, "utf8")) as { dependencies?: Record<string, string> };
        if (json.dependencies?.["durable-functions"]) return folder.uri.fsPath;
      } catch {
        // not this one
      }
    }
    if (folders[0]) return folders[0].uri.fsPath;
    throw new Error("Open the folder of your Functions app first (File > Open Folder).");
  }

  /** Where an orchestrator's code may be: where the emulator found it, else where a scaffolded pattern puts it. */
  private orchestratorFiles(orchestrator: string): string[] {
    const reported = this.functionsView.sourceFileOf(orchestrator);
    let scaffolded: string[] = [];
    try {
      scaffolded = ["ts", "js"].map((extension) => path.join(this.appDir(), "src", "functions", `${orchestrator}.${extension}`));
    } catch {
      // no folder open: only what the emulator reported
    }
    return reported ? [reported, ...scaffolded] : scaffolded;
  }

  runtime(): NodeRuntime {
    const runtime = resolveNodeRuntime(vscode.workspace.getConfiguration("durableDevkit").get<string>("nodePath") || undefined);
    log().appendLine(`Your app runs on ${describeRuntime(runtime)}.`);
    return runtime;
  }

  /** The running emulator, started (with progress) when it is not. */
  async ensureEmulator(): Promise<EmulatorClient> {
    const state = this.emulator.state;
    if (state.kind === "running") return state.client;
    const appDir = this.appDir();
    if (!fs.existsSync(path.join(appDir, "package.json"))) {
      const scaffold = "New Orchestration from Pattern…";
      void vscode.window
        .showWarningMessage(
          `There is no Functions app in ${appDir} (no package.json). Scaffold one, or set durableDevkit.appFolder to your app's folder.`,
          scaffold,
        )
        .then((choice) => choice && vscode.commands.executeCommand("durableDevkit.newFromPattern"));
      throw new CancelledError();
    }
    const runtime = this.runtime();
    if (runtime.source === "VS Code") void vscode.window.showWarningMessage(`Durable Devkit runs your app on ${describeRuntime(runtime)}.`);
    const settings = vscode.workspace.getConfiguration("durableDevkit");
    const timeSkipping = settings.get<boolean>("timeSkipping") ?? false;
    const watch = settings.get<boolean>("watch") ?? true;
    const grpcPort = settings.get<number | null>("grpcPort") ?? undefined;
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Starting the Durable emulator…" }, async () => {
      const client = await this.emulator.start(appDir, runtime, { timeSkipping, watch, grpcPort });
      await this.refresh(client);
      return client;
    });
  }

  /** The emulator an Instances view node is in: its debug session's, or this window's (started if need be). */
  async clientFor(node?: InstanceNode): Promise<EmulatorClient> {
    if (node && "instance" in node && node.debugSessionId) return this.debugEmulators.client(node.debugSessionId);
    if (node && "debugSession" in node) return this.debugEmulators.client(node.debugSession.id);
    return this.ensureEmulator();
  }

  /** Reads the functions and instances again (a command's own call, without `client`, reads debug sessions' too). */
  async refresh(client?: EmulatorClient): Promise<void> {
    if (!client) await this.debugEmulators.refresh();
    const target = client ?? (this.emulator.state.kind === "running" ? this.emulator.state.client : undefined);
    if (!target) return;
    const [info, instances] = await Promise.all([target.info(), target.instances()]);
    this.functionsView.update(info.functions);
    this.instancesView.update(instances);
    this.reloadProblems.update(info.reload);
  }

  /** The views follow the emulator by push (its event stream); each burst of changes is one read. */
  private followChanges(client: EmulatorClient): void {
    this.stopFollowing();
    this.liveUpdates = watchEmulator(client.origin, () => void this.refresh(client).catch(() => undefined));
  }

  private stopFollowing(): void {
    this.liveUpdates?.dispose();
    this.liveUpdates = undefined;
  }

  dispose(): void {
    this.stopFollowing();
    this.debugEmulators.dispose();
    this.emulator.dispose();
    this.reloadProblems.dispose();
  }
}
