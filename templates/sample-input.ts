/**
 * The sample input a pattern's file suggests for its orchestrator: each template's "Try it" header shows
 * `durable-devkit run <orchestrator> --input '<json>'`, with the name the user gave. The debugger and Run
 * Orchestration… offer it the first time they ask for that orchestrator's input.
 */

/** The JSON text of the first `durable-devkit run <orchestrator> --input '…'` in the source that parses, if any. */
export function sampleInputText(source: string, orchestrator: string): string | undefined {
  const escaped = orchestrator.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  for (const match of source.matchAll(new RegExp(`durable-devkit run ${escaped} --input '([^'\\n]*)'`, "g"))) {
    try {
      JSON.parse(match[1]);
      return match[1];
    } catch {
      // a comment that is not JSON is no sample
    }
  }
  return undefined;
}
