// Fan-out/fan-in with retries: charge every order in parallel; the payment gateway fails now and then, so each
// charge is retried with exponential backoff.
import * as df from "durable-functions";
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from "durable-functions";

interface Order {
  id: string;
  amount: number;
}

const attemptsByOrder = new Map<string, number>();

// Every third order's first charge attempt fails, as a flaky gateway would.
const chargeOrder: ActivityHandler = (order: Order): { id: string; charged: number; attempts: number } => {
  const attempts = (attemptsByOrder.get(order.id) ?? 0) + 1;
  attemptsByOrder.set(order.id, attempts);
  if (Number(order.id.slice(1)) % 3 === 0 && attempts === 1) {
    throw new Error(`gateway timeout charging ${order.id}`);
  }
  return { id: order.id, charged: order.amount, attempts };
};
df.app.activity("chargeOrder", { handler: chargeOrder });

const processOrders: OrchestrationHandler = function* (context: OrchestrationContext) {
  const orders = context.df.getInput() as Order[];
  const retry = new df.RetryOptions(1000, 3);
  retry.backoffCoefficient = 2;
  const charges = orders.map((order) => context.df.callActivityWithRetry("chargeOrder", retry, order));
  const results: { charged: number; attempts: number }[] = yield context.df.Task.all(charges);
  return {
    orders: results.length,
    total: results.reduce((sum, r) => sum + r.charged, 0),
    retried: results.filter((r) => r.attempts > 1).length,
  };
};
df.app.orchestration("processOrders", processOrders);
