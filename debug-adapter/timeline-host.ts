/**
 * What replays an instance's history for the debugger's timeline: the Functions app host (durable-functions apps), or
 * a Durable Task SDK app's own worker (sdk-timeline-host.ts). The stepping runtime only sees this, so a timeline is
 * built, stepped and judged the same way whichever code replayed it.
 */
import type { AppHostClient } from "../emulator/app-host/app-host-client";
import type { ReplayTrace } from "../emulator/app-host/protocol";
import type { RegisteredFunction } from "../emulator/core/functions";
import { judgeReplay, type Divergence } from "../emulator/replay/replay-check";
import type { InstanceFacts } from "./timeline";

export interface TimelineHost {
  /** The app folder (relative source lines are relative to it). */
  readonly appDir: string;
  /** What the app registers, for function breakpoints and the activity a step-in shows. */
  readonly functions: readonly RegisteredFunction[];
  /** Replays the (non-empty) history against the current code event by event, and says where it no longer matches. */
  traceInstance(facts: InstanceFacts): Promise<{ trace: ReplayTrace; divergence?: Divergence }>;
}

/** The Functions app host's traced replay (emulator/app-host/replay-tracer.ts), judged as `replay` judges it. */
export function functionsTimelineHost(host: AppHostClient): TimelineHost {
  return {
    get appDir() {
      return host.appDir;
    },
    get functions() {
      return host.functions;
    },
    async traceInstance(facts) {
      const trace = await host.trace({
        functionName: facts.name,
        instanceId: facts.instanceId,
        history: facts.history,
        input: facts.input,
        parentInstanceId: facts.parentInstanceId,
        detailed: true,
      });
      return { trace, divergence: judgeReplay(facts.history, trace, host.appDir) };
    },
  };
}
