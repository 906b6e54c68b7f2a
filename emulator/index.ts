/** The emulator's public API. Nothing outside emulator/ reaches further in than this file. */
export { startEmulator, createStore, DEFAULT_STORE_FILE, type Emulator, type EmulatorOptions } from "./emulator";
export { startServer, type EmulatorServer, type ServerOptions } from "./server";
export { HttpHost } from "./http/http-host";
export { FORWARDING_KEY_ENV, forwardingKeyProblem } from "./http/forwarded-access";
export { Engine, toInstanceStatus } from "./engine/engine";
export { loadApp, AppLoadError, type LoadedApp } from "./app/app-loader";
export { AppLoadFailedError } from "./app-host/app-host-client";
export { StoreFileError } from "./store/sqljs-store";
export * from "./api/types";
export * from "./core/errors";
export { HistoryEventType, eventTypeName, type HistoryEvent } from "./history/history-event";
