/** The running emulator's HTTP API as the extension uses it: the emulator's own client (emulator/api), and the key a browser needs. */
import { EmulatorApiClient } from "../emulator/api/emulator-client";
import { DASHBOARD_API, MANAGEMENT_API } from "../emulator/api/http-contract";

export type { EmulatorInfo, FunctionInfo, InstanceAction, InstanceSummary, InstanceWaits, InstanceWaitsAnswer } from "../emulator/api/http-contract";

export class EmulatorClient extends EmulatorApiClient {
  constructor(
    readonly origin: string,
    /** What a browser proves to reach the dashboard through a forwarded port; this client, on loopback, needs none. */
    readonly forwardingKey: string,
  ) {
    super(`${origin}${DASHBOARD_API}`, `${origin}${MANAGEMENT_API}`);
  }
}
