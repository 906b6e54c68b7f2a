/**
 * The "Instances" view: the emulator's orchestration instances, grouped by status, refreshed while it runs; a
 * waiting instance says what it waits for. A durable debug session runs an emulator of its own (with the debugger's
 * time holding): its instances come first, under a group of the session's name, and every action on them goes to
 * that emulator.
 */
import * as vscode from "vscode";
import type { InstanceSummary } from "../emulator-client";
import { describeWaits } from "../wait-description";

const STATUS_ICONS: Record<string, [string, string?]> = {
  Running: ["sync~spin", "charts.blue"],
  Pending: ["clock"],
  Completed: ["pass", "testing.iconPassed"],
  Failed: ["error", "testing.iconFailed"],
  Terminated: ["circle-slash", "disabledForeground"],
  Suspended: ["debug-pause", "charts.yellow"],
  ContinuedAsNew: ["debug-restart"],
};
const ORDER = ["Running", "Pending", "Suspended", "Failed", "Completed", "Terminated", "ContinuedAsNew"];

/** A debug session that runs its own emulator, as the view shows it. */
export interface DebugSessionGroup {
  /** The vscode.DebugSession's id. */
  id: string;
  name: string;
}

export type InstanceNode =
  | { status: string; count: number }
  | { debugSession: DebugSessionGroup; count: number }
  /** `debugSessionId`: the instance is in that debug session's emulator, not this window's. */
  | { instance: InstanceSummary; debugSessionId?: string };

export class InstancesView implements vscode.TreeDataProvider<InstanceNode> {
  private instances: InstanceSummary[] = [];
  private readonly debugSessions = new Map<string, { group: DebugSessionGroup; instances: InstanceSummary[] }>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  /** This window's emulator's instances. */
  update(instances: InstanceSummary[]): void {
    const before = JSON.stringify(this.instances);
    this.instances = instances;
    if (JSON.stringify(instances) !== before) this.changed.fire();
  }

  /** A debug session's instances (its emulator answered), shown until the session ends. */
  updateDebugSession(group: DebugSessionGroup, instances: InstanceSummary[]): void {
    const before = JSON.stringify(this.debugSessions.get(group.id) ?? null);
    const next = { group, instances };
    this.debugSessions.set(group.id, next);
    if (JSON.stringify(next) !== before) this.changed.fire();
  }

  removeDebugSession(id: string): void {
    if (this.debugSessions.delete(id)) this.changed.fire();
  }

  /** This window's emulator's instances. */
  all(): InstanceSummary[] {
    return this.instances;
  }

  /** Every debug session's instances, with the session they belong to. */
  debugInstances(): { group: DebugSessionGroup; instance: InstanceSummary }[] {
    return [...this.debugSessions.values()].flatMap(({ group, instances }) => instances.map((instance) => ({ group, instance })));
  }

  getChildren(node?: InstanceNode): InstanceNode[] {
    if (!node) {
      const sessions: InstanceNode[] = [...this.debugSessions.values()].map(({ group, instances }) => ({ debugSession: group, count: instances.length }));
      const statuses = [...new Set(this.instances.map((instance) => instance.runtimeStatus))].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
      return [...sessions, ...statuses.map((status) => ({ status, count: this.instances.filter((instance) => instance.runtimeStatus === status).length }))];
    }
    if ("debugSession" in node) {
      const session = this.debugSessions.get(node.debugSession.id);
      return (session?.instances ?? []).map((instance) => ({ instance, debugSessionId: node.debugSession.id }));
    }
    if ("status" in node) return this.instances.filter((instance) => instance.runtimeStatus === node.status).map((instance) => ({ instance }));
    return [];
  }

  getTreeItem(node: InstanceNode): vscode.TreeItem {
    if ("debugSession" in node) {
      const item = new vscode.TreeItem(`Debug session: ${node.debugSession.name}`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `debug-session:${node.debugSession.id}`;
      item.description = `${node.count} instance${node.count === 1 ? "" : "s"}`;
      item.tooltip = `The instances of the emulator the debug session "${node.debugSession.name}" runs (its own clock: time is held where an orchestration waits for an event). They end with the session.`;
      item.iconPath = new vscode.ThemeIcon("debug-alt", new vscode.ThemeColor("debugIcon.startForeground"));
      item.contextValue = "durableDebugSession";
      return item;
    }
    if ("status" in node) {
      const item = new vscode.TreeItem(`${node.status} (${node.count})`, vscode.TreeItemCollapsibleState.Expanded);
      const [icon, color] = STATUS_ICONS[node.status] ?? ["circle-outline"];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      return item;
    }
    const { instance } = node;
    const item = new vscode.TreeItem(instance.name, vscode.TreeItemCollapsibleState.None);
    item.id = node.debugSessionId ? `debug-session:${node.debugSessionId}/${instance.instanceId}` : instance.instanceId;
    const waits = instance.waits && describeWaits(instance.waits);
    // In a debug session's group the status is not a group of its own: it leads the description.
    const status = node.debugSessionId ? `${instance.runtimeStatus} · ` : "";
    item.description = waits ? `${status}${instance.instanceId} · waiting for ${waits}` : `${status}${instance.instanceId}`;
    item.tooltip = [
      `${instance.name} ${instance.instanceId}`,
      instance.runtimeStatus,
      ...(waits ? [`waiting for ${waits}`] : []),
      `created ${instance.createdTime}`,
      `updated ${instance.lastUpdatedTime}`,
      ...(node.debugSessionId ? [`in the debug session "${this.debugSessions.get(node.debugSessionId)?.group.name ?? ""}"`] : []),
    ].join("\n");
    item.contextValue = `durableInstance.${instance.runtimeStatus}`;
    const [icon, color] = STATUS_ICONS[instance.runtimeStatus] ?? ["circle-outline"];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.command = { command: "durableDevkit.showHistory", title: "Show History", arguments: [node] };
    return item;
  }
}
