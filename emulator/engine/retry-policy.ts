/**
 * When to retry a failed activity or sub-orchestration, by the rules of DurableTask.Core's RetryInterceptor:
 * after failure n (1-based) wait firstRetryInterval × backoffCoefficient^(n-1), at most maxRetryInterval (6 days
 * unless set, as the Durable extension's RetryOptions); stop once the retry timeout (measured from the first attempt)
 * has passed. After the last allowed attempt the interceptor still schedules a "dummy" timer due at once, and the
 * package waits for it before it reports the failure.
 */
import type { RetryOptionsDto } from "../core/tasks";

const DEFAULT_MAX_RETRY_INTERVAL_MS = 6 * 24 * 3600 * 1000;

export type RetryDecision = { retry: true; fireAt: number } | { retry: false; reason: string };

export function nextRetry(options: RetryOptionsDto, failures: number, firstAttemptAt: number, now: number): RetryDecision {
  const timeout = options.retryTimeoutInMilliseconds;
  if (timeout !== undefined && timeout > 0 && timeout < Number.MAX_SAFE_INTEGER && now >= firstAttemptAt + timeout) {
    return { retry: false, reason: `the retry timeout of ${timeout} ms has passed` };
  }
  if (failures >= options.maxNumberOfAttempts) return { retry: true, fireAt: now };
  const coefficient = options.backoffCoefficient ?? 1;
  let delay = options.firstRetryIntervalInMilliseconds * Math.pow(coefficient, failures - 1);
  const max = options.maxRetryIntervalInMilliseconds ?? DEFAULT_MAX_RETRY_INTERVAL_MS;
  if (max > 0 && delay > max) delay = max;
  if (!Number.isFinite(delay) || delay < 0) delay = 0;
  return { retry: true, fireAt: now + Math.round(delay) };
}
