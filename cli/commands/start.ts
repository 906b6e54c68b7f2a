import * as fs from "node:fs";
import * as grpc from "@grpc/grpc-js";
import * as path from "node:path";
import { FORWARDING_KEY_ENV, forwardingKeyProblem, startServer } from "../../emulator";
import { GrpcWorkerPool } from "../../emulator/grpc/grpc-worker-pool";
import { DEFAULT_GRPC_PORT, listenSidecar, type SidecarServer } from "../../emulator/grpc/sidecar-server";
import { DEFAULT_TASK_HUB, SDK_WORK_LIMITS, TaskHubs, sdkHubOpener } from "../../emulator/grpc/task-hubs";
import { startDurableTaskServer } from "../../emulator/server";
import { durableTaskSdkOf } from "../../emulator/grpc/sdk-app";
import { APP_OPTIONS, APP_OPTIONS_HELP, parse, writeLines, type Command } from "../command";
import { EXIT, UsageError } from "../cli-error";

export const startCommand: Command = {
  name: "start",
  summary: "serve the app's HTTP functions, the Durable HTTP API and a dashboard, like `func start`",
  help: `Usage: durable-devkit start [--port 7071] [--grpc [8080]] [options]

Starts the emulator as a local Functions host for durable apps: the app's HTTP-triggered functions at
http://127.0.0.1:PORT/api/<route> (the durableClient binding works unmodified), and the Durable HTTP management API at
http://127.0.0.1:PORT/runtime/webhooks/durabletask/. Unfinished instances in the store carry on. It listens on
127.0.0.1 only and refuses state changes from other sites, but, as with \`func start\`, a page open in your browser
can still trigger the app's GET functions. Through a forwarded port (another Host), it answers only a browser that
opened the address it prints with ?key= (new each run; ${FORWARDING_KEY_ENV} sets it). Stop it with Ctrl+C; the
store keeps everything.

With --grpc it also serves the Durable Task gRPC protocol (TaskHubSidecarService) on 127.0.0.1:PORT for apps on
the Durable Task SDKs (durabletask-js, -python, -dotnet, -java), as the Durable Task Scheduler emulator does, without
Docker: connect with Endpoint=http://localhost:8080;Authentication=None;TaskHub=default (or host address
localhost:8080). In a folder without host.json no Functions app is loaded: the gRPC endpoint runs with the dashboard
and the Durable HTTP API on --port (default 8082, as the DTS emulator's dashboard). There --grpc is on by default
when the folder's build names a Durable Task SDK (package.json, requirements.txt/pyproject.toml, a .csproj,
pom.xml/build.gradle).

Options:
  --port, -p PORT      the HTTP port (default: local.settings.json Host.LocalHttpPort, else 7071; 8082 for a
                       Durable Task SDK app; 0 picks a free one)
  --grpc [PORT]        serve the Durable Task gRPC protocol too (default port 8080; on by default for an SDK app)
  --watch, -w          reload the app when its sources change: instances carry on with the new code, and any
                       whose history the new code no longer matches fails with a nondeterminism report
${APP_OPTIONS_HELP.split("\n")
  .filter((line) => !line.includes("--json"))
  .join("\n")}`,
  async run(args, io) {
    // grpc-js logs its own line when a bind fails ("No address added..."); the emulator's message says it better.
    grpc.setLogVerbosity(grpc.logVerbosity.NONE);
    const { values, help } = parse(
      "start",
      withGrpcPort(args),
      { ...APP_OPTIONS, port: { type: "string", short: "p" }, watch: { type: "boolean", short: "w" }, grpc: { type: "string" } },
      { min: 0, max: 0 },
    );
    if (help) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const grpcPort = values.grpc === undefined ? undefined : Number(values.grpc);
    if (grpcPort !== undefined && (!Number.isInteger(grpcPort) || grpcPort < 0 || grpcPort > 65535))
      throw new UsageError(`--grpc takes a port number (0-65535), not "${values.grpc}".`);
    const appDir = path.resolve(values.app ?? ".");
    const port = values.port === undefined ? undefined : Number(values.port);
    if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535))
      throw new UsageError(`--port must be a port number (0-65535), not "${values.port}".`);
    const forwardingKey = process.env[FORWARDING_KEY_ENV] || undefined;
    const keyProblem = forwardingKey === undefined ? undefined : forwardingKeyProblem(forwardingKey);
    if (keyProblem) throw new UsageError(`${FORWARDING_KEY_ENV} ${keyProblem}. Unset it and the emulator makes a random key for the run.`);
    // The app's process inherits this one's environment; the key is the browser's, not the app's.
    delete process.env[FORWARDING_KEY_ENV];
    if (!fs.existsSync(path.join(appDir, "host.json"))) {
      // Not a Functions app: an app on a Durable Task SDK needs only the gRPC endpoint, so it is on without --grpc.
      const sdk = durableTaskSdkOf(appDir);
      if (grpcPort !== undefined || sdk !== undefined)
        return serveDurableTaskOnly(
          {
            dir: appDir,
            store: values.store,
            timeSkipping: values["time-skip"] === true,
            port: grpcPort ?? DEFAULT_GRPC_PORT,
            httpPort: port,
            forwardingKey,
            sdk,
          },
          io,
        );
    }
    const pool = grpcPort === undefined ? undefined : new GrpcWorkerPool((message) => io.stderr.write(`warning: ${message}\n`));
    const server = await startServer({
      appDir,
      extraWorkers: pool ? [pool] : undefined,
      store: values.store,
      timeSkipping: values["time-skip"] === true,
      port,
      forwardingKey,
      watch: values.watch === true,
      appOutput: io.stdout,
      onLog: (line) => io.stdout.write(`${line}\n`),
      onEvent: (event) => {
        if (event.kind === "warning") io.stderr.write(`warning: ${event.message}\n`);
        if (event.kind === "log") io.stdout.write(`[${event.functionName ?? "app"}] ${event.message}\n`);
      },
    });
    let sidecar: SidecarServer | undefined;
    try {
      if (pool) {
        const warn = (message: string) => io.stderr.write(`warning: ${message}\n`);
        // Other hubs run on SDK workers alone, with the workers' own limits, as in a folder without a Functions app.
        const opener = sdkHubOpener(appDir, values.store, { timeSkipping: values["time-skip"] === true, ...SDK_WORK_LIMITS }, warn);
        sidecar = await listenSidecar(new TaskHubs({ name: DEFAULT_TASK_HUB, engine: server.emulator.engine, pool }, opener), grpcPort);
      }
    } catch (error) {
      await server.close();
      throw error;
    }
    const functions = server.emulator.host.functions;
    const urls = server.http.functionUrls();
    writeLines(io.stdout, [
      `Durable Devkit emulator for ${server.emulator.app.appDir}`,
      `  store: ${server.emulator.store.description}${values["time-skip"] ? " · time skipping on" : ""}${values.watch ? " · watching for changes" : ""}`,
      "",
      "Functions:",
      "",
      ...urls.map((f) => `        ${f.name}: [${f.methods.join(",")}] ${f.url}`),
      ...(urls.length ? [""] : []),
      ...functions.filter((fn) => fn.kind !== "http").map((fn) => `        ${fn.name}: ${fn.triggerType}`),
      "",
      `Durable HTTP API: ${server.http.origin}/runtime/webhooks/durabletask/instances`,
      `Dashboard:        ${server.http.origin}/_durable/`,
      ...(sidecar ? [`Durable Task gRPC: ${grpcAddressLines(sidecar.port)}`] : []),
      `  through a forwarded port (code-server, Codespaces, a tunnel, SSH): <port ${server.http.port}'s forwarded address>${server.http.forwarded.keyedPath("/_durable")}`,
      "Press Ctrl+C to stop.",
    ]);
    await waitForStop();
    io.stdout.write("\nStopping. Unfinished instances stay in the store and carry on at the next start.\n");
    await sidecar?.close();
    await server.close();
    return EXIT.ok;
  },
};

/** `--grpc` may come without its port: the Durable Task Scheduler emulator's 8080 then. */
function withGrpcPort(args: string[]): string[] {
  return args.flatMap((arg, i) => {
    if (arg !== "--grpc") return [arg];
    const next = args[i + 1];
    if (next === undefined || next.startsWith("-")) return [`--grpc=${DEFAULT_GRPC_PORT}`];
    if (!/^\d+$/.test(next)) throw new UsageError(`--grpc takes a port number (0-65535), not "${next}".`);
    return [arg];
  });
}

function grpcAddressLines(port: number): string {
  return `127.0.0.1:${port} · connection string Endpoint=http://localhost:${port};Authentication=None;TaskHub=default`;
}

function waitForStop(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

/**
 * A folder without a Functions app: the Durable Task gRPC endpoint for the SDKs' workers and clients, and the same
 * dashboard and Durable HTTP API as for a Functions app (the extension reads the Dashboard line to connect).
 */
async function serveDurableTaskOnly(
  options: { dir: string; store?: string; timeSkipping: boolean; port: number; httpPort?: number; forwardingKey?: string; sdk?: string },
  io: Parameters<Command["run"]>[1],
) {
  const server = await startDurableTaskServer({
    dir: options.dir,
    store: options.store,
    port: options.port,
    timeSkipping: options.timeSkipping,
    httpPort: options.httpPort,
    forwardingKey: options.forwardingKey,
    onEvent: (event) => {
      if (event.kind === "warning") io.stderr.write(`warning: ${event.message}\n`);
    },
  });
  const { emulator, http } = server;
  writeLines(io.stdout, [
    `Durable Devkit emulator for Durable Task SDK apps in ${options.dir} (no host.json: no Functions app is loaded${options.sdk ? `; the app uses ${options.sdk}` : ""})`,
    `  store: ${emulator.store.description}${options.timeSkipping ? " · time skipping on" : ""}`,
    "",
    `Durable Task gRPC: ${grpcAddressLines(emulator.sidecar.port)}`,
    `  Point your worker and client at it (durabletask-js: new TaskHubGrpcWorker({ hostAddress: "localhost:${emulator.sidecar.port}" })).`,
    `Durable HTTP API: ${http.origin}/runtime/webhooks/durabletask/instances`,
    `Dashboard:        ${http.origin}/_durable/`,
    `  through a forwarded port (code-server, Codespaces, a tunnel, SSH): <port ${http.port}'s forwarded address>${http.forwarded.keyedPath("/_durable")}`,
    "Press Ctrl+C to stop.",
  ]);
  await waitForStop();
  io.stdout.write("\nStopping. Unfinished instances stay in the store and carry on at the next start.\n");
  await server.close();
  return EXIT.ok;
}
