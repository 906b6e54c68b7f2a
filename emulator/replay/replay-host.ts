/**
 * The app, loaded in its host process, with nothing else: no store, no engine. Replaying a saved history needs only
 * the orchestrator code, so `replay` and the debugger's replay sessions start faster and touch no state.
 */
import { loadApp, type LoadedApp } from "../app/app-loader";
import { AppHostClient } from "../app-host/app-host-client";
import { appEnvironment } from "../emulator";

export interface ReplayHost {
  app: LoadedApp;
  host: AppHostClient;
  close(): Promise<void>;
}

export interface ReplayHostOptions {
  appOutput?: NodeJS.WritableStream;
  onLog?: (entry: { level: string; functionName?: string; message: string }) => void;
  /** The Node.js executable that runs the app (default: the one running this process). */
  nodePath?: string;
}

export async function openReplayHost(appDir: string, options: ReplayHostOptions = {}): Promise<ReplayHost> {
  const app = await loadApp(appDir);
  const host = new AppHostClient({
    appDir: app.appDir,
    entryFiles: app.entryFiles,
    output: options.appOutput,
    env: appEnvironment(app),
    onLog: options.onLog,
    nodePath: options.nodePath,
  });
  await host.start();
  return { app, host, close: () => host.stop() };
}
