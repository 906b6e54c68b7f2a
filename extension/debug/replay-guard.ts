/**
 * JavaScript breakpoints that skip replayed orchestrator code. durable-functions re-runs an orchestrator from its
 * start in every episode, so a plain breakpoint would stop again and again on lines that already ran. The app host
 * exposes `globalThis.__durableDevkit.replaying` (true while the orchestrator code running is a replay: the package's
 * own `context.df.isReplaying`, or the debugger's traced re-run), and the breakpoints js-debug receives get it as a
 * condition: it pauses only where code runs for the first time. Activities, entities and HTTP functions never replay,
 * so their breakpoints stop as before. No vscode import: unit tested on its own.
 */
import type { DebugProtocol } from "@vscode/debugprotocol";

/** The condition: true outside the app host too (the global is not there), so a breakpoint elsewhere is untouched. */
export const NOT_REPLAYING = "!globalThis.__durableDevkit?.replaying";

/**
 * The breakpoint js-debug gets instead of `breakpoint`. A user's own condition is kept, ANDed after the replay check
 * (on its own line, so a trailing `//` comment in it cannot swallow the parenthesis). Logpoints and hit counts without a
 * condition are passed on as they are: js-debug ignores both once a breakpoint has a condition, so they keep counting
 * and logging in every episode.
 */
export function guardBreakpoint(breakpoint: DebugProtocol.SourceBreakpoint): DebugProtocol.SourceBreakpoint {
  // A trailing semicolon is harmless in the condition on its own (js-debug returns it), not inside parentheses.
  const condition = breakpoint.condition?.trim().replace(/;+$/, "").trim();
  if (!condition && (breakpoint.logMessage || breakpoint.hitCondition)) return breakpoint;
  if (condition?.startsWith(NOT_REPLAYING)) return breakpoint; // already guarded (a request seen twice)
  return { ...breakpoint, condition: condition ? `${NOT_REPLAYING} && (${condition}\n)` : NOT_REPLAYING };
}

/** Rewrites a DAP message on its way to js-debug in place when it is a setBreakpoints request; says whether it was. */
export function guardSetBreakpoints(message: unknown): boolean {
  const request = message as Partial<DebugProtocol.SetBreakpointsRequest> | undefined;
  if (request?.type !== "request" || request.command !== "setBreakpoints" || !Array.isArray(request.arguments?.breakpoints)) return false;
  request.arguments.breakpoints = request.arguments.breakpoints.map(guardBreakpoint);
  return true;
}
