/**
 * The emulator with its HTTP front door (`durable-devkit start`): the port is bound first, so the app's
 * durable client and the URLs it hands out name the real address, then the app starts and the routes attach.
 */
import { HttpHost } from "./http/http-host";
import * as fs from "node:fs";
import * as path from "node:path";
import { loadApp, readAppSettings } from "./app/app-loader";
import { watchApp } from "./app/app-watcher";
import { sourceProblems } from "./app/reload-report";
import { startEmulator, type Emulator, type EmulatorOptions } from "./emulator";
import { startDurableTaskEmulator, type DurableTaskEmulator, type DurableTaskEmulatorOptions } from "./grpc/durable-task-emulator";

export interface ServerOptions extends EmulatorOptions {
  /** Reload the app when its sources change, keeping every instance. */
  watch?: boolean;
  /** Default: local.settings.json Host.LocalHttpPort, else 7071, as `func start`. 0 picks a free port. */
  port?: number;
  /** What a browser proves to reach the emulator through a forwarded port; default: a fresh random key. */
  forwardingKey?: string;
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
    forwardingKey: options.forwardingKey,
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
  const watcher = options.watch
    ? watchApp(emulator.app.appDir, (files) => void reload(emulator, http, files, options.onLog), { outDir: emulator.app.outDir })
    : undefined;
  return {
    emulator,
    http,
    async close() {
      watcher?.close();
      await http.close();
      await emulator.close();
    },
  };
}

export interface DurableTaskServerOptions extends DurableTaskEmulatorOptions {
  /** The dashboard's and the Durable HTTP API's port: default 8082, as the Durable Task Scheduler emulator's dashboard. */
  httpPort?: number;
  forwardingKey?: string;
  onLog?: (line: string) => void;
}

export interface DurableTaskServer {
  emulator: DurableTaskEmulator;
  http: HttpHost;
  close(): Promise<void>;
}

/** The default HTTP port beside the gRPC endpoint: the DTS emulator serves its dashboard on 8082. */
export const DURABLE_TASK_DASHBOARD_PORT = 8082;

/**
 * A Durable Task SDK app's emulator with the same HTTP front door as a Functions app's: the dashboard and the Durable
 * HTTP management API (what the extension and the CLI's remote commands use) on the engine the gRPC endpoint serves.
 * There is no Functions app, so no HTTP functions: the function list is what the connected workers named.
 */
export async function startDurableTaskServer(options: DurableTaskServerOptions): Promise<DurableTaskServer> {
  const http = await HttpHost.listen({
    port: options.httpPort ?? DURABLE_TASK_DASHBOARD_PORT,
    allowedOrigins: [],
    taskHubName: "default",
    forwardingKey: options.forwardingKey,
    onLog: options.onLog,
  });
  let emulator: DurableTaskEmulator;
  try {
    emulator = await startDurableTaskEmulator(options);
  } catch (error) {
    await http.close();
    throw error;
  }
  const engine = emulator.engine;
  http.attach({
    engine,
    host: {
      get functions() {
        return engine.functions;
      },
      invokeHttp: () => Promise.reject(new Error("A Durable Task SDK app has no HTTP functions.")),
    },
    app: { appDir: path.resolve(options.dir) },
    store: emulator.store,
  });
  return {
    emulator,
    http,
    async close() {
      await http.close();
      await emulator.close();
    },
  };
}

/**
 * Rebuilds the app and restarts its host on the new code; in-flight work runs again there, and every idle instance
 * is replayed against the new code, failing the ones whose history it no longer matches.
 */
async function reload(emulator: Emulator, http: HttpHost, files: string[], log: ((line: string) => void) | undefined): Promise<void> {
  const say = log ?? (() => undefined);
  say(`Change detected (${files.slice(0, 3).join(", ")}${files.length > 3 ? ", …" : ""}): reloading the app.`);
  const appDir = emulator.app.appDir;
  const failed = (error: unknown, previousCodeRuns: boolean) => {
    const message = error instanceof Error ? error.message : String(error);
    say(
      previousCodeRuns
        ? `Reload failed; the previous code keeps running. ${message}`
        : `Reload failed: the new code did not load, and its functions wait until a change loads. ${message}`,
    );
    const stack = error instanceof Error && error.stack ? error.stack : message;
    http.reportReload({ state: "failed", at: new Date().toISOString(), message, previousCodeRuns, problems: sourceProblems(stack, appDir) });
  };
  let app;
  try {
    app = await loadApp(appDir);
  } catch (error) {
    failed(error, true);
    return;
  }
  let functions;
  try {
    emulator.app.entryFiles = app.entryFiles;
    functions = await emulator.host.reload(app.entryFiles);
    http.attach(emulator);
    http.reportReload({ state: "loaded", at: new Date().toISOString() });
  } catch (error) {
    failed(error, false);
    return;
  }
  try {
    const { replayed, failed: mismatched } = await emulator.engine.revalidate();
    say(
      `Reloaded: ${functions.length} functions${app.built ? ` (TypeScript built in ${app.built.durationMs} ms)` : ""}; ` +
        `${replayed} unfinished instance${replayed === 1 ? "" : "s"} replayed with the new code` +
        (mismatched.length
          ? `, ${mismatched.length} no longer match${mismatched.length === 1 ? "es" : ""} ${mismatched.length === 1 ? "its" : "their"} history:`
          : "."),
    );
    for (const failure of mismatched) say(`  ${failure.instanceId}: ${failure.message}`);
  } catch (error) {
    say(`Reloaded, but replaying the unfinished instances with the new code failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
