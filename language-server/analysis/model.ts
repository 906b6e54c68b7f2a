/**
 * The types the analysis's parts share — what a finding is, where a walk is (its reach), what a file registers — so
 * the analyzer, the catalog, the task flow, the fixes and the incremental analysis depend on them and not on each other.
 */
import ts = require("typescript");
import type { Severity } from "./rules";
import type { Sdk } from "./sdk";

export interface TextRange {
  file: string;
  start: number;
  end: number;
}

export interface Fix {
  title: string;
  edits: (TextRange & { newText: string })[];
}

export interface Finding extends TextRange {
  code: string;
  severity: Severity;
  message: string;
  related: (TextRange & { message: string })[];
  fixes: Fix[];
}

export interface Reach {
  orchestratorName: string;
  orchestrator: ts.FunctionLikeDeclaration;
  /** The SDK the orchestrator is written for: what its APIs are called, what its messages and fixes name. */
  sdk: Sdk;
  /** Function names from the orchestrator down to the current function. */
  path: string[];
  /** The orchestrator's context parameter name, while the code can see it (its body and its inline callbacks). */
  contextName?: string;
  origin: TextRange;
  /** Under `if (!context.df.isReplaying)` / `if (!ctx.isReplaying)` (or a helper called there): logging is fine. */
  guarded: boolean;
  /** Inside a callback (map/forEach/...): its yields and awaits are not the orchestrator's. */
  inCallback: boolean;
}

export type FunctionKind = "activity" | "orchestration" | "entity";

/** One thing a file registers, in the order the file does it (a name first registered wins, as at run time). */
export type Registration =
  | { op: "name"; kind: FunctionKind; name: string }
  /** A registration whose name cannot be known statically: its kind's names are not checked (no false alarms). */
  | { op: "open"; kind: FunctionKind }
  | { op: "handler"; kind: FunctionKind; name: string; fn: ts.FunctionLikeDeclaration }
  /**
   * An orchestrator function, its name and SDK: `replace` for a registration (the function is registered as an
   * orchestrator), else (found by its type) only if it is not known yet.
   */
  | { op: "orchestrator"; fn: ts.FunctionLikeDeclaration; name: string; replace: boolean; sdk: Sdk };

/** What the catalog knows of an orchestrator function. */
export interface OrchestratorInfo {
  name: string;
  sdk: Sdk;
  /** Registered as an orchestrator (not only found by its type): the SDK runs it as it is. */
  registered: boolean;
}

export interface FileRegistrations {
  registrations: Registration[];
}
