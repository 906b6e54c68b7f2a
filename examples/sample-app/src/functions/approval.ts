// Human interaction: wait up to 72 hours for an "approval" event; a durable timer races the event and is
// cancelled when the event wins. Run it with --time-skip to see the timeout path in milliseconds.
import * as df from "durable-functions";
import type { OrchestrationContext, OrchestrationHandler } from "durable-functions";

const requestApproval: OrchestrationHandler = function* (context: OrchestrationContext) {
  const hours = (context.df.getInput() as { hours?: number } | undefined)?.hours ?? 72;
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + hours * 3600_000);
  context.df.setCustomStatus({ waitingUntil: deadline.toISOString() });
  const timeout = context.df.createTimer(deadline);
  const approval = context.df.waitForExternalEvent("approval");
  const winner = yield context.df.Task.any([approval, timeout]);
  if (winner === approval) {
    timeout.cancel();
    return { approved: true, by: approval.result };
  }
  return { approved: false, reason: `no answer within ${hours} hours` };
};
df.app.orchestration("requestApproval", requestApproval);
