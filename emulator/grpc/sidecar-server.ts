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

export async function listenSidecar(engine: Engine, pool: GrpcWorkerPool, port = DEFAULT_GRPC_PORT): Promise<SidecarServer> {
  const server = new grpc.Server({ "grpc.max_receive_message_length": MAX_MESSAGE_BYTES, "grpc.max_send_message_length": MAX_MESSAGE_BYTES });
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
