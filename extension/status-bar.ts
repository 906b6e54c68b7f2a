/**
 * The status bar item: the emulator's state and port; a click starts it or opens the dashboard. A save the emulator
 * could not load turns it into a warning that opens the Problems panel, since the old code (or nothing) still runs.
 */
import * as vscode from "vscode";
import type { EmulatorState } from "./emulator-process";
import type { ReloadReport } from "../emulator/app/reload-report";

export function createStatusBar(onEmulatorChange: vscode.Event<EmulatorState>, onReloadChange: vscode.Event<ReloadReport | undefined>): vscode.StatusBarItem {
  const item = vscode.window.createStatusBarItem("durableDevkit.emulator", vscode.StatusBarAlignment.Left, 10);
  item.name = "Durable emulator";
  let emulator: EmulatorState = { kind: "stopped" };
  let reloadFailure: Extract<ReloadReport, { state: "failed" }> | undefined;
  const show = () => {
    item.backgroundColor = undefined;
    switch (emulator.kind) {
      case "running":
        if (reloadFailure) {
          item.text = `$(warning) Durable :${emulator.port} reload failed`;
          const consequence = reloadFailure.previousCodeRuns ? "The previous code keeps running." : "The app's functions wait until a change loads.";
          item.tooltip = `The emulator could not reload your app: ${firstLine(reloadFailure.message)}\n${consequence} Click to see the problems.`;
          item.command = "workbench.actions.view.problems";
          item.backgroundColor = new vscode.ThemeColor("statusBarItem.warningBackground");
          break;
        }
        item.text = `$(pulse) Durable :${emulator.port}`;
        item.tooltip = `The Durable emulator is running on http://127.0.0.1:${emulator.port}. Click to open the dashboard.`;
        item.command = { command: "durableDevkit.openDashboard", title: "Open Dashboard", arguments: ["window"] };
        break;
      case "starting":
        item.text = "$(loading~spin) Durable";
        item.tooltip = "The Durable emulator is starting";
        item.command = undefined;
        break;
      case "failed":
        item.text = "$(error) Durable";
        item.tooltip = `The Durable emulator failed: ${emulator.message}`;
        item.command = "durableDevkit.startEmulator";
        break;
      default:
        item.text = "$(circle-outline) Durable";
        item.tooltip = "The Durable emulator is stopped. Click to start it.";
        item.command = "durableDevkit.startEmulator";
    }
  };
  show();
  onEmulatorChange((state) => {
    emulator = state;
    if (state.kind !== "running") reloadFailure = undefined;
    show();
  });
  onReloadChange((report) => {
    reloadFailure = report?.state === "failed" ? report : undefined;
    show();
  });
  item.show();
  return item;
}

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .find((line) => line.trim())
      ?.trim() ?? text
  );
}
