/**
 * When to retry a failed activity or sub-orchestration, by the rules of DurableTask.Core's RetryInterceptor:
 * after failure n (1-based) wait firstRetryInterval × backoffCoefficient^(n-1), at most maxRetryInterval; stop once
 * the retry timeout (measured from the first attempt) has passed. The attempt count itself is enforced by the
 * package: after the timer it gives up when maxNumberOfAttempts attempts have failed.
 */
import type { RetryOptionsDto } from "../app-host/protocol";

export type RetryDecision = { retry: true; fireAt: number } | { retry: false; reason: string };

export function nextRetry(options: RetryOptionsDto, failures: number, firstAttemptAt: number, now: number): RetryDecision {
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && timeout < Number.MAX_SAFE_INTEGER && now >= firstAttemptAt + timeout) {
    return { retry: false, reason: `the retry timeout of ${timeout} ms has passed` };
  }
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failures - 1);
  const max = options.maxRetryIntervalInMilliseconds;
  if (max !== undefined && max > 0 && delay > max) delay = max;
  if (!Number.isFinite(delay) || delay < 0) delay = 0;
  return { retry: true, fireAt: now + Math.round(delay) };
}
