/** The determinism checker in the editor: the language server bundled with the extension, over IPC. */
import * as path from "node:path";
import * as vscode from "vscode";
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from "vscode-languageclient/node";

export function startLanguageClient(extensionRoot: string): LanguageClient {
  const module = path.join(extensionRoot, "out", "language-server.js");
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc },
  };
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
