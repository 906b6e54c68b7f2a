/**
 * The Durable Task gRPC protocol (microsoft/durabletask-protobuf protos/orchestrator_service.proto, service
 * TaskHubSidecarService, no proto package) as the durabletask-js SDK ships it compiled. The sidecar serves the very
 * service definition the SDK's client and worker are built on, so the wire format is theirs by construction; the
 * Python, .NET and Java SDKs compile the same proto. Plus the few conversions of wrapper types every handler needs.
 */
import * as pb from "@microsoft/durabletask-js/dist/proto/orchestrator_service_pb";
import { TaskHubSidecarServiceService } from "@microsoft/durabletask-js/dist/proto/orchestrator_service_grpc_pb";
import type { ITaskHubSidecarServiceServer } from "@microsoft/durabletask-js/dist/proto/orchestrator_service_grpc_pb";
import { StringValue, Int32Value } from "google-protobuf/google/protobuf/wrappers_pb";
import { Timestamp } from "google-protobuf/google/protobuf/timestamp_pb";

export { pb, TaskHubSidecarServiceService, type ITaskHubSidecarServiceServer };

/** The revision of orchestrator_service.proto the bundled SDK was compiled from (its messages are what we serve). */
export const PROTOCOL_REVISION = "microsoft/durabletask-protobuf as compiled into @microsoft/durabletask-js 0.4.0";

export function stringValue(text: string | undefined): StringValue | undefined {
  if (text === undefined) return undefined;
  const value = new StringValue();
  value.setValue(text);
  return value;
}

export function textOf(value: StringValue | undefined): string | undefined {
  return value === undefined ? undefined : value.getValue();
}

export function int32Value(n: number): Int32Value {
  const value = new Int32Value();
  value.setValue(n);
  return value;
}

export function timestampOf(iso: string | number): Timestamp {
  const ms = typeof iso === "number" ? iso : Date.parse(iso);
  const stamp = new Timestamp();
  stamp.setSeconds(Math.floor(ms / 1000));
  stamp.setNanos((ms % 1000) * 1_000_000);
  return stamp;
}

/** Milliseconds since the epoch, or undefined when the field is not set. */
export function millisOf(stamp: Timestamp | undefined): number | undefined {
  if (!stamp) return undefined;
  return stamp.getSeconds() * 1000 + Math.floor(stamp.getNanos() / 1_000_000);
}

export function isoOf(stamp: Timestamp | undefined): string | undefined {
  const ms = millisOf(stamp);
  return ms === undefined ? undefined : new Date(ms).toISOString();
}
