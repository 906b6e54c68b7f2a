/**
 * The Durable Task gRPC endpoint (`durable-devkit start --grpc`): TaskHubSidecarService on 127.0.0.1, as the
 * Durable Task Scheduler emulator serves it on port 8080 (connection string
 * `Endpoint=http://localhost:8080;Authentication=None;TaskHub=default`). Plain HTTP/2 on loopback only: a web page
 * cannot speak gRPC to it (browsers do not send cleartext HTTP/2), and other machines cannot reach it.
 */
import * as grpc from "@grpc/grpc-js";
import { PortInUseError } from "../core/errors";
import type { Engine } from "../engine/engine";
import { GrpcWorkerPool } from "./grpc-worker-pool";
import { TaskHubSidecarServiceService } from "./protocol";
import { sidecarService } from "./sidecar-service";

/** The Durable Task Scheduler emulator's gRPC port. */
export const DEFAULT_GRPC_PORT = 8080;

/**
 * Large completions must fit: grpc-js refuses a message over 4 MiB by default, and a fan-out of 5,000 activities
 * with 1 KB inputs is one orchestrator response of about 5 MB.
 */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface SidecarServer {
  port: number;
  pool: GrpcWorkerPool;
  close(): Promise<void>;
}

/** The task hub the DTS emulator serves, and the one every connection string in its documentation names. */
const DEFAULT_TASK_HUB = "default";

/**
 * The SDKs name their task hub in the `taskhub` call metadata (from the connection string's TaskHub). This endpoint
 * serves one hub, on one store: calls naming another one reach the same instances, where on DTS each hub is a world of
 * its own. Said once per hub name, as that would make two apps that share the endpoint see each other's work.
 */
function taskHubWatch(warn: (message: string) => void): grpc.ServerInterceptor {
  const seen = new Set<string>();
  return (_method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, nextMetadata) => {
            const hub = metadata.get("taskhub")[0];
            const name = typeof hub === "string" ? hub : hub?.toString();
            if (name && name.toLowerCase() !== DEFAULT_TASK_HUB && !seen.has(name)) {
              seen.add(name);
              warn(
                `A Durable Task client or worker names task hub '${name}'. This endpoint serves one task hub on one store, so every hub's instances are shared here, ` +
                  "while on the Durable Task Scheduler each hub is separate. Run another emulator (another --grpc port and --store) per hub to keep them apart.",
              );
            }
            nextMetadata(metadata);
          },
        }),
    });
}

export async function listenSidecar(engine: Engine, pool: GrpcWorkerPool, port = DEFAULT_GRPC_PORT): Promise<SidecarServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
    interceptors: [taskHubWatch((message) => engine.warn(message))],
  });
  server.addService(TaskHubSidecarServiceService, sidecarService(engine, pool));
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) => {
      if (error) {
        const inUse = /EADDRINUSE|address already in use/i.test(error.message);
        reject(
          inUse
            ? new PortInUseError(
                port,
                `Port ${port} is in use (the Durable Task Scheduler emulator's Docker container, or another emulator?). Stop it, or pass another port: --grpc ${port + 1}.`,
              )
            : new Error(`Could not listen for gRPC on 127.0.0.1:${port}: ${error.message}`),
        );
      } else resolve(actual);
    }),
  );
  return {
    port: bound,
    pool,
    close: () =>
      new Promise<void>((resolve) => {
        pool.close();
        server.tryShutdown(() => resolve());
        // Streams a worker keeps open would hold a graceful shutdown forever.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      }),
  };
}
