/**
 * The hook between the analysis and the language server's incremental analysis (incremental.ts). The analysis runs
 * without it (`lint`); with it, every walk of a function and every catalog scan of a file goes through the hook, which
 * may replay what an earlier program's analysis recorded instead, and the analysis tells it what it reads beyond the
 * function it walks (or the file it scans), so that a replay happens only while all of that is unchanged.
 *
 * The contract, for whoever changes the analysis: a walk of function F reads F's text (and that of the functions it
 * is nested in), what the checker sees from F's file (its imports, transitively, with the bodies of functions whose
 * type does not come from their body left out), and nothing else unless it is reported here: another function's body
 * (`body`), whether a function returns a durable task (`returnsTask`), the catalog (`catalog`), the name a file gives
 * durable-functions' app or its durabletask-js worker (`durableApp`). It writes nothing but its findings and the walks it starts (through walk()).
 * A cache in the analysis that keeps a value across walks must report, on a hit, what computing the value reported.
 */
import ts = require("typescript");
import type { FileRegistrations, Finding, FunctionKind, Reach } from "./model";
import type { Sdk } from "./sdk";

/** What a walk read of the catalog, with the answer it got. */
export type CatalogRead =
  | { kind: FunctionKind; read: "open"; value: boolean }
  | { kind: FunctionKind; read: "has"; name: string; value: boolean }
  | { kind: FunctionKind; read: "size"; value: number }
  | { kind: FunctionKind; read: "names"; value: string }
  | { kind: FunctionKind; read: "handler"; name: string; value: ts.FunctionLikeDeclaration | undefined }
  | { kind: FunctionKind; read: "operations"; name: string; value: string | undefined };

export interface ReadListener {
  /** Another function's body (its statements, its return expressions) was read. */
  body(fn: ts.FunctionLikeDeclaration): void;
  /** Whether `fn` returns a durable task was asked (its answer depends on its body, and on the functions it calls). */
  returnsTask(fn: ts.FunctionLikeDeclaration, value: boolean): void;
  catalog(read: CatalogRead): void;
  /** The name `file` gives durable-functions' app, or its durabletask-js worker (the move-to-activity fix registers with it). */
  durableApp(file: ts.SourceFile, value: string | undefined, sdk: Sdk): void;
  /** Something was read that the hook cannot check again (the whole workspace's calls): not to be replayed. */
  uncheckable(): void;
}

/** The analysis's answers in the current program, for the hook to check recorded reads against. */
export interface Rereader {
  returnsTask(fn: ts.FunctionLikeDeclaration): boolean;
  /** The current catalog's answer to the question a recorded read asked. */
  catalog(question: CatalogRead): CatalogRead;
  durableApp(file: ts.SourceFile, sdk: Sdk): string | undefined;
}

/** The incremental analysis's side of the hook (see incremental.ts). */
export interface AnalysisHook extends ReadListener {
  /** An analysis of `program` starts (the Analyzer's constructor calls this). */
  begin(program: ts.Program, settingsKey: string, rereader: Rereader): void;
  /**
   * A walk of `fn` is asked for, before the analysis looks whether it walked it already: the walk being recorded
   * notes it, so that a replay asks again (and the analysis looks again).
   */
  walkAsked(fn: ts.FunctionLikeDeclaration, reach: Reach): void;
  /** Walks `fn`: replays what an earlier analysis recorded (starting its nested walks with `walk`), or runs `run` and records it. */
  walk(fn: ts.FunctionLikeDeclaration, reach: Reach, findings: Finding[], run: () => void, walk: (fn: ts.FunctionLikeDeclaration, reach: Reach) => void): void;
  /** A file's registrations: kept from an earlier analysis, or `run` and recorded. */
  scan(file: ts.SourceFile, run: () => FileRegistrations): FileRegistrations;
}
