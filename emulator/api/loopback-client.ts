/** The client of an emulator at an origin (http://127.0.0.1:<port>): the API bases under it. Node-side (the page uses relative bases). */
import { EmulatorApiClient } from "./emulator-client";
import { DASHBOARD_API, MANAGEMENT_API } from "./http-contract";

export function emulatorClientAt(origin: string): EmulatorApiClient {
  return new EmulatorApiClient(`${origin}${DASHBOARD_API}`, `${origin}${MANAGEMENT_API}`);
}
