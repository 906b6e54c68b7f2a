/**
 * The "Instances" view: the emulator's orchestration instances, grouped by status, refreshed while it runs; a
 * waiting instance says what it waits for.
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

export type InstanceNode = { status: string; count: number } | { instance: InstanceSummary };

export class InstancesView implements vscode.TreeDataProvider<InstanceNode> {
  private instances: InstanceSummary[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  update(instances: InstanceSummary[]): void {
    const before = JSON.stringify(this.instances);
    this.instances = instances;
    if (JSON.stringify(instances) !== before) this.changed.fire();
  }

  all(): InstanceSummary[] {
    return this.instances;
  }

  getChildren(node?: InstanceNode): InstanceNode[] {
    if (!node) {
      const statuses = [...new Set(this.instances.map((instance) => instance.runtimeStatus))].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
      return statuses.map((status) => ({ status, count: this.instances.filter((instance) => instance.runtimeStatus === status).length }));
    }
    if ("status" in node) return this.instances.filter((instance) => instance.runtimeStatus === node.status).map((instance) => ({ instance }));
    return [];
  }

  getTreeItem(node: InstanceNode): vscode.TreeItem {
    if ("status" in node) {
      const item = new vscode.TreeItem(`${node.status} (${node.count})`, vscode.TreeItemCollapsibleState.Expanded);
      const [icon, color] = STATUS_ICONS[node.status] ?? ["circle-outline"];
      item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
      return item;
    }
    const { instance } = node;
    const item = new vscode.TreeItem(instance.name, vscode.TreeItemCollapsibleState.None);
    item.id = instance.instanceId;
    const waits = instance.waits && describeWaits(instance.waits);
    item.description = waits ? `${instance.instanceId} · waiting for ${waits}` : instance.instanceId;
    item.tooltip = [
      `${instance.name} ${instance.instanceId}`,
      instance.runtimeStatus,
      ...(waits ? [`waiting for ${waits}`] : []),
      `created ${instance.createdTime}`,
      `updated ${instance.lastUpdatedTime}`,
    ].join("\n");
    item.contextValue = `durableInstance.${instance.runtimeStatus}`;
    const [icon, color] = STATUS_ICONS[instance.runtimeStatus] ?? ["circle-outline"];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    item.command = { command: "durableDevkit.showHistory", title: "Show History", arguments: [node] };
    return item;
  }
}
