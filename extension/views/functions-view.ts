/** The "Functions" view: the app's orchestrators, activities, entities and HTTP functions; a click opens the source. */
import * as vscode from "vscode";
import type { FunctionInfo } from "../emulator-client";

const GROUPS: { kind: FunctionInfo["kind"]; label: string; icon: string }[] = [
  { kind: "orchestration", label: "Orchestrators", icon: "symbol-event" },
  { kind: "activity", label: "Activities", icon: "symbol-method" },
  { kind: "entity", label: "Entities", icon: "symbol-class" },
  { kind: "http", label: "HTTP functions", icon: "globe" },
];

type Node = { group: (typeof GROUPS)[number] } | { fn: FunctionInfo };

export class FunctionsView implements vscode.TreeDataProvider<Node> {
  private functions: FunctionInfo[] = [];
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  update(functions: FunctionInfo[]): void {
    this.functions = functions;
    this.changed.fire();
  }

  get orchestrators(): string[] {
    return this.functions.filter((fn) => fn.kind === "orchestration").map((fn) => fn.name);
  }

  /** The file that registers the function, when the emulator reported it. */
  sourceFileOf(name: string): string | undefined {
    return this.functions.find((fn) => fn.name === name)?.source?.file;
  }

  getChildren(node?: Node): Node[] {
    if (!node) return GROUPS.filter((group) => this.functions.some((fn) => fn.kind === group.kind)).map((group) => ({ group }));
    if ("group" in node) return this.functions.filter((fn) => fn.kind === node.group.kind).map((fn) => ({ fn }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if ("group" in node) {
      const item = new vscode.TreeItem(node.group.label, vscode.TreeItemCollapsibleState.Expanded);
      item.iconPath = new vscode.ThemeIcon(node.group.icon);
      return item;
    }
    const item = new vscode.TreeItem(node.fn.name, vscode.TreeItemCollapsibleState.None);
    item.contextValue = `durableFunction.${node.fn.kind}`;
    if (node.fn.source) {
      item.description = `${vscode.workspace.asRelativePath(node.fn.source.file)}:${node.fn.source.line}`;
      item.command = {
        command: "vscode.open",
        title: "Open Source",
        arguments: [vscode.Uri.file(node.fn.source.file), { selection: new vscode.Range(node.fn.source.line - 1, 0, node.fn.source.line - 1, 0) }],
      };
    }
    return item;
  }
}
