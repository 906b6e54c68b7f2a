/**
 * The emulator with its HTTP front door (`durable-devkit start`): the port is bound first, so the app's
 * durable client and the URLs it hands out name the real address, then the app starts and the routes attach.
 */
import { HttpHost } from "./http/http-host";
import * as fs from "node:fs";
import { readAppSettings } from "./app/app-loader";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator";

export interface ServerOptions extends EmulatorOptions {
  /** Default: local.settings.json Host.LocalHttpPort, else 7071, as `func start`. 0 picks a free port. */
  port?: number;
  onLog?: (line: string) => void;
}

export interface EmulatorServer {
  emulator: Emulator;
  http: HttpHost;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<EmulatorServer> {
  const settings = fs.existsSync(options.appDir) ? readAppSettings(options.appDir) : undefined;
  const cors = settings?.localSettings.Host?.CORS;
  const http = await HttpHost.listen({
    port: options.port ?? settings?.localSettings.Host?.LocalHttpPort ?? 7071,
    routePrefix: settings?.hostJson.extensions?.http?.routePrefix,
    allowedOrigins: cors ? cors.split(",").map((origin) => origin.trim()) : [],
    taskHubName: settings?.hostJson.extensions?.durableTask?.hubName,
    onLog: options.onLog,
  });
  let emulator: Emulator;
  try {
    emulator = await startEmulator({
      ...options,
      appEnv: {
        // The durable client rewrites its URLs to localhost:7071 unless it knows the host's real address.
        WEBSITE_HOSTNAME: `127.0.0.1:${http.port}`,
        NO_PROXY: [process.env.NO_PROXY, "127.0.0.1", "localhost"].filter(Boolean).join(","),
        ...options.appEnv,
      },
    });
  } catch (error) {
    await http.close();
    throw error;
  }
  http.attach(emulator);
  return {
    emulator,
    http,
    async close() {
      await http.close();
      await emulator.close();
    },
  };
}
