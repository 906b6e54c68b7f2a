/** Commands on orchestrations and instances: run, raise, control, history, export, replay, dashboard. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { DevkitContext } from "../devkit-context";
import type { EmulatorClient, InstanceAction } from "../emulator-client";
import type { InstanceNode } from "../views/instances-view";
import { showError } from "../output";
import { showHistoryPanel } from "../history-panel";
import { followInstance } from "./follow-instance";
import { dashboardAddress } from "../dashboard-address";
import { pickInstance, pickOrchestrator } from "./pickers";
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
      const picked = await pickInstance(context, node, `${action[0].toUpperCase()}${action.slice(1)} which instance?`, statuses);
      if (!picked) return;
      const { instanceId, client } = picked;
      const reason = askReason
        ? await vscode.window.showInputBox({ title: `Reason to ${action}`, value: `${action} from VS Code`, ignoreFocusOut: true })
        : undefined;
      if (askReason && reason === undefined) return;
      await client.act(instanceId, action, { reason });
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
      const picked = await pickInstance(context, node, "Purge which instance?", ["Completed", "Failed", "Terminated"]);
      if (!picked) return;
      const sure = await vscode.window.showWarningMessage(`Delete ${picked.instanceId} and its history?`, { modal: true }, "Purge");
      if (sure !== "Purge") return;
      await picked.client.purge(picked.instanceId);
      await context.refresh();
    }),
    guarded("durableDevkit.showHistory", async (node?: InstanceNode) => {
      const picked = await pickInstance(context, node, "Show the history of which instance?");
      if (picked) await showHistoryPanel(context, picked.instanceId, picked.client);
    }),
    guarded("durableDevkit.exportHistory", async (node?: InstanceNode) => {
      const picked = await pickInstance(context, node, "Export the history of which instance?");
      if (!picked) return;
      const { instanceId, client } = picked;
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
      const exported = {
        format: "durable-devkit.history/v1",
        instanceId,
        name: instance.name,
        input: parse(instance.input),
        runtimeStatus: instance.runtimeStatus,
        output: parse(instance.output),
        history,
      };
      fs.mkdirSync(path.dirname(target.fsPath), { recursive: true });
      fs.writeFileSync(target.fsPath, `${JSON.stringify(exported, null, 2)}\n`);
      void vscode.window.showInformationMessage(
        `Exported ${history.length} events to ${vscode.workspace.asRelativePath(target)}. Durable: Replay History File… replays it.`,
      );
    }),
    guarded("durableDevkit.replayHistoryFile", async (uri?: vscode.Uri) => {
      const file =
        uri?.fsPath ?? (await vscode.window.showOpenDialog({ canSelectMany: false, filters: { "History JSON": ["json"] }, openLabel: "Replay" }))?.[0]?.fsPath;
      if (!file) return;
      const folder = vscode.workspace.workspaceFolders?.[0];
      await vscode.debug.startDebugging(folder, {
        type: "durable",
        request: "launch",
        name: `Replay ${path.basename(file)}`,
        mode: "replay",
        history: file,
        app: context.appDir(),
        stopOnEntry: true,
      });
    }),
    guarded("durableDevkit.openDashboard", async (target?: InstanceNode | "window") => {
      const chosen = await dashboardTarget(context, target);
      if (!chosen) return;
      const { client, instanceId } = chosen;
      // The root is mapped and the path joined on (dashboard-address.ts says why); remote and browser VS Code need it.
      const external = await vscode.env.asExternalUri(vscode.Uri.parse(`${client.origin}/`));
      await vscode.env.openExternal(vscode.Uri.parse(dashboardAddress(client.origin, external.toString(true), client.forwardingKey, instanceId), true));
    }),
    guarded("durableDevkit.refreshInstances", () => context.refresh()),
  ];
}

/**
 * Whose dashboard to open: the one of the node it was run on (an instance opens on itself, a debug session on the
 * instance it launched); "window" (the status bar) this window's; from the palette, this window's unless debug
 * sessions run emulators of their own, in which case the user picks.
 */
async function dashboardTarget(
  context: DevkitContext,
  target: InstanceNode | "window" | undefined,
): Promise<{ client: EmulatorClient; instanceId?: string } | undefined> {
  if (target && typeof target === "object") {
    const client = await context.clientFor(target);
    if ("instance" in target) return { client, instanceId: target.instance.instanceId };
    if ("debugSession" in target) return { client, instanceId: context.debugEmulators.get(target.debugSession.id)?.mainInstanceId };
    return { client };
  }
  const sessions = context.debugEmulators.all();
  if (target === "window" || !sessions.length) return { client: await context.ensureEmulator() };
  const running = context.emulator.state.kind === "running";
  const picked = await vscode.window.showQuickPick(
    [
      ...sessions.map((session) => ({ label: `Debug session: ${session.name}`, description: session.client.origin, session })),
      { label: "This window's emulator", description: running ? "" : "starts it", session: undefined },
    ],
    { title: "Open the dashboard of which emulator?", ignoreFocusOut: true },
  );
  if (!picked) return undefined;
  return picked.session ? { client: picked.session.client, instanceId: picked.session.mainInstanceId } : { client: await context.ensureEmulator() };
}
