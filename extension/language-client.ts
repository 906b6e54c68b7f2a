/** The determinism checker in the editor: `durable-devkit lsp --stdio` from the bundled CLI, on VS Code's own runtime. */
import * as vscode from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";
import { bundledCli } from "./emulator-process";

export function startLanguageClient(extensionRoot: string): LanguageClient {
  // The client appends --stdio to the arguments for this transport.
  const server = { module: bundledCli(extensionRoot), args: ["lsp"], transport: TransportKind.stdio };
  const serverOptions: ServerOptions = { run: server, debug: server };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "typescript" },
      { scheme: "file", language: "javascript" },
    ],
    synchronize: { configurationSection: "durableDevkit", fileEvents: vscode.workspace.createFileSystemWatcher("**/{package.json,tsconfig.json}") },
  };
  const client = new LanguageClient("durableDevkit", "Durable determinism checker", serverOptions, clientOptions);
  void client.start();
  return client;
}
