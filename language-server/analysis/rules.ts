/** The determinism rules: stable codes, default severities, and what to do instead (docs/rules.md explains each). */
export type Severity = "error" | "warning" | "information";

export interface Rule {
  code: string;
  severity: Severity;
  title: string;
}

export const RULES: Record<string, Rule> = {
  DD000: { code: "DD000", severity: "warning", title: "The checker failed on this orchestrator (a bug in the checker: please report it)" },
  DD001: { code: "DD001", severity: "error", title: "Reads the current time: use context.df.currentUtcDateTime" },
  DD002: { code: "DD002", severity: "error", title: "Random numbers or new ids: use context.df.newGuid() or an activity" },
  DD003: { code: "DD003", severity: "error", title: "Real timers and sleeps: use context.df.createTimer" },
  DD004: { code: "DD004", severity: "error", title: "I/O (files, network, processes, databases): move it into an activity" },
  DD005: { code: "DD005", severity: "warning", title: "Reads the environment: pass the value in as input" },
  DD006: { code: "DD006", severity: "error", title: "async/await in an orchestrator: use a generator and yield" },
  DD007: { code: "DD007", severity: "error", title: "Promise combinators over durable tasks: use context.df.Task.all/any" },
  DD008: { code: "DD008", severity: "error", title: "A durable task that is never yielded" },
  DD009: { code: "DD009", severity: "error", title: "Calls a function the app does not register" },
  DD010: { code: "DD010", severity: "error", title: "Yields something that is not a durable task" },
  DD011: { code: "DD011", severity: "information", title: "Logging repeats on every replay: use context.log or an isReplaying guard" },
  DD012: { code: "DD012", severity: "warning", title: "Writes module-level state: it does not survive replays or other instances" },
  DD013: { code: "DD013", severity: "error", title: "Threads, workers or cluster: move the work into activities" },
  DD014: { code: "DD014", severity: "error", title: "An activity's input or result has another type than its handler's" },
  DD015: { code: "DD015", severity: "error", title: "Calls an entity or an entity operation the app does not define" },
  DD016: { code: "DD016", severity: "error", title: "A durable client or other binding used in an orchestrator" },
  DD017: { code: "DD017", severity: "warning", title: "An endless loop without continueAsNew: the history grows forever" },
  DD018: { code: "DD018", severity: "error", title: "A durabletask-js orchestrator that is not an async generator (async function*)" },
};

export const DOCS_URL = "https://github.com/durable-devkit/durable-devkit/blob/main/docs/rules.md";
