/** The status bar item: the emulator's state and port; a click starts it or opens the dashboard. */
import * as vscode from "vscode";
import type { EmulatorState } from "./emulator-process";

export function createStatusBar(onChange: vscode.Event<EmulatorState>): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem("durableDevkit.emulator", vscode.StatusBarAlignment.Left, 10);
  item.name = "Durable emulator";
  const show = (state: EmulatorState) => {
    switch (state.kind) {
      case "running":
        item.text = `$(pulse) Durable :${state.port}`;
        item.tooltip = `The Durable emulator is running on http://127.0.0.1:${state.port}. Click to open the dashboard.`;
        item.command = "durableDevkit.openDashboard";
        break;
      case "starting":
        item.text = "$(loading~spin) Durable";
        item.tooltip = "The Durable emulator is starting";
        item.command = undefined;
        break;
      case "failed":
        item.text = "$(error) Durable";
        item.tooltip = `The Durable emulator failed: ${state.message}`;
        item.command = "durableDevkit.startEmulator";
        break;
      default:
        item.text = "$(circle-outline) Durable";
        item.tooltip = "The Durable emulator is stopped. Click to start it.";
        item.command = "durableDevkit.startEmulator";
    }
  };
  show({ kind: "stopped" });
  onChange(show);
  item.show();
  return item;
}
