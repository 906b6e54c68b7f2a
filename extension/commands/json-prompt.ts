/** The input box for JSON the commands share (an orchestration's input, an event's data), checked as it is typed. */
import * as vscode from "vscode";

function parseJsonInput(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  if (!text.trim()) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, message: `Not JSON: ${(error as Error).message}. Strings need quotes: "Tokyo".` };
  }
}

/** Asks for JSON, checked as it is typed; `value` prefills the box. Answers the value and the text typed. */
export async function askJson(title: string, prompt: string, value?: string): Promise<{ value: unknown; text: string } | undefined> {
  const text = await vscode.window.showInputBox({
    title,
    prompt,
    value,
    placeHolder: 'JSON, e.g. ["Tokyo", "London"] (empty: null)',
    // A click elsewhere (on the file with the orchestrator, to look at its input type) must not lose what was typed.
    ignoreFocusOut: true,
    validateInput: (typed) => {
      const parsed = parseJsonInput(typed);
      return parsed.ok ? undefined : parsed.message;
    },
  });
  if (text === undefined) return undefined;
  const parsed = parseJsonInput(text);
  return parsed.ok ? { value: parsed.value, text } : undefined;
}
