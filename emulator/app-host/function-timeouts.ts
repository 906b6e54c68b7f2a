/**
 * How long a function may run. Activities, entity batches and HTTP functions get host.json's `functionTimeout`, as
 * on Azure (default 5 minutes, the Consumption plan's; "-1" is unbounded). Orchestrator code runs synchronously
 * between yields, and a replay takes milliseconds, so an episode that runs for seconds can only be code that never
 * yields (a loop, a blocking call): the app host's watchdog thread reports it after a short bound.
 * When a function overruns, the app process is restarted, as the Functions host restarts its worker.
 */
import { FunctionTimedOutError } from "../core/worker-errors";
import { AppLoadError } from "../app/app-loader";

export const DEFAULT_FUNCTION_TIMEOUT_MS = 5 * 60_000;
export const DEFAULT_EPISODE_LIMIT_MS = 10_000;

/**
 * host.json `functionTimeout`: a TimeSpan ("00:05:00", "1.00:00:00"), or "-1" / null for no limit. Returns
 * milliseconds, or undefined for no limit.
 */
export function parseFunctionTimeout(value: unknown, file = "host.json"): number | undefined {
  if (value === undefined) return DEFAULT_FUNCTION_TIMEOUT_MS;
  if (value === null || value === -1 || value === "-1") return undefined;
  const match = typeof value === "string" ? /^(?:(\d+)\.)?(\d{1,2}):(\d{1,2}):(\d{1,2}(?:\.\d+)?)$/.exec(value.trim()) : null;
  if (!match) {
    throw new AppLoadError(`${file}: "functionTimeout" is ${JSON.stringify(value)}; write a time span such as "00:05:00" (hh:mm:ss), or "-1" for no limit.`);
  }
  const [, days, hours, minutes, seconds] = match;
  return ((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60_000 + Math.round(Number(seconds) * 1000);
}

/** hh:mm:ss, as the Functions host writes a TimeSpan in its timeout message. */
export function formatTimeSpan(ms: number): string {
  const total = Math.round(ms / 1000);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(total / 3600))}:${pad(Math.floor(total / 60) % 60)}:${pad(total % 60)}`;
}

export type TimedFunctionKind = "activity" | "entity" | "http" | "orchestration";

export class FunctionTimeoutError extends FunctionTimedOutError {
  constructor(
    readonly kind: TimedFunctionKind,
    readonly functionName: string,
    readonly limitMs: number,
  ) {
    super(
      kind === "orchestration"
        ? `Orchestrator function '${functionName}' ran for more than ${limitMs / 1000} s without yielding, so the app process was restarted. ` +
            "Orchestrator code must only compute and yield durable tasks: look for a loop that never ends or a blocking call (busy wait, synchronous I/O) in it."
        : // The Functions host's own wording (FunctionTimeoutException), so scripts that look for it find it.
          `Timeout value of ${formatTimeSpan(limitMs)} was exceeded by function: Functions.${functionName}. ` +
            `The app process was restarted; raise "functionTimeout" in host.json if the function needs longer.`,
    );
    this.name = "FunctionTimeoutError";
  }
}
