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

export async function openReplayHost(appDir: string, options: { appOutput?: NodeJS.WritableStream; onLog?: (entry: { level: string; functionName?: string; message: string }) => void } = {}): Promise<ReplayHost> {
  const app = await loadApp(appDir);
  const host = new AppHostClient({
    appDir: app.appDir,
    entryFiles: app.entryFiles,
    output: options.appOutput,
    env: appEnvironment(app),
    onLog: options.onLog,
  });
  await host.start();
  return { app, host, close: () => host.stop() };
}
