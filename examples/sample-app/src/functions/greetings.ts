// Function chaining: three activities in order, each one's result collected into the output.
import * as df from "durable-functions";
import type { ActivityHandler, OrchestrationContext, OrchestrationHandler } from "durable-functions";

const sayHello: ActivityHandler = (city: string): string => `Hello, ${city}!`;
df.app.activity("sayHello", { handler: sayHello });

const greetCities: OrchestrationHandler = function* (context: OrchestrationContext) {
  const greetings: string[] = [];
  for (const city of ["Tokyo", "Seattle", "London"]) {
    greetings.push(yield context.df.callActivity("sayHello", city));
  }
  return greetings;
};
df.app.orchestration("greetCities", greetCities);
