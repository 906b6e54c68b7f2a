/** "Durable: New Orchestration from Pattern…": pick (or be guided to) a pattern, name it, pick the language and folder. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { PATTERNS, ScaffoldError, scaffold, validateName, type Language } from "../../templates/scaffold";
import { DEFAULT_PATTERN, PATTERN_QUESTIONS } from "../../templates/pattern-guide";
import { showError } from "../output";
import { installDependencies } from "./install-dependencies";
import { completeWalkthroughStep } from "../walkthrough-steps";

const GUIDE = "help";

async function pickPattern(): Promise<string | undefined> {
  const items: (vscode.QuickPickItem & { id: string })[] = [
    ...PATTERNS.map((pattern) => ({ id: pattern.id, label: pattern.title, description: pattern.id, detail: pattern.description })),
    { id: GUIDE, label: "$(question) Help me choose…", detail: "A few yes/no questions lead to the right pattern" },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: "New Orchestration from Pattern",
    placeHolder: "Pick an orchestration pattern",
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!picked || picked.id !== GUIDE) return picked?.id;
  for (const question of PATTERN_QUESTIONS) {
    const answer = await vscode.window.showQuickPick(["Yes", "No"], { title: question.question, placeHolder: question.detail, ignoreFocusOut: true });
    if (!answer) return undefined;
    if (answer === "Yes") return question.yes;
  }
  return DEFAULT_PATTERN;
}

export async function newOrchestrationFromPattern(): Promise<void> {
  const patternId = await pickPattern();
  if (!patternId) return;
  const pattern = PATTERNS.find((candidate) => candidate.id === patternId);
  if (!pattern) return;
  const name = await vscode.window.showInputBox({
    title: `${pattern.title}: name`,
    value: pattern.defaultName,
    // A walkthrough button runs this with the focus going back to the walkthrough: the box must stay open.
    ignoreFocusOut: true,
    prompt: "The orchestrator's name; its activities and HTTP starter are named after it",
    validateInput: (value) => {
      try {
        validateName(value);
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  });
  if (!name) return;
  const folders = vscode.workspace.workspaceFolders ?? [];
  let dir: string | undefined = folders[0]?.uri.fsPath;
  if (folders.length > 1 || !dir) {
    const chosen = await vscode.window.showOpenDialog({
      canSelectFolders: true,
      canSelectFiles: false,
      openLabel: "Scaffold here",
      defaultUri: folders[0]?.uri,
    });
    dir = chosen?.[0]?.fsPath;
  }
  if (!dir) return;
  const existing: Language | undefined = fs.existsSync(path.join(dir, "package.json"))
    ? fs.existsSync(path.join(dir, "tsconfig.json"))
      ? "ts"
      : "js"
    : undefined;
  let language = existing;
  if (!language) {
    const picked = await vscode.window.showQuickPick(
      [
        { label: "TypeScript", id: "ts" as Language },
        { label: "JavaScript", id: "js" as Language },
      ],
      { title: `${pattern.title}: language`, ignoreFocusOut: true },
    );
    if (!picked) return;
    language = picked.id;
  }
  try {
    const result = scaffold({ pattern: pattern.id, name, language, dir });
    completeWalkthroughStep("scaffolded");
    const main = result.files.find((file) => file.startsWith(path.join("src", "functions")));
    if (main) await vscode.window.showTextDocument(vscode.Uri.file(path.join(dir, main)));
    let installed = !result.appCreated;
    if (result.appCreated && vscode.workspace.getConfiguration("durableDevkit").get<boolean>("installDependencies") !== false)
      installed = await installDependencies(dir);
    const next = installed ? "Durable: Run Orchestration… runs it." : "Run `npm install` in the folder, then Durable: Run Orchestration…";
    void vscode.window.showInformationMessage(
      `${pattern.title} "${result.name}" written (${result.files.length} file${result.files.length === 1 ? "" : "s"}). ${next}`,
    );
  } catch (error) {
    if (error instanceof ScaffoldError) void vscode.window.showErrorMessage(error.message);
    else await showError("Scaffolding failed", error);
  }
}
