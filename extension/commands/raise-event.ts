/** Durable: Raise Event…: to an instance the user picks, or the one (and the event) a waiting notice names. */
import * as vscode from "vscode";
import type { DevkitContext } from "../devkit-context";
import type { InstanceNode } from "../views/instances-view";
import { pickEventName, pickInstance } from "./pickers";
import { askJson } from "./json-prompt";

/** What the "Raise …" button of a waiting notice passes: the instance, and the event when it waits for one only. */
export interface RaiseTarget {
  instanceId: string;
  eventName?: string;
}

export async function raiseEvent(context: DevkitContext, target?: InstanceNode | RaiseTarget): Promise<void> {
  // A waiting notice's instance is in this window's emulator; a node's or a picked one may be in a debug session's.
  const picked =
    target && "instanceId" in target
      ? { instanceId: target.instanceId, client: await context.ensureEmulator() }
      : await pickInstance(context, target, "Raise an event to which instance?", ["Running", "Pending", "Suspended"]);
  if (!picked) return;
  const { instanceId, client } = picked;
  let eventName = target && "instanceId" in target ? target.eventName : undefined;
  if (!eventName) {
    const { waits } = await client.waits(instanceId);
    eventName = await pickEventName(waits.events, `Raise which event to ${instanceId}?`);
  }
  if (!eventName) return;
  const data = await askJson(`Raise ${eventName} to ${instanceId}`, "The event's data");
  if (!data) return;
  await client.raise(instanceId, eventName, data.value);
  await context.refresh();
  void vscode.window.setStatusBarMessage(`Durable: ${eventName} raised to ${instanceId}`, 4000);
}
