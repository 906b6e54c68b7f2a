/** Commands on orchestrations and instances: run, raise, control, history, export, replay, dashboard. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { DevkitContext } from "../devkit-context";
import type { InstanceAction } from "../emulator-client";
import type { InstanceNode } from "../views/instances-view";
import { showError } from "../output";
import { showHistoryPanel } from "../history-panel";
import { followInstance } from "./follow-instance";
import { dashboardAddress } from "../dashboard-address";
import { askJson, pickInstance, pickOrchestrator } from "./pickers";
import { raiseEvent, type RaiseTarget } from "./raise-event";

export function registerInstanceCommands(context: DevkitContext): vscode.Disposable[] {
  const guarded = (id: string, run: (...args: never[]) => Promise<unknown>) =>
    vscode.commands.registerCommand(id, async (...args: never[]) => {
      try {
        await run(...args);
      } catch (error) {
        await showError(`${id.replace("durableDevkit.", "")} failed`, error);
      }
    });
  const control = (action: InstanceAction, statuses: string[] | undefined, askReason: boolean) =>
    guarded(`durableDevkit.${action}Instance`, async (node?: InstanceNode) => {
      const instanceId = await pickInstance(context, node, `${action[0].toUpperCase()}${action.slice(1)} which instance?`, statuses);
      if (!instanceId) return;
      const reason = askReason ? await vscode.window.showInputBox({ title: `Reason to ${action}`, value: `${action} from VS Code`, ignoreFocusOut: true }) : undefined;
      if (askReason && reason === undefined) return;
      const client = await context.ensureEmulator();
      await client.act(instanceId, action, reason);
      await context.refresh();
      void vscode.window.setStatusBarMessage(`Durable: ${action} sent to ${instanceId}`, 4000);
    });

  return [
    guarded("durableDevkit.startEmulator", async () => {
      await context.ensureEmulator();
    }),
    guarded("durableDevkit.stopEmulator", () => context.emulator.stop()),
    guarded("durableDevkit.runOrchestration", async (name?: string) => {
      const orchestrator = typeof name === "string" ? name : await pickOrchestrator(context);
      if (!orchestrator) return;
      const input = await context.inputs.ask(orchestrator, `Run ${orchestrator}`);
      if (!input) return;
      const client = await context.ensureEmulator();
      const instanceId = await client.start(orchestrator, input.value);
      await followInstance(context, client, orchestrator, instanceId);
    }),
    guarded("durableDevkit.raiseEvent", (target?: InstanceNode | RaiseTarget) => raiseEvent(context, target)),
    control("terminate", ["Running", "Pending", "Suspended"], true),
    control("suspend", ["Running", "Pending"], true),
    control("resume", ["Suspended"], true),
    control("rewind", ["Failed"], true),
    control("restart", undefined, false),
    guarded("durableDevkit.purgeInstance", async (node?: InstanceNode) => {
      const instanceId = await pickInstance(context, node, "Purge which instance?", ["Completed", "Failed", "Terminated"]);
      if (!instanceId) return;
      const sure = await vscode.window.showWarningMessage(`Delete ${instanceId} and its history?`, { modal: true }, "Purge");
      if (sure !== "Purge") return;
      await (await context.ensureEmulator()).purge(instanceId);
      await context.refresh();
    }),
    guarded("durableDevkit.showHistory", async (node?: InstanceNode) => {
      const instanceId = await pickInstance(context, node, "Show the history of which instance?");
      if (instanceId) await showHistoryPanel(context, instanceId);
    }),
    guarded("durableDevkit.exportHistory", async (node?: InstanceNode) => {
      const instanceId = await pickInstance(context, node, "Export the history of which instance?");
      if (!instanceId) return;
      const client = await context.ensureEmulator();
      const { instance, history } = await client.history(instanceId);
      // A folder that does not exist yet makes some save dialogs (the browser's) open nowhere useful.
      const histories = path.join(context.appDir(), "histories");
      const folder = fs.existsSync(histories) ? histories : context.appDir();
      const target = await vscode.window.showSaveDialog({
        defaultUri: vscode.Uri.file(path.join(folder, `${instance.name}-${instanceId}.json`)),
        filters: { "History JSON": ["json"] },
      });
      if (!target) return;
      const parse = (text?: string) => (text === undefined ? null : (JSON.parse(text) as unknown));
      const exported = { format: "durable-devkit.history/v1", instanceId, name: instance.name, input: parse(instance.input), runtimeStatus: instance.runtimeStatus, output: parse(instance.output), history };
      fs.mkdirSync(path.dirname(target.fsPath), { recursive: true });
      fs.writeFileSync(target.fsPath, `${JSON.stringify(exported, null, 2)}\n`);
      void vscode.window.showInformationMessage(`Exported ${history.length} events to ${vscode.workspace.asRelativePath(target)}. Durable: Replay History File… replays it.`);
    }),
    guarded("durableDevkit.replayHistoryFile", async (uri?: vscode.Uri) => {
      const file = uri?.fsPath ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "History JSON": ["json"] }, openLabel: "Replay" }))?.[0]?.fsPath;
      if (!file) return;
      const folder = vscode.workspace.workspaceFolders?.[0];
      await vscode.debug.startDebugging(folder, { type: "durable", request: "launch", name: `Replay ${path.basename(file)}`, mode: "replay", history: file, app: context.appDir(), stopOnEntry: true });
    }),
    guarded("durableDevkit.openDashboard", async () => {
      const client = await context.ensureEmulator();
      // The root is mapped and the path joined on (dashboard-address.ts says why); remote and browser VS Code need it.
      const external = await vscode.env.asExternalUri(vscode.Uri.parse(`${client.origin}/`));
      await vscode.env.openExternal(vscode.Uri.parse(dashboardAddress(client.origin, external.toString(true), client.forwardingKey), true));
    }),
    guarded("durableDevkit.refreshInstances", () => context.refresh()),
  ];
}
