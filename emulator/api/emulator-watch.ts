/**
 * Live updates from an emulator by push: the dashboard's server-sent event stream (`/_durable/api/events`), read over
 * loopback (Node), so the extension's views and the debugger's attach follow the emulator with no polling.
 * Changes arriving close together are delivered once; a dropped stream is opened again (and the view is read again,
 * since changes may have been missed) until the watch is disposed.
 */
import * as http from "node:http";
import type { EmulatorStreamEvents } from "./http-contract";

export type EmulatorChange = "instance" | "reload" | "connected";

const COALESCE_MS = 50;
const RECONNECT_MS = [100, 250, 500, 1000, 2000];

/** Watches the emulator at `origin`; `onChange` gets the kinds of change and the instances that changed (by id). */
export function watchEmulator(origin: string, onChange: (changes: Set<EmulatorChange>, instanceIds: Set<string>) => void): { dispose(): void } {
  let disposed = false;
  let request: http.ClientRequest | undefined;
  let pending = new Set<EmulatorChange>();
  let pendingIds = new Set<string>();
  let flush: NodeJS.Timeout | undefined;
  let retry: NodeJS.Timeout | undefined;
  let failures = 0;

  const deliver = (change: EmulatorChange, instanceId?: string) => {
    pending.add(change);
    if (instanceId !== undefined) pendingIds.add(instanceId);
    flush ??= setTimeout(() => {
      flush = undefined;
      const changes = pending;
      const instanceIds = pendingIds;
      pending = new Set();
      pendingIds = new Set();
      if (!disposed) onChange(changes, instanceIds);
    }, COALESCE_MS);
  };

  const connect = () => {
    if (disposed) return;
    request = http.get(`${origin}/_durable/api/events`, { headers: { accept: "text/event-stream" } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        reconnect();
        return;
      }
      failures = 0;
      deliver("connected");
      response.setEncoding("utf8");
      let buffer = "";
      response.on("data", (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const message = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const name = /^event: (\w+)$/m.exec(message)?.[1];
          if (name === "reload") deliver(name);
          if (name === "instance") deliver(name, instanceIdOf(/^data: (.*)$/m.exec(message)?.[1]));
        }
      });
      response.on("end", reconnect);
      response.on("error", reconnect);
    });
    request.on("error", reconnect);
  };

  const reconnect = () => {
    request?.destroy();
    request = undefined;
    if (disposed || retry) return;
    retry = setTimeout(
      () => {
        retry = undefined;
        connect();
      },
      RECONNECT_MS[Math.min(failures++, RECONNECT_MS.length - 1)],
    );
  };

  connect();
  return {
    dispose() {
      disposed = true;
      clearTimeout(flush);
      clearTimeout(retry);
      request?.destroy();
    },
  };
}

function instanceIdOf(data: string | undefined): string | undefined {
  try {
    const parsed = JSON.parse(data ?? "") as Partial<EmulatorStreamEvents["instance"]> | null;
    return typeof parsed?.instanceId === "string" ? parsed.instanceId : undefined;
  } catch {
    return undefined;
  }
}
