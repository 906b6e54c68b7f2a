/** The functions a worker registered (the function catalog every part reads): names, kinds, bindings, where in the source. */

export type FunctionKind = "orchestration" | "activity" | "entity" | "http" | "other";

export interface RegisteredFunction {
  name: string;
  kind: FunctionKind;
  triggerType: string;
  /** Binding metadata as @azure/functions registered it (binding name → binding). */
  bindings: Record<string, { type: string; direction?: string; [key: string]: unknown }>;
  /** Where the app registered it (source-mapped), so a debugger can show the function. */
  source?: SourceFrame;
}

/** A position in the app's own source (after source maps): absolute file, 1-based line and column. */
export interface SourceFrame {
  /** The function the position is in. */
  name: string;
  file: string;
  line: number;
  column: number;
}
