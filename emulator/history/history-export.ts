/** The file `durable-devkit export` writes and `replay` and the debugger read. */
import type { HistoryEvent } from "./history-event";

export const HISTORY_EXPORT_FORMAT = "durable-devkit.history/v1";

export interface HistoryExport {
  format: typeof HISTORY_EXPORT_FORMAT;
  instanceId: string;
  /** The orchestrator function's name. */
  name: string;
  input: unknown;
  runtimeStatus: string;
  output: unknown;
  /** Events in the shape the Durable Task extension gives the durable-functions package. */
  history: HistoryEvent[];
}
