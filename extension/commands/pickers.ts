/** Quick picks the commands and the debugger share: an orchestrator, an instance, an event. */
import * as vscode from "vscode";
import type { DevkitContext } from "../devkit-context";
import type { InstanceNode } from "../views/instances-view";
import type { EmulatorClient } from "../emulator-client";
import { describeWaits } from "../wait-description";
import { durableTaskSdkOf } from "../../emulator/grpc/sdk-app";

/** An instance, and the emulator it is in (this window's, or a debug session's). */
export interface PickedInstance {
  instanceId: string;
  client: EmulatorClient;
}

/**
 * The instance a command acts on: the view's node it was run on, else one the user picks among this window's
 * instances and those of running debug sessions. With a debug session running, this window's emulator is not started
 * just to be asked.
 */
export async function pickInstance(
  context: DevkitContext,
  node: InstanceNode | undefined,
  title: string,
  statuses?: string[],
): Promise<PickedInstance | undefined> {
  if (node && "instance" in node) return { instanceId: node.instance.instanceId, client: await context.clientFor(node) };
  if (!context.debugEmulators.all().length) await context.ensureEmulator();
  await context.refresh();
  const window = context.emulator.state.kind === "running" ? context.emulator.state.client : undefined;
  const candidates = [
    ...context.instancesView
      .debugInstances()
      .map(({ group, instance }) => ({ instance, session: group.name, client: () => context.debugEmulators.client(group.id) })),
    ...(window ? context.instancesView.all().map((instance) => ({ instance, session: undefined, client: () => window })) : []),
  ].filter(({ instance }) => !statuses || statuses.includes(instance.runtimeStatus));
  if (!candidates.length) {
    void vscode.window.showInformationMessage(
      statuses ? `No instance is ${statuses.join(" or ")}.` : "The emulator has no instances yet: Durable: Run Orchestration… starts one.",
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    candidates.map((candidate) => {
      const { instance } = candidate;
      const waits = instance.waits && describeWaits(instance.waits);
      const where = candidate.session ? `debug session ${candidate.session} · ` : "";
      return {
        label: instance.name,
        description: `${where}${instance.runtimeStatus}${waits ? ` · waiting for ${waits}` : ""}`,
        detail: instance.instanceId,
        candidate,
      };
    }),
    { title, matchOnDetail: true, ignoreFocusOut: true },
  );
  return picked && { instanceId: picked.candidate.instance.instanceId, client: picked.candidate.client() };
}

/** The orchestrator to run or debug: asks when the app has more than one (the emulator starts first, to know them). */
export async function pickOrchestrator(context: DevkitContext, title = "Run which orchestrator?"): Promise<string | undefined> {
  await context.ensureEmulator();
  const names = context.functionsView.orchestrators;
  // A Durable Task SDK app's worker registers its orchestrators in its own process: the emulator knows only those it ran.
  if (durableTaskSdkOf(context.appDir())) return pickSdkOrchestrator(names, title);
  if (!names.length) {
    void vscode.window.showWarningMessage("The app registers no orchestrators. Durable: New Orchestration from Pattern… scaffolds one.");
    return undefined;
  }
  return names.length === 1 ? names[0] : vscode.window.showQuickPick(names, { title, ignoreFocusOut: true });
}

const OTHER_ORCHESTRATOR = "Another orchestrator…";

/** The ones the worker has run, and any name typed (as the worker registers it). */
async function pickSdkOrchestrator(known: readonly string[], title: string): Promise<string | undefined> {
  if (known.length) {
    const picked = await vscode.window.showQuickPick([...known, OTHER_ORCHESTRATOR], { title, ignoreFocusOut: true });
    if (picked !== OTHER_ORCHESTRATOR) return picked;
  }
  const typed = await vscode.window.showInputBox({
    title,
    prompt: "The orchestrator's name, as your worker registers it (addOrchestrator uses the function's name)",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Name the orchestrator"),
  });
  return typed?.trim() || undefined;
}

const OTHER_EVENT = "Other…";

/**
 * The event to raise: the ones the instance waits for as a quick pick (plus "Other…" for any name), or an input box
 * when it waits for none it knows of.
 */
export async function pickEventName(awaited: readonly string[], title: string): Promise<string | undefined> {
  if (awaited.length) {
    const picked = await vscode.window.showQuickPick(
      [...awaited.map((name) => ({ label: name, description: "the instance waits for it" })), { label: OTHER_EVENT, description: "another event name" }],
      { title, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    if (picked.label !== OTHER_EVENT) return picked.label;
  }
  const typed = await vscode.window.showInputBox({
    title,
    prompt: "The name the orchestrator waits for (waitForExternalEvent)",
    ignoreFocusOut: true,
    validateInput: (value) => (value.trim() ? undefined : "Give the event a name"),
  });
  return typed?.trim() || undefined;
}
