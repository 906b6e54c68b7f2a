/**
 * "Help me choose": the questions that lead to one of the six patterns, asked in order; the first yes decides.
 * The extension's command palette walks them; they are data so the CLI or docs can use them too.
 */
export interface PatternQuestion {
  question: string;
  /** Why the answer matters, in one line. */
  detail: string;
  /** The pattern a yes leads to. */
  yes: string;
}

export const PATTERN_QUESTIONS: readonly PatternQuestion[] = [
  {
    question: "Is it a long job started by an HTTP request, whose caller should poll for the result?",
    detail: "Requests should not wait minutes: answer 202 with status URLs.",
    yes: "async-http-api",
  },
  { question: "Must it wait for a person's decision, with a deadline?", detail: "An approval that times out with a durable timer.", yes: "human-interaction" },
  {
    question: "Must it wait for several outside events, in any order?",
    detail: "Callbacks from other systems, each an external event.",
    yes: "external-events",
  },
  {
    question: "Does it keep state that many callers update over time (a counter, a running total)?",
    detail: "A durable entity processes the updates one at a time.",
    yes: "aggregator",
  },
  {
    question: "Does the same work run on many items at once, then combine?",
    detail: "Fan out activities in parallel and fan in with Task.all.",
    yes: "fan-out-fan-in",
  },
];

/** When every answer is no: steps in order. */
export const DEFAULT_PATTERN = "function-chaining";
