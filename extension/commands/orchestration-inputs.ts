/**
 * Each orchestrator's input, asked for when it runs or is debugged: JSON checked as typed, prefilled with the last
 * input used for that orchestrator in this workspace, or the first time with the sample its pattern's file suggests.
 */
import * as fs from "node:fs";
import type * as vscode from "vscode";
import { sampleInputText } from "../../templates/sample-input";
import { askJson } from "./json-prompt";

const STATE_KEY = "durableDevkit.orchestrationInputs";

export class OrchestrationInputs {
  constructor(
    private readonly state: vscode.Memento,
    /** Files that may hold the orchestrator's code (and its pattern's sample input). */
    private readonly sourceFiles: (orchestrator: string) => string[],
  ) {}

  /** The input for this orchestrator, or undefined when the user cancels. */
  async ask(orchestrator: string, title: string): Promise<{ value: unknown } | undefined> {
    const answer = await askJson(title, `${orchestrator}'s input`, this.remembered(orchestrator) ?? this.sample(orchestrator));
    if (!answer) return undefined;
    await this.state.update(STATE_KEY, { ...this.all(), [orchestrator]: answer.text });
    return { value: answer.value };
  }

  /** The text typed the last time this orchestrator's input was asked. */
  remembered(orchestrator: string): string | undefined {
    return this.all()[orchestrator];
  }

  private all(): Record<string, string> {
    return this.state.get<Record<string, string>>(STATE_KEY) ?? {};
  }

  private sample(orchestrator: string): string | undefined {
    for (const file of this.sourceFiles(orchestrator)) {
      let source: string;
      try {
        source = fs.readFileSync(file, "utf8");
      } catch {
        continue; // not there: the next candidate
      }
      const sample = sampleInputText(source, orchestrator);
      if (sample !== undefined) return sample;
    }
    return undefined;
  }
}
